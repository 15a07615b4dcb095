-- WorkloadRebalancer: a one-shot rescheduling of workloads. Healthy when every workload was
-- rebalanced, Degraded when one failed, Progressing until the controller reports.
local common = require("common")
local summary = require("summary")

local EMPTY = {}
local o = common.tab(obj) or EMPTY
local metadata = common.tab(o.metadata) or EMPTY
local status = common.tab(o.status) or EMPTY

local generation = common.num(metadata.generation)
local observed = common.num(status.observedGeneration)
if generation ~= nil and (observed == nil or observed < generation) then
  return { status = "Progressing", message = "rebalancer has not observed generation " .. common.n(generation) .. " yet" }
end

local ok = 0
local total = 0
local worst = "Healthy"
local bad = {}
for _, w in ipairs(common.list(status.observedWorkloads)) do
  if type(w) == "table" then
    total = total + 1
    local ref = common.tab(w.workload) or EMPTY
    local name = (common.str(ref.kind) or "?") .. " " .. (common.str(ref.name) or "?")
    if common.str(ref.namespace) ~= nil then
      name = (common.str(ref.kind) or "?") .. " " .. ref.namespace .. "/" .. (common.str(ref.name) or "?")
    end
    if w.result == "Successful" then
      ok = ok + 1
    elseif w.result == "Failed" then
      bad[#bad + 1] = { name = name, status = "Degraded", detail = "failed", reason = common.text(w.reason) }
      worst = "Degraded"
    else
      bad[#bad + 1] = { name = name, status = "Progressing", detail = "pending" }
      worst = common.worse(worst, "Progressing")
    end
  end
end
if total == 0 then
  return { status = "Progressing", message = "waiting for the rebalancer" }
end
local label = "workloads rebalanced"
if total == 1 then
  label = "workload rebalanced"
end
return { status = worst, message = summary.message(ok, total, label, {}, bad, "workloads") }
