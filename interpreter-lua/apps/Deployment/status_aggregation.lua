-- The template Deployment's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation or failed; a Progressing=False condition with reason
-- ProgressDeadlineExceeded (the one Argo CD's Deployment check reads) names each cluster whose
-- apply failed or whose rollout exceeded its progress deadline.
local values = require("values")
local workload = require("workload")

local COUNTERS = { "replicas", "readyReplicas", "updatedReplicas", "availableReplicas", "unavailableReplicas" }

-- kube-apiserver's rules for a DeploymentStatus (pkg/apis/apps/validation ValidateDeploymentStatus):
-- updated, ready and available at most replicas; available at most ready.
local function member(status)
  local c = workload.counts(status, COUNTERS)
  c.updatedReplicas = math.min(c.updatedReplicas, c.replicas)
  c.readyReplicas = math.min(c.readyReplicas, c.replicas)
  c.availableReplicas = math.min(c.availableReplicas, c.readyReplicas)
  return c
end

local function failure(status)
  local progressing = values.condition(status, "Progressing")
  if progressing and progressing.reason == "ProgressDeadlineExceeded" then
    local message = values.str(progressing.message)
    if message == "" then
      return "ProgressDeadlineExceeded"
    end
    return "ProgressDeadlineExceeded: " .. message
  end
  return nil
end

local KIND = {
  counters = COUNTERS,
  member = member,
  failure = failure,
  reason = "ProgressDeadlineExceeded",
  settle_failures = true,
}

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
