-- The template DaemonSet's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation; a Progressing=False condition (reason
-- MemberClusterFailed) names each cluster whose apply failed.
local values = require("values")
local workload = require("workload")

local count = values.count

local COUNTERS = {
  "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
  "numberReady", "updatedNumberScheduled", "numberUnavailable",
}

-- kube-apiserver checks only that each DaemonSetStatus counter is non-negative
-- (pkg/apis/apps/validation ValidateDaemonSetStatusUpdate).
local function add(status, sums)
  for _, name in ipairs(COUNTERS) do
    sums[name] = sums[name] + count(status[name])
  end
end

local KIND = { counters = COUNTERS, add = add, reason = "MemberClusterFailed" }

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
