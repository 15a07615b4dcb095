-- v1/Service, judged like gitops-engine's Service check. Karmada reflects a member Service's
-- status only for type LoadBalancer (`{loadBalancer: {ingress}}`), so any reflected status is a load
-- balancer waiting for, or having, an ingress point.
local common = require("common")

local M = {}

M.types = { "v1/Service" }

function M.judge(status, ctx)
  local ingress = common.tab(common.get(status.loadBalancer, "ingress"))
  if ingress ~= nil and #ingress > 0 then
    return common.verdict("Healthy", "load balancer ready")
  end
  return common.verdict("Progressing", "waiting for load balancer")
end

return M
