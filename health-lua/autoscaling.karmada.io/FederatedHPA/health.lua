-- FederatedHPA: Karmada's multi-cluster HPA; its status is an autoscaling/v2 HPA status, judged
-- with Argo CD's HPA rules plus the AbleToScale failures of Karmada's controller.
local common = require("common")
local hpa = require("kinds/horizontalpodautoscaler")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local status = common.tab(o.status) or EMPTY

local replicas = common.n(status.currentReplicas) .. "/" .. common.n(status.desiredReplicas) .. " replicas"
local verdict = hpa.by_conditions(status.conditions)
if verdict == nil then
  return { status = "Progressing", message = "waiting to autoscale (" .. replicas .. ")" }
end
return { status = verdict.status, message = common.with(replicas, common.describe(verdict)) }
