-- MultiClusterIngress: healthy once its load balancer reports an ingress point, like Argo CD's
-- Ingress check; clusters whose traffic is blocked are named in the message.
local common = require("common")
local summary = require("summary")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

-- Blocked clusters by name (the list has no other order to keep), each once, at most
-- summary.MAX_NAMES of them named.
local blocked = {}
local seen = {}
for _, c in ipairs(common.list(status.trafficBlockClusters)) do
  local name = common.str(common.get(c, "name"))
  if name ~= nil and not seen[name] then
    seen[name] = true
    blocked[#blocked + 1] = name
  end
end
table.sort(blocked)
local suffix = ""
if #blocked > 0 then
  local take = #blocked
  if take > summary.MAX_NAMES then
    take = summary.MAX_NAMES
  end
  suffix = "; " .. summary.where("traffic blocked", blocked, take, #blocked, "clusters")
end

local ingress = common.tab(common.get(status.loadBalancer, "ingress"))
if ingress ~= nil and #ingress > 0 then
  return { status = "Healthy", message = "load balancer ready" .. suffix }
end
return { status = "Progressing", message = "waiting for load balancer" .. suffix }
