-- What a member StatefulSet reports to Karmada: the native reflection's counters and generations,
-- plus observedGeneration, which native reflection drops (so native aggregation can never tell
-- that a member observed the template's generation).
local values = require("values")
local reflect = require("reflect")

local COUNTERS = { "availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas" }

function ReflectStatus(observedObj)
  local out = {}
  local status = values.tbl(observedObj) and values.tbl(observedObj.status)
  if not status then
    return out
  end
  reflect.counters(status, COUNTERS, out)
  local observed = values.generation(status.observedGeneration)
  if observed > 0 then
    out.observedGeneration = observed
  end
  reflect.generations(observedObj, out)
  return out
end
