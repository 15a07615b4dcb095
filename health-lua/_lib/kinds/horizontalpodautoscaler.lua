-- autoscaling/HorizontalPodAutoscaler. gitops-engine judges an HPA by its conditions, but Karmada
-- reflects only currentReplicas and desiredReplicas per member. With conditions (kept by a
-- statusReflection customization) Argo CD's rules apply; without them, a member is Healthy when
-- it runs the replicas it wants and Progressing while it scales.
local common = require("common")

local M = {}

M.types = { "autoscaling/v2/HorizontalPodAutoscaler", "autoscaling/v2beta2/HorizontalPodAutoscaler", "autoscaling/v2beta1/HorizontalPodAutoscaler", "autoscaling/v1/HorizontalPodAutoscaler" }

-- Argo CD's Degraded (type, reason) pairs, plus the AbleToScale failures of Karmada's
-- FederatedHPA controller.
M.DEGRADED = {
  AbleToScale = { FailedGetScale = true, FailedUpdateScale = true, FailedGetBinding = true, FailedGetTargetClusters = true, FailedGetScaleTargetRef = true },
  ScalingActive = {
    FailedGetResourceMetric = true,
    FailedGetObjectMetric = true,
    FailedGetPodsMetric = true,
    FailedGetExternalMetric = true,
    FailedComputeMetricsReplicas = true,
    InvalidSelector = true,
    AmbiguousSelector = true,
  },
}

-- Argo CD's HPA rules over a conditions list; nil when there are no usable conditions.
function M.by_conditions(conditions)
  local list = common.tab(conditions)
  if list == nil or #list == 0 then
    return nil
  end
  for _, c in ipairs(list) do
    if type(c) == "table" and type(c.type) == "string" and type(c.reason) == "string" then
      local reasons = M.DEGRADED[c.type]
      if reasons ~= nil and reasons[c.reason] then
        return common.verdict("Degraded", c.reason, common.text(c.message))
      end
    end
  end
  for _, c in ipairs(list) do
    if type(c) == "table" and (c.type == "AbleToScale" or c.type == "ScalingLimited") and c.status == "True" then
      return common.verdict("Healthy", common.text(c.message))
    end
  end
  return common.verdict("Progressing", "waiting to autoscale")
end

function M.judge(status, replicas)
  local verdict = M.by_conditions(status.conditions)
  if verdict ~= nil then
    return verdict
  end
  local current = common.num(status.currentReplicas)
  local desired = common.num(status.desiredReplicas)
  if current == nil or desired == nil then
    return common.verdict("Progressing", "waiting to autoscale")
  end
  if current ~= desired then
    return common.verdict("Progressing", "scaling " .. common.n(current) .. " -> " .. common.n(desired) .. " replicas")
  end
  return common.HEALTHY
end

return M
