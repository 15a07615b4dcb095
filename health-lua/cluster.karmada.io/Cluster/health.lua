-- Cluster: a member cluster registered with Karmada, judged by its Ready condition.
local common = require("common")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

local function nodes()
  local summary = common.tab(status.nodeSummary)
  if summary == nil then
    return ""
  end
  return " (" .. common.n(summary.readyNum) .. "/" .. common.n(summary.totalNum) .. " nodes ready)"
end

local ready = common.condition(status.conditions, "Ready")
if ready == nil then
  return { status = "Progressing", message = "waiting for the first cluster status" }
end
local reason = common.str(ready.reason) or "unknown reason"
local detail = common.with(reason, common.text(ready.message))
if ready.status == "True" then
  local message = "cluster ready" .. nodes()
  local apis = common.condition(status.conditions, "CompleteAPIEnablements")
  if apis ~= nil and apis.status == "False" then
    message = message .. "; API enablements incomplete (" .. (common.str(apis.reason) or "unknown reason") .. ")"
  end
  return { status = "Healthy", message = message }
end
if ready.status == "False" then
  return { status = "Degraded", message = "cluster not ready: " .. detail .. nodes() }
end
if ready.reason == "ClusterStatusNeverUpdated" then
  return { status = "Progressing", message = "waiting for the first cluster status: " .. detail }
end
return { status = "Unknown", message = "cluster status unknown: " .. detail }
