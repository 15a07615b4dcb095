-- What a member Deployment reports to Karmada: the native reflection's counters, observedGeneration
-- and generations, plus the conditions the template's aggregation reads (Progressing carries
-- ProgressDeadlineExceeded).
local values = require("values")
local reflect = require("reflect")

local COUNTERS = { "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas" }
local CONDITIONS = { Progressing = true, Available = true, ReplicaFailure = true }

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
  reflect.conditions(status, CONDITIONS, false, out)
  return out
end
