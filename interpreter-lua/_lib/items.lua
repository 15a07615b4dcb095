-- Reading Karmada's AggregatedStatusItems (Karmada's work v1alpha2 API, binding_types.go): clusterName,
-- status (what ReflectStatus returned in that member), applied (omitempty: an apply failure has
-- no `applied` key at all), appliedMessage, health.
local values = require("values")

local M = {}

local generation = values.generation

-- The items that are tables, in Karmada's order (sorted by cluster name). `statusItems` is nil
-- while the binding has no status yet.
function M.list(statusItems)
  local out = {}
  if type(statusItems) ~= "table" then
    return out
  end
  for _, item in ipairs(statusItems) do
    if type(item) == "table" then
      out[#out + 1] = item
    end
  end
  return out
end

-- The cluster an item is for.
function M.cluster(item)
  local name = values.str(item.clusterName)
  if name == "" then
    return "(unnamed cluster)"
  end
  return name
end

-- Why the member's Work failed to apply, or nil. Karmada writes the Work's Applied message as
-- `appliedMessage` and omits `applied` (false); `applied: false` appears only in hand-written data.
function M.apply_failure(item)
  if item.applied == true then
    return nil
  end
  local msg = values.str(item.appliedMessage)
  if msg ~= "" then
    return msg
  end
  if item.applied == false then
    return "not applied"
  end
  return nil
end

-- Whether a reflected workload status shows the member's controller observed the member's latest
-- spec, and that spec is the template's current generation (the native rule,
-- pkg/resourceinterpreter/default/native/aggregatestatus.go, aggregateDeploymentStatus).
function M.observed(status, templateGeneration)
  return generation(status.observedGeneration) >= generation(status.generation)
    and generation(status.resourceTemplateGeneration) >= templateGeneration
end

return M
