-- Health of a ResourceBinding or ClusterResourceBinding: the worst health of its member copies,
-- each judged by the kind of the bound resource (see DESIGN.md "Health semantics").
local common = require("common")
local kinds = require("kinds")
local summary = require("summary")

local M = {}

local EMPTY = {}

-- One target cluster's verdict from its aggregatedStatus item (nil when none was reported).
local function member(item, check, replicas)
  if item == nil then
    return common.verdict("Progressing", "not reported yet")
  end
  if item.applied ~= true then
    -- Karmada omits `applied: false`; a failed apply shows only as an appliedMessage.
    local message = common.text(item.appliedMessage)
    if message ~= nil then
      return common.verdict("Degraded", "apply failed", message)
    end
    if item.applied == false then
      return common.verdict("Degraded", "not applied")
    end
    return common.verdict("Progressing", "not applied yet")
  end
  if common.tab(item.status) == nil then
    if item.health == "Healthy" then
      return common.HEALTHY
    end
    if item.health == "Unhealthy" then
      return common.verdict("Degraded", "unhealthy")
    end
    return common.verdict("Progressing", "status not collected yet")
  end
  return kinds.judge(check, item.status, replicas, item.health)
end

function M.health(obj)
  local o = common.tab(obj) or EMPTY
  local metadata = common.tab(o.metadata) or EMPTY
  local spec = common.tab(o.spec) or EMPTY
  local status = common.tab(o.status) or EMPTY
  local resource = common.tab(spec.resource) or EMPTY
  local check = kinds.lookup(resource.apiVersion, resource.kind)

  -- Targets: the scheduled clusters, then the clusters of the bindings that depend on this one.
  local targets = {}
  local replicas = {}
  local seen = {}
  for _, c in ipairs(common.list(spec.clusters)) do
    if type(c) == "table" and type(c.name) == "string" and not seen[c.name] then
      seen[c.name] = true
      targets[#targets + 1] = c.name
      replicas[c.name] = common.num(c.replicas)
    end
  end
  local scheduled_targets = #targets
  local required = false
  for _, r in ipairs(common.list(spec.requiredBy)) do
    if type(r) == "table" then
      for _, c in ipairs(common.list(r.clusters)) do
        required = true
        if type(c) == "table" and type(c.name) == "string" and not seen[c.name] then
          seen[c.name] = true
          targets[#targets + 1] = c.name
        end
      end
    end
  end

  local items = {}
  for _, item in ipairs(common.list(status.aggregatedStatus)) do
    if type(item) == "table" and type(item.clusterName) == "string" and items[item.clusterName] == nil then
      items[item.clusterName] = item
    end
  end

  local suspension = common.tab(spec.suspension) or EMPTY
  local suspended_on = {}
  for _, name in ipairs(common.list(common.get(suspension.dispatchingOnClusters, "clusterNames"))) do
    if type(name) == "string" then
      suspended_on[name] = true
    end
  end

  local worst = "Healthy"
  local notes = {}
  local scheduled = common.condition(status.conditions, "Scheduled")
  if scheduled ~= nil and scheduled.status == "False" then
    worst = "Degraded"
    notes[#notes + 1] = common.with("scheduling failed (" .. (common.str(scheduled.reason) or "unknown reason") .. ")", common.text(scheduled.message))
  elseif not (required and scheduled_targets == 0) then
    -- Dependency bindings (requiredBy, no spec.clusters) are never scheduled themselves.
    local generation = common.num(metadata.generation)
    local observed = common.num(status.schedulerObservedGeneration)
    if generation ~= nil and (observed == nil or observed < generation) then
      if suspension.scheduling == true then
        worst = "Suspended"
        notes[#notes + 1] = "scheduling suspended"
      else
        worst = "Progressing"
        notes[#notes + 1] = "scheduler has not observed generation " .. common.n(generation) .. " yet"
      end
    end
  end
  if #targets == 0 and #notes == 0 then
    worst = "Progressing"
    notes[#notes + 1] = "no target clusters yet"
  end

  local ok = 0
  local bad = {}
  for _, name in ipairs(targets) do
    local v = nil
    if suspended_on[name] then
      v = common.verdict("Suspended", "dispatching suspended")
    else
      v = member(items[name], check, replicas[name])
    end
    if v.status == "Healthy" then
      ok = ok + 1
    else
      bad[#bad + 1] = { name = name, status = v.status, detail = v.detail, reason = v.reason }
      worst = common.worse(worst, v.status)
    end
  end

  if suspension.dispatching == true then
    worst = "Suspended"
    table.insert(notes, 1, "dispatching suspended")
  end
  local label = "clusters healthy"
  if #targets == 1 then
    label = "cluster healthy"
  end
  return { status = worst, message = summary.message(ok, #targets, label, notes, bad, "clusters") }
end

return M
