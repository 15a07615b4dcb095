-- What a member DaemonSet reports to Karmada: exactly the native reflection (counters,
-- observedGeneration, generations).
local values = require("values")
local reflect = require("reflect")

local COUNTERS = {
  "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
  "numberReady", "updatedNumberScheduled", "numberUnavailable",
}

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
