-- apps/ReplicaSet, judged like gitops-engine's ReplicaSet check on what Karmada reflects per
-- member: replicas, readyReplicas, availableReplicas, observedGeneration and `generation`
-- (conditions only when a statusReflection customization keeps them).
local common = require("common")

local M = {}

M.types = { "apps/v1/ReplicaSet", "apps/v1beta2/ReplicaSet", "extensions/v1beta1/ReplicaSet" }

function M.judge(status, replicas)
  local num = common.num
  local generation = num(status.generation)
  local observed = num(status.observedGeneration)
  if generation ~= nil and (observed == nil or observed < generation) then
    return common.verdict("Progressing", "generation " .. common.n(generation) .. " not observed yet")
  end
  local failure = common.condition(status.conditions, "ReplicaFailure")
  if failure ~= nil and failure.status == "True" then
    return common.verdict("Degraded", "replica failure", common.str(failure.message))
  end
  local desired = num(replicas)
  local available = num(status.availableReplicas) or 0
  if desired ~= nil and available < desired then
    return common.verdict("Progressing", common.n(available) .. "/" .. common.n(desired) .. " available")
  end
  return common.HEALTHY
end

return M
