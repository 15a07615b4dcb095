-- apps.kruise.io/CloneSet, after Argo CD's built-in CloneSet check on what Karmada's Kruise
-- customization reflects (counters, observedGeneration, `generation`; no spec, and no
-- updatedAvailableReplicas, for which updatedReadyReplicas stands in). One deliberate change:
-- Argo CD calls a CloneSet whose updated replicas are not all available Degraded, which is every
-- rollout; here that is Progressing, as for Deployments.
local common = require("common")

local M = {}

M.types = { "apps.kruise.io/v1alpha1/CloneSet", "apps.kruise.io/v1beta1/CloneSet" }

function M.judge(status, ctx)
  local num = common.num
  local generation = num(status.generation)
  local observed = num(status.observedGeneration)
  if generation ~= nil and observed ~= generation then
    return common.verdict("Progressing", "generation " .. common.n(generation) .. " not observed yet")
  end
  local replicas = num(status.replicas) or 0
  local desired = num(ctx.replicas)
  if desired == nil then
    desired = replicas
  end
  local ready = num(status.updatedAvailableReplicas)
  if ready == nil then
    ready = num(status.updatedReadyReplicas) or 0
  end
  if ready < desired or replicas > desired then
    return common.verdict("Progressing", common.n(ready) .. "/" .. common.n(desired) .. " updated and ready")
  end
  return common.verdict("Healthy", common.n(ready) .. "/" .. common.n(desired) .. " updated and ready")
end

return M
