-- The template StatefulSet's status: native sums; observedGeneration advances once every cluster
-- observed the template's generation (native never advances it: it drops the members'
-- observedGeneration); a Progressing=False condition (reason MemberClusterFailed) names each
-- cluster whose apply failed.
--
-- Partitioned rollouts: Karmada copies `partition` unchanged to every member, so the summed
-- updatedReplicas can never reach the template's `replicas - partition` when replicas are divided.
-- Once every member reached its own `replicas - partition` on the current generation, a
-- Progressing=True condition with reason PartitionRolledOut says so (our opt-in Argo CD check
-- reads it).
local values = require("values")
local workload = require("workload")

local COUNTERS = { "availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas" }

local count = values.count

-- One member's counters held to kube-apiserver's rules for a StatefulSetStatus
-- (pkg/apis/apps/validation ValidateStatefulSetStatus): ready, current and updated at most
-- replicas; available at most ready. Returns replicas, ready, current, updated, available.
local function member(status)
  local replicas = count(status.replicas)
  local ready = math.min(count(status.readyReplicas), replicas)
  local current = math.min(count(status.currentReplicas), replicas)
  local updated = math.min(count(status.updatedReplicas), replicas)
  return replicas, ready, current, updated, math.min(count(status.availableReplicas), ready)
end

local function add(status, sums)
  local replicas, ready, current, updated, available = member(status)
  sums.replicas = sums.replicas + replicas
  sums.readyReplicas = sums.readyReplicas + ready
  sums.currentReplicas = sums.currentReplicas + current
  sums.updatedReplicas = sums.updatedReplicas + updated
  sums.availableReplicas = sums.availableReplicas + available
end

local function partition_rolled_out(desiredObj, list, out, generation)
  local spec = values.tbl(desiredObj.spec) or {}
  local strategy = values.tbl(spec.updateStrategy) or {}
  local rolling = values.tbl(strategy.rollingUpdate)
  if strategy.type ~= "RollingUpdate" or not rolling or type(rolling.partition) ~= "number" then
    return
  end
  if out.conditions or out.observedGeneration ~= generation or #list == 0 then
    return
  end
  local partition = values.count(rolling.partition)
  for _, item in ipairs(list) do
    local status = values.tbl(item.status)
    if not status then
      return
    end
    local replicas, _, _, updated = member(status)
    if updated < replicas - partition then
      return
    end
  end
  out.conditions = {
    {
      type = "Progressing",
      status = "True",
      reason = "PartitionRolledOut",
      message = "partitioned roll out complete in all " .. #list .. " clusters",
    },
  }
end

local KIND = {
  counters = COUNTERS,
  add = add,
  reason = "MemberClusterFailed",
  finish = partition_rolled_out,
}

function AggregateStatus(desiredObj, statusItems)
  return workload.aggregate(desiredObj, statusItems, KIND)
end
