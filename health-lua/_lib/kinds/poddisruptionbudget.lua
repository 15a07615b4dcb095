-- policy/PodDisruptionBudget, judged like Argo CD's built-in PDB check. Karmada reflects only the
-- counters (no conditions); Argo CD treats InsufficientPods as Healthy, so counters alone never
-- make a member unhealthy. With conditions (a statusReflection customization), Argo's rule runs.
local common = require("common")

local M = {}

M.types = { "policy/v1/PodDisruptionBudget", "policy/v1beta1/PodDisruptionBudget" }

function M.judge(status, replicas)
  for _, c in ipairs(common.list(status.conditions)) do
    if type(c) == "table" and c.status == "False" and c.reason ~= "InsufficientPods" then
      return common.verdict("Degraded", "disruption budget", common.text(c.reason))
    end
  end
  return common.HEALTHY
end

return M
