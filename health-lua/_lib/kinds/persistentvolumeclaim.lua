-- v1/PersistentVolumeClaim, judged like gitops-engine's PVC check on the member's phase.
local common = require("common")

local M = {}

M.types = { "v1/PersistentVolumeClaim" }

function M.judge(status, ctx)
  local phase = status.phase
  if phase == "Bound" then
    return common.verdict("Healthy", "bound")
  end
  if phase == "Pending" then
    return common.verdict("Progressing", "pending")
  end
  if phase == "Lost" then
    return common.verdict("Degraded", "lost")
  end
  return common.verdict("Unknown", "phase unknown")
end

return M
