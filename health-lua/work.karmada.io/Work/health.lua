-- Work: a binding's manifests for one member cluster (namespace karmada-es-<cluster>). Healthy
-- when applied and every manifest's reflected status is healthy, judged by kind as for bindings.
local common = require("common")
local kinds = require("kinds")
local summary = require("summary")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local spec = common.tab(o.spec) or EMPTY
local status = common.tab(o.status) or EMPTY

local notes = {}
local suspended = spec.suspendDispatching == true
local dispatching = common.condition(status.conditions, "Dispatching")
if dispatching ~= nil and dispatching.status == "False" then
  suspended = true
end
if suspended then
  notes[#notes + 1] = "dispatching suspended"
end

local worst = "Healthy"
local applied = common.condition(status.conditions, "Applied")
if applied == nil then
  worst = "Progressing"
  notes[#notes + 1] = "not applied yet"
elseif applied.status ~= "True" then
  worst = "Degraded"
  notes[#notes + 1] = common.with("apply failed", common.text(applied.message))
end

-- Reflected statuses by manifest ordinal.
local reported = {}
for _, ms in ipairs(common.list(status.manifestStatuses)) do
  local id = common.tab(common.get(ms, "identifier"))
  if id ~= nil and common.num(id.ordinal) ~= nil and reported[id.ordinal] == nil then
    reported[id.ordinal] = ms
  end
end

local ok = 0
local total = 0
local bad = {}
local judge = worst == "Healthy"
for i, manifest in ipairs(common.list(common.get(spec.workload, "manifests"))) do
  total = total + 1
  if judge then
    local m = common.tab(manifest) or EMPTY
    local meta = common.tab(m.metadata) or EMPTY
    local name = common.str(meta.name) or "?"
    if common.str(meta.namespace) ~= nil then
      name = meta.namespace .. "/" .. name
    end
    name = (common.str(m.kind) or "?") .. " " .. name
    local ms = reported[i - 1]
    local v = nil
    if ms == nil then
      v = common.verdict("Progressing", "status not collected yet")
    else
      local check = kinds.lookup(m.apiVersion, m.kind)
      local replicas = common.num(common.get(m.spec, "replicas"))
      v = kinds.judge(check, ms.status, replicas, ms.health)
    end
    if v.status == "Healthy" then
      ok = ok + 1
    else
      bad[#bad + 1] = { name = name, status = v.status, detail = v.detail, reason = v.reason }
      worst = common.worse(worst, v.status)
    end
  end
end
if suspended then
  worst = "Suspended"
end
local label = "manifests healthy"
if total == 1 then
  label = "manifest healthy"
end
return { status = worst, message = summary.message(ok, total, label, notes, bad, "manifests") }
