-- networking.k8s.io/Ingress, judged like gitops-engine's Ingress check: healthy once the
-- member's load balancer reports an ingress point.
local common = require("common")

local M = {}

M.types = { "networking.k8s.io/v1/Ingress", "networking.k8s.io/v1beta1/Ingress", "extensions/v1beta1/Ingress" }

function M.judge(status, ctx)
  local ingress = common.tab(common.get(status.loadBalancer, "ingress"))
  if ingress ~= nil and #ingress > 0 then
    return common.verdict("Healthy", "load balancer ready")
  end
  return common.verdict("Progressing", "waiting for load balancer")
end

return M
