-- batch/CronJob, judged like Argo CD's built-in CronJob check on the member status Karmada keeps
-- whole (the member's spec.suspend is not reflected, so a suspended CronJob reads as idle).
local common = require("common")

local M = {}

M.types = { "batch/v1/CronJob", "batch/v1beta1/CronJob" }

function M.judge(status, ctx)
  local scheduled = common.str(status.lastScheduleTime)
  if scheduled == nil then
    return common.verdict("Healthy", "not scheduled yet")
  end
  local succeeded = common.str(status.lastSuccessfulTime)
  if succeeded == nil then
    return common.verdict("Healthy", "never completed successfully yet")
  end
  local active = common.tab(status.active)
  if active ~= nil and #active > 0 then
    return common.verdict("Healthy", "job running")
  end
  -- RFC 3339 timestamps in UTC compare correctly as strings.
  if succeeded < scheduled then
    return common.verdict("Degraded", "last run failed (scheduled " .. scheduled .. ", last success " .. succeeded .. ")")
  end
  return common.verdict("Healthy", "last run succeeded")
end

return M
