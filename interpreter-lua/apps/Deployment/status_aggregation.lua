-- The template Deployment's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation or failed; a Progressing=False condition with reason
-- ProgressDeadlineExceeded (the one Argo CD's Deployment check reads) names each cluster whose
-- apply failed or whose rollout exceeded its progress deadline.
local values = require("values")
local workload = require("workload")

local COUNTERS = { "replicas", "readyReplicas", "updatedReplicas", "availableReplicas", "unavailableReplicas" }

local count = values.count

-- Adds one member's counters, first held to kube-apiserver's rules for a DeploymentStatus
-- (pkg/apis/apps/validation ValidateDeploymentStatus): updated, ready and available at most
-- replicas; available at most ready.
local function add(status, sums)
  local replicas = count(status.replicas)
  local updated = count(status.updatedReplicas)
  local ready = count(status.readyReplicas)
  local available = count(status.availableReplicas)
  if updated > replicas then
    updated = replicas
  end
  if ready > replicas then
    ready = replicas
  end
  if available > ready then
    available = ready
  end
  sums.replicas = sums.replicas + replicas
  sums.updatedReplicas = sums.updatedReplicas + updated
  sums.readyReplicas = sums.readyReplicas + ready
  sums.availableReplicas = sums.availableReplicas + available
  sums.unavailableReplicas = sums.unavailableReplicas + count(status.unavailableReplicas)
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
  add = add,
  failure = failure,
  reason = "ProgressDeadlineExceeded",
  settle_failures = true,
}

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
