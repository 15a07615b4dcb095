-- What a member Deployment reports to Karmada: the native reflection's counters, observedGeneration
-- and generations, plus the conditions the template's aggregation reads (Progressing carries
-- ProgressDeadlineExceeded).
local reflect = require("reflect")

local COUNTERS = { "replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas" }
local CONDITIONS = { Progressing = true, Available = true, ReplicaFailure = true }

function ReflectStatus(observedObj)
  return reflect.workload(observedObj, COUNTERS, CONDITIONS)
end
