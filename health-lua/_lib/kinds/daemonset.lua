-- apps/DaemonSet, judged like gitops-engine's DaemonSet check (RollingUpdate strategy) on what
-- Karmada reflects per member: the scheduling counters, observedGeneration and `generation`.
-- DaemonSets have no replicas, so Karmada assigns none; the member's own desired count is used.
local common = require("common")

local M = {}

M.types = { "apps/v1/DaemonSet", "apps/v1beta2/DaemonSet", "extensions/v1beta1/DaemonSet" }

function M.judge(status, ctx)
  local num = common.num
  local generation = num(status.generation)
  local observed = num(status.observedGeneration)
  if generation ~= nil and (observed == nil or observed < generation) then
    return common.verdict("Progressing", "generation " .. common.n(generation) .. " not observed yet")
  end
  local desired = num(status.desiredNumberScheduled) or 0
  local updated = num(status.updatedNumberScheduled) or 0
  local available = num(status.numberAvailable) or 0
  if updated < desired then
    return common.verdict("Progressing", common.n(updated) .. "/" .. common.n(desired) .. " updated")
  end
  if available < desired then
    return common.verdict("Progressing", common.n(available) .. "/" .. common.n(desired) .. " available")
  end
  return common.verdict("Healthy", common.n(available) .. "/" .. common.n(desired) .. " available")
end

return M
