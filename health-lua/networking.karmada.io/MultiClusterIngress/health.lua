-- MultiClusterIngress: healthy once its load balancer reports an ingress point, like Argo CD's
-- Ingress check; clusters whose traffic is blocked are named in the message.
local common = require("common")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

local blocked = {}
for _, c in ipairs(common.list(status.trafficBlockClusters)) do
  local name = common.str(common.get(c, "name"))
  if name ~= nil then
    blocked[#blocked + 1] = name
  end
end
table.sort(blocked)
local suffix = ""
if #blocked > 0 then
  suffix = "; traffic blocked: " .. table.concat(blocked, ", ")
end

local ingress = common.tab(common.get(status.loadBalancer, "ingress"))
if ingress ~= nil and #ingress > 0 then
  return { status = "Healthy", message = "load balancer ready" .. suffix }
end
return { status = "Progressing", message = "waiting for load balancer" .. suffix }
