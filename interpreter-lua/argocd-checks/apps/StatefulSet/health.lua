-- Opt-in Argo CD health check for StatefulSet templates on karmada-apiserver. It reads the
-- conditions our Karmada status aggregation writes, and otherwise is Argo CD's built-in check
-- (gitops-engine pkg/health/health_statefulset.go, same statuses and messages):
-- - Progressing=False (a member cluster failed): Degraded with the condition's message;
-- - Progressing=True, reason PartitionRolledOut: every member finished its partitioned rollout,
--   so the template's partition rule (unreachable with divided replicas) counts as met.
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

local observed = num(status.observedGeneration)
if observed == 0 or num(meta.generation) > observed then
  hs.status = "Progressing"
  hs.message = "Waiting for statefulset spec update to be observed..."
  return hs
end
local ready = num(status.readyReplicas)
if spec.replicas ~= nil and ready < num(spec.replicas) then
  hs.status = "Progressing"
  hs.message = "Waiting for " .. (num(spec.replicas) - ready) .. " pods to be ready..."
  return hs
end
local strategy = spec.updateStrategy or {}
local updated = num(status.updatedReplicas)
if strategy.type == "RollingUpdate" and strategy.rollingUpdate ~= nil then
  local rolling = strategy.rollingUpdate
  local rolledOut = progressing ~= nil and progressing.status == "True" and progressing.reason == "PartitionRolledOut"
  if spec.replicas ~= nil and rolling.partition ~= nil and not rolledOut then
    local want = num(spec.replicas) - num(rolling.partition)
    if updated < want then
      hs.status = "Progressing"
      hs.message = "Waiting for partitioned roll out to finish: " .. updated .. " out of " .. want .. " new pods have been updated..."
      return hs
    end
  end
  hs.status = "Healthy"
  hs.message = "partitioned roll out complete: " .. updated .. " new pods have been updated..."
  return hs
end
if strategy.type == "OnDelete" then
  hs.status = "Healthy"
  hs.message = "statefulset has " .. ready .. " ready pods"
  return hs
end
local updateRevision = status.updateRevision or ""
local currentRevision = status.currentRevision or ""
if updateRevision ~= currentRevision then
  hs.status = "Progressing"
  hs.message = "waiting for statefulset rolling update to complete " .. updated .. " pods at revision " .. updateRevision .. "..."
  return hs
end
hs.status = "Healthy"
hs.message = "statefulset rolling update complete " .. num(status.currentReplicas) .. " pods at revision " .. currentRevision .. "..."
return hs
