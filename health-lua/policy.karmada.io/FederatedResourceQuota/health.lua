-- FederatedResourceQuota: Degraded when usage is above the hard limit, overall or in a member
-- cluster. Without the string library only plain-number quantities ("10" pods, "4" cpu) can be
-- compared; "500m" or "1Gi" are left alone (an overrun there shows on the bindings as
-- Scheduled=False/QuotaExceeded).
local common = require("common")
local summary = require("summary")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

local function amount(v)
  if type(v) == "number" then
    return v
  end
  if type(v) == "string" then
    return tonumber(v)
  end
  return nil
end

-- Resource names of a quantity map, sorted (pairs order is not deterministic).
local function names(map)
  local list = {}
  if type(map) ~= "table" then
    return list
  end
  for k, _ in pairs(map) do
    if type(k) == "string" then
      list[#list + 1] = k
    end
  end
  table.sort(list)
  return list
end

-- Appends `<resource> used <u> of <h>` to `into` for each resource used above its hard limit;
-- `wrap` turns the text into the list item.
local function over(hard, used, into, wrap)
  if type(hard) ~= "table" or type(used) ~= "table" then
    return
  end
  for _, name in ipairs(names(hard)) do
    local h = amount(hard[name])
    local u = amount(used[name])
    if h ~= nil and u ~= nil and u > h then
      into[#into + 1] = wrap(name .. " used " .. tostring(u) .. " of " .. tostring(h))
    end
  end
end

local overall = common.tab(status.overall)
if overall == nil then
  return { status = "Progressing", message = "waiting for quota status" }
end
-- Overall overruns are notes; per-cluster overruns are grouped by the summary like clusters of a
-- binding (the same resource with the same numbers on several clusters is one group).
local notes = {}
over(overall, status.overallUsed, notes, function(text)
  return "overall " .. text
end)
local bad = {}
local clusters = 0
for _, item in ipairs(common.list(status.aggregatedStatus)) do
  local name = common.str(common.get(item, "clusterName"))
  if name ~= nil then
    clusters = clusters + 1
    over(item.hard, item.used, bad, function(text)
      return { name = name, status = "Degraded", detail = text }
    end)
  end
end
local tracked = #names(overall)
if #notes > 0 or #bad > 0 then
  return { status = "Degraded", message = summary.message(tracked - #notes, tracked, "resources within quota", notes, bad, "clusters") }
end
local where = " clusters"
if clusters == 1 then
  where = " cluster"
end
return { status = "Healthy", message = tostring(tracked) .. " resources within quota in " .. tostring(clusters) .. where }
