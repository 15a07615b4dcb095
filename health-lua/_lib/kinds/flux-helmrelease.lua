-- helm.toolkit.fluxcd.io/HelmRelease, judged like Argo CD's built-in HelmRelease check on the
-- conditions Karmada reflects (Karmada's Flux customization keeps them; spec.suspend is not
-- visible per member).
local common = require("common")

local M = {}

M.types = { "helm.toolkit.fluxcd.io/v2/HelmRelease", "helm.toolkit.fluxcd.io/v2beta2/HelmRelease", "helm.toolkit.fluxcd.io/v2beta1/HelmRelease" }

-- Argo CD's Flux rule, shared with Kustomization: `needed` successes make it Healthy.
function M.flux(status, needed, extra_success)
  local conditions = common.tab(status.conditions)
  if conditions == nil then
    return common.verdict("Progressing", "status unknown")
  end
  local progressing = 0
  local succeeded = 0
  local reason = ""
  for _, c in ipairs(conditions) do
    if type(c) == "table" then
      if c.type == "Ready" then
        if c.status == "True" then
          succeeded = succeeded + 1
        elseif c.status == "Unknown" then
          progressing = progressing + 1
        end
        reason = common.str(c.reason) or ""
      elseif c.type == "Reconciling" and c.status == "True" then
        progressing = progressing + 1
      elseif extra_success[c.type] and c.status == "True" then
        succeeded = succeeded + 1
      end
    end
  end
  if progressing == 2 then
    return common.verdict("Progressing", "reconciling", reason)
  end
  if succeeded == needed then
    return common.HEALTHY
  end
  return common.verdict("Degraded", "not ready", reason)
end

local RELEASED = { Released = true, TestSuccess = true }

function M.judge(status, replicas)
  return M.flux(status, 2, RELEASED)
end

return M
