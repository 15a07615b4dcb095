-- apps/StatefulSet, judged like gitops-engine's StatefulSet check for the default RollingUpdate
-- strategy (partition defaulted to 0) on what Karmada reflects per member: availableReplicas,
-- currentReplicas, readyReplicas, replicas, updatedReplicas and the member's `generation`.
-- Karmada drops observedGeneration and the revisions, so the generation check is skipped and the
-- rollout is read from updatedReplicas (Argo's partitioned-rollout rule with partition 0).
local common = require("common")

local M = {}

M.types = { "apps/v1/StatefulSet", "apps/v1beta2/StatefulSet", "apps/v1beta1/StatefulSet" }

function M.judge(status, ctx)
  local num = common.num
  local desired = num(ctx.replicas)
  local ready = num(status.readyReplicas) or 0
  local updated = num(status.updatedReplicas) or 0
  if desired ~= nil and ready < desired then
    return common.verdict("Progressing", common.n(ready) .. "/" .. common.n(desired) .. " ready")
  end
  if desired ~= nil and updated < desired then
    return common.verdict("Progressing", common.n(updated) .. "/" .. common.n(desired) .. " updated")
  end
  return common.verdict("Healthy", common.n(ready) .. " ready")
end

return M
