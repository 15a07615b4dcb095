-- CronFederatedHPA: scheduled scaling rules. Degraded when a rule's latest execution failed;
-- Suspended when every rule is suspended.
local common = require("common")
local summary = require("summary")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local spec = common.tab(o.spec) or EMPTY
local status = common.tab(o.status) or EMPTY

local rules = 0
local suspended = 0
for _, rule in ipairs(common.list(spec.rules)) do
  if type(rule) == "table" then
    rules = rules + 1
    if rule.suspend == true then
      suspended = suspended + 1
    end
  end
end

-- The latest executionTime in a list of executions, and that execution ("" and nil when none).
local function latest(executions)
  local best = ""
  local found = nil
  for _, e in ipairs(common.list(executions)) do
    local t = common.str(common.get(e, "executionTime"))
    if t ~= nil and t > best then
      best = t
      found = e
    end
  end
  return { time = best, execution = found }
end

local ok = 0
local bad = {}
for _, h in ipairs(common.list(status.executionHistories)) do
  if type(h) == "table" then
    local success = latest(h.successfulExecutions)
    local failure = latest(h.failedExecutions)
    if failure.execution ~= nil and failure.time > success.time then
      local reason = common.text(failure.execution.message)
      bad[#bad + 1] = { name = "rule " .. (common.str(h.ruleName) or "?"), status = "Degraded", detail = "last execution failed", reason = reason }
    else
      ok = ok + 1
    end
  end
end

if #bad > 0 then
  return { status = "Degraded", message = summary.message(ok, ok + #bad, "rules healthy", {}, bad, "rules") }
end
if rules > 0 and suspended == rules then
  return { status = "Suspended", message = "all " .. tostring(rules) .. " rules suspended" }
end
if ok == 0 then
  return { status = "Healthy", message = "no executions yet (" .. tostring(rules) .. " rules)" }
end
return { status = "Healthy", message = summary.message(ok, ok, "rules healthy", {}, bad, "rules") }
