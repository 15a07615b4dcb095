-- MultiClusterService: exposes a Service across member clusters. Degraded when Karmada failed to
-- apply the Service or to dispatch its EndpointSlices; Progressing until the Service is applied.
local common = require("common")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

local applied = common.condition(status.conditions, "ServiceApplied")
local dispatched = common.condition(status.conditions, "EndpointSliceDispatched")
local function failure(c, what)
  return what .. ": " .. common.with(common.str(c.reason) or "unknown reason", common.text(c.message))
end
if applied ~= nil and applied.status == "False" then
  return { status = "Degraded", message = failure(applied, "service not applied") }
end
if dispatched ~= nil and dispatched.status == "False" then
  return { status = "Degraded", message = failure(dispatched, "endpoint slices not dispatched") }
end
if applied == nil or applied.status ~= "True" then
  return { status = "Progressing", message = "waiting for the service to be applied" }
end
local message = "service applied"
local ingress = common.tab(common.get(status.loadBalancer, "ingress"))
if ingress ~= nil and #ingress > 0 then
  message = "service applied; load balancer ready"
end
return { status = "Healthy", message = message }
