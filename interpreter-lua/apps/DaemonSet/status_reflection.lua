-- What a member DaemonSet reports to Karmada: exactly the native reflection (counters,
-- observedGeneration, generations).
local reflect = require("reflect")

local COUNTERS = {
  "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
  "numberReady", "updatedNumberScheduled", "numberUnavailable",
}

function ReflectStatus(observedObj)
  return reflect.workload(observedObj, COUNTERS, nil)
end
