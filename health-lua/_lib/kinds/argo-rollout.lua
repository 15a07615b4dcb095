-- argoproj.io/Rollout, judged like Argo CD's built-in Rollout check on the member status Karmada
-- keeps whole (no member metadata or spec: the generation, pause and strategy checks that need
-- them are skipped; the desired count is the replicas Karmada assigned to this cluster).
local common = require("common")

local M = {}

M.types = { "argoproj.io/v1alpha1/Rollout" }

local PHASES = { Healthy = "Healthy", Progressing = "Progressing", Degraded = "Degraded", Paused = "Suspended" }

function M.judge(status, replicas)
  local phase = status.phase
  if phase ~= nil then
    local code = nil
    if type(phase) == "string" then
      code = PHASES[phase]
    end
    if code == nil then
      return common.verdict("Unknown", "unknown rollout phase")
    end
    return common.verdict(code, phase, common.text(status.message))
  end
  for _, c in ipairs(common.list(status.conditions)) do
    if type(c) == "table" then
      if c.type == "InvalidSpec" or (c.type == "Progressing" and (c.reason == "RolloutAborted" or c.reason == "ProgressDeadlineExceeded")) then
        return common.verdict("Degraded", common.str(c.reason) or "invalid spec", common.text(c.message))
      end
    end
  end
  local pauses = common.tab(status.pauseConditions)
  if pauses ~= nil and #pauses > 0 then
    return common.verdict("Suspended", "rollout is paused")
  end
  if status.currentPodHash == nil then
    return common.verdict("Progressing", "status not reconciled yet")
  end
  local desired = common.num(replicas)
  local updated = common.num(status.updatedReplicas) or 0
  local available = common.num(status.availableReplicas) or 0
  if desired ~= nil and updated < desired then
    return common.verdict("Progressing", common.n(updated) .. "/" .. common.n(desired) .. " updated")
  end
  if available < updated then
    return common.verdict("Progressing", common.n(available) .. "/" .. common.n(updated) .. " available")
  end
  return common.HEALTHY
end

return M
