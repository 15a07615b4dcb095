-- apps/Deployment, judged like gitops-engine's Deployment check on the fields Karmada reflects
-- per member: replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas,
-- observedGeneration, plus the member's `generation`. Conditions are not reflected, so
-- ProgressDeadlineExceeded is only seen when a statusReflection customization keeps them.
-- The desired count is the number of replicas Karmada assigned to this cluster.
local common = require("common")

local M = {}

M.types = { "apps/v1/Deployment", "apps/v1beta2/Deployment", "apps/v1beta1/Deployment", "extensions/v1beta1/Deployment" }

function M.judge(status, ctx)
  local num = common.num
  local generation = num(status.generation)
  local observed = num(status.observedGeneration)
  if generation ~= nil and (observed == nil or observed < generation) then
    return common.verdict("Progressing", "generation " .. common.n(generation) .. " not observed yet")
  end
  local progressing = common.condition(status.conditions, "Progressing")
  if progressing ~= nil and progressing.reason == "ProgressDeadlineExceeded" then
    return common.verdict("Degraded", "progress deadline exceeded")
  end
  local desired = num(ctx.replicas)
  local replicas = num(status.replicas) or 0
  local updated = num(status.updatedReplicas) or 0
  local available = num(status.availableReplicas) or 0
  if desired ~= nil and updated < desired then
    return common.verdict("Progressing", common.n(updated) .. "/" .. common.n(desired) .. " updated")
  end
  if replicas > updated then
    return common.verdict("Progressing", common.n(replicas - updated) .. " old replicas pending termination")
  end
  if available < updated then
    return common.verdict("Progressing", common.n(available) .. "/" .. common.n(updated) .. " available")
  end
  return common.verdict("Healthy", common.n(available) .. "/" .. common.n(updated) .. " available")
end

return M
