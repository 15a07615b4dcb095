-- What a member StatefulSet reports to Karmada: the native reflection's counters and generations,
-- plus observedGeneration, which native reflection drops (so native aggregation can never tell
-- that a member observed the template's generation).
local reflect = require("reflect")

local COUNTERS = { "availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas" }

function ReflectStatus(observedObj)
  return reflect.workload(observedObj, COUNTERS, nil)
end
