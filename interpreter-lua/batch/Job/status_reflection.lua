-- What a member Job reports to Karmada: exactly what native reflection keeps (active, succeeded,
-- failed, conditions, startTime, completionTime; reflectstatus.go reflectJobStatus). Timestamps
-- are kept only in the form the API server writes.
local values = require("values")
local reflect = require("reflect")

local COUNTERS = { "active", "succeeded", "failed" }

function ReflectStatus(observedObj)
  local out = {}
  local status = values.tbl(observedObj) and values.tbl(observedObj.status)
  if not status then
    return out
  end
  reflect.counters(status, COUNTERS, out)
  reflect.conditions(status, nil, true, out)
  out.startTime = values.time(status.startTime)
  out.completionTime = values.time(status.completionTime)
  return out
end
