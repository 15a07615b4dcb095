-- Building blocks of the statusReflection scripts. They keep what Karmada's native reflection
-- keeps (pkg/resourceinterpreter/default/native/reflectstatus.go): the kind's counters, and the
-- FederatedGeneration wrapper (status_type.go) that aggregation relies on.
local values = require("values")

local M = {}

local TEMPLATE_GENERATION = "resourcetemplate.karmada.io/generation"

-- Adds `generation` (the member's metadata.generation) and `resourceTemplateGeneration` (the
-- template generation Karmada stamped on the member). Zero values are left out, as Go's
-- omitempty does.
function M.generations(obj, out)
  local meta = values.tbl(obj.metadata) or {}
  local g = values.generation(meta.generation)
  if g > 0 then
    out.generation = g
  end
  local annotations = values.tbl(meta.annotations) or {}
  local text = values.str(annotations[TEMPLATE_GENERATION])
  if string.find(text, "^%d+$") then
    local t = values.generation(tonumber(text))
    if t > 0 then
      out.resourceTemplateGeneration = t
    end
  end
end

-- Copies the named counters that are positive (int32) into `out`.
function M.counters(status, names, out)
  for _, name in ipairs(names) do
    local v = values.count(status[name])
    if v > 0 then
      out[name] = v
    end
  end
end

-- Copies the conditions whose type is a key of `types` (every one when `types` is nil), keeping
-- type, status, reason, message and, with `times`, the well-formed timestamps.
function M.conditions(status, types, times, out)
  local conds = values.tbl(status.conditions)
  if not conds then
    return
  end
  local kept = {}
  for _, c in ipairs(conds) do
    if type(c) == "table" and type(c.type) == "string" and (types == nil or types[c.type]) then
      local copy = { type = c.type, status = values.str(c.status) }
      local reason = values.str(c.reason)
      if reason ~= "" then
        copy.reason = reason
      end
      local message = values.str(c.message)
      if message ~= "" then
        copy.message = message
      end
      if times then
        copy.lastProbeTime = values.time(c.lastProbeTime)
        copy.lastTransitionTime = values.time(c.lastTransitionTime)
      end
      kept[#kept + 1] = copy
    end
  end
  if #kept > 0 then
    out.conditions = kept
  end
end

-- The reflection of an apps/v1 workload: positive `counters`, observedGeneration, the
-- generations, and the conditions whose type is a key of `conditions` (none when nil).
function M.workload(observedObj, counters, conditions)
  local out = {}
  local status = values.tbl(observedObj) and values.tbl(observedObj.status)
  if not status then
    return out
  end
  M.counters(status, counters, out)
  local observed = values.generation(status.observedGeneration)
  if observed > 0 then
    out.observedGeneration = observed
  end
  M.generations(observedObj, out)
  if conditions then
    M.conditions(status, conditions, false, out)
  end
  return out
end

return M
