-- The template DaemonSet's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation; a Progressing=False condition (reason
-- MemberClusterFailed) names each cluster whose apply failed.
local workload = require("workload")

local COUNTERS = {
  "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
  "numberReady", "updatedNumberScheduled", "numberUnavailable",
}

-- kube-apiserver checks only that each DaemonSetStatus counter is non-negative
-- (pkg/apis/apps/validation ValidateDaemonSetStatusUpdate).
local function member(status)
  return workload.counts(status, COUNTERS)
end

local KIND = { counters = COUNTERS, member = member, reason = "MemberClusterFailed" }

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
