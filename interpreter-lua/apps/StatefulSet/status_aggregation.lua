-- The template StatefulSet's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation or failed to apply; a Progressing=False condition (reason
-- MemberClusterFailed) names each cluster whose apply failed.
local workload = require("workload")

local COUNTERS = { "availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas" }

-- kube-apiserver's rules for a StatefulSetStatus (pkg/apis/apps/validation ValidateStatefulSetStatus):
-- ready, current and updated at most replicas; available at most ready.
local function member(status)
  local c = workload.counts(status, COUNTERS)
  c.readyReplicas = math.min(c.readyReplicas, c.replicas)
  c.currentReplicas = math.min(c.currentReplicas, c.replicas)
  c.updatedReplicas = math.min(c.updatedReplicas, c.replicas)
  c.availableReplicas = math.min(c.availableReplicas, c.readyReplicas)
  return c
end

local KIND = { counters = COUNTERS, member = member, reason = "MemberClusterFailed" }

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
