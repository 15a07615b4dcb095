-- batch/Job, judged like gitops-engine's Job check on the conditions Karmada reflects per member
-- (Karmada itself calls every applied Job Healthy, so its `health` is ignored here).
local common = require("common")

local M = {}

M.types = { "batch/v1/Job" }

function M.judge(status, replicas)
  local failed = false
  local complete = false
  local suspended = false
  local fail_message = nil
  for _, c in ipairs(common.list(status.conditions)) do
    if type(c) == "table" then
      if c.type == "Failed" then
        failed = true
        complete = true
        fail_message = common.text(c.message)
      elseif c.type == "Complete" then
        complete = true
      elseif c.type == "Suspended" then
        complete = true
        if c.status == "True" then
          suspended = true
        end
      end
    end
  end
  local counts = common.n(status.active) .. " active, " .. common.n(status.succeeded) .. " succeeded, " .. common.n(status.failed) .. " failed"
  if not complete then
    return common.verdict("Progressing", "running: " .. counts)
  end
  if failed then
    return common.verdict("Degraded", "job failed", fail_message)
  end
  if suspended then
    return common.verdict("Suspended", "job suspended")
  end
  return common.HEALTHY
end

return M
