-- Opt-in Argo CD health check for DaemonSet templates on karmada-apiserver. A Progressing=False
-- condition (written by our Karmada status aggregation when a member cluster failed) makes it
-- Degraded with the condition's message; otherwise it is Argo CD's built-in check
-- (gitops-engine pkg/health/health_daemonset.go, same statuses and messages).
-- Runs in Argo CD's default sandbox (base and table only).
local workload = require("workload")
local num = workload.num

local hs = {}
local status = obj.status or {}
local spec = obj.spec or {}
local meta = obj.metadata or {}

local progressing = workload.progressing(status)
if workload.member_failed(progressing) then
  return { status = "Degraded", message = progressing.message or "" }
end

if num(meta.generation) > num(status.observedGeneration) then
  hs.status = "Progressing"
  hs.message = "Waiting for rollout to finish: observed daemon set generation less than desired generation"
  return hs
end
local updated = num(status.updatedNumberScheduled)
local desired = num(status.desiredNumberScheduled)
local available = num(status.numberAvailable)
local strategy = spec.updateStrategy or {}
if strategy.type == "OnDelete" then
  hs.status = "Healthy"
  hs.message = "daemon set " .. updated .. " out of " .. desired .. " new pods have been updated"
  return hs
end
local name = meta.name or ""
if updated < desired then
  hs.status = "Progressing"
  hs.message = "Waiting for daemon set \"" .. name .. "\" rollout to finish: " .. updated .. " out of " .. desired .. " new pods have been updated..."
  return hs
end
if available < desired then
  hs.status = "Progressing"
  hs.message = "Waiting for daemon set \"" .. name .. "\" rollout to finish: " .. available .. " of " .. desired .. " updated pods are available..."
  return hs
end
hs.status = "Healthy"
hs.message = ""
return hs
