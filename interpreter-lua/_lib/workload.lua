-- statusAggregation for apps/v1 workloads (Deployment, StatefulSet, DaemonSet).
--
-- Counters: the sums Karmada's native aggregation writes
-- (pkg/resourceinterpreter/default/native/aggregatestatus.go). Each member's counters are first
-- held to the rules kube-apiserver checked on the member itself (non-negative int32, and the
-- kind's `member` invariants), so sums of real statuses are the native sums and sums of
-- malformed ones still pass the template's status validation.
--
-- observedGeneration: the template's generation once every item observed it (the native per-item
-- rule) or, for kinds with `settle_failures`, definitively failed (apply failure, or the kind's
-- `failure` rule). Otherwise it keeps the old value, as native does. Deployment settles failures
-- because Argo CD reads its conditions only once the generation is observed; StatefulSet and
-- DaemonSet do not, so Argo CD's built-in checks (which cannot say Degraded) stay Progressing
-- instead of judging the healthy clusters alone. AggregateStatus never sees the binding's target list,
-- so "every item" is all it can know; a target with no item yet is invisible here, but Karmada
-- creates the item (health Unknown) as soon as the Work exists.
--
-- conditions: one `Progressing` condition with status "False", reason `reason`, naming each
-- failed cluster; no condition at all when none failed. The status is rebuilt from these fields
-- only, so nothing stale or invalid survives from an older write.
local values = require("values")
local items = require("items")
local report = require("report")

local M = {}

-- `kind`: { counters = {names}, member = function(status) -> sanitized counters,
--           failure = function(status) -> reason or nil (optional), reason = "...",
--           settle_failures = bool, finish = function(desiredObj, list, out) (optional) }
function M.aggregate(desiredObj, statusItems, kind)
  local meta = values.tbl(desiredObj.metadata) or {}
  local generation = values.generation(meta.generation)
  local old = values.tbl(desiredObj.status) or {}
  local sums = {}
  for _, name in ipairs(kind.counters) do
    sums[name] = 0
  end
  local list = items.list(statusItems)
  local settled = 0
  local bad = report.new()
  for _, item in ipairs(list) do
    local status = values.tbl(item.status)
    if status then
      local member = kind.member(status)
      for _, name in ipairs(kind.counters) do
        sums[name] = sums[name] + member[name]
      end
    end
    local failure = items.apply_failure(item)
    if failure then
      if kind.settle_failures then
        settled = settled + 1
      end
      report.add(bad, items.cluster(item), "apply failed: " .. failure)
    elseif status and items.observed(status, generation) then
      settled = settled + 1
      if kind.failure then
        local why = kind.failure(status)
        if why then
          report.add(bad, items.cluster(item), why)
        end
      end
    end
  end
  local out = {}
  for _, name in ipairs(kind.counters) do
    out[name] = math.min(sums[name], 2147483647)
  end
  out.observedGeneration = values.generation(old.observedGeneration)
  if settled == #list then
    out.observedGeneration = generation
  end
  if bad.n > 0 then
    out.conditions = {
      { type = "Progressing", status = "False", reason = kind.reason, message = report.message(bad, #list) },
    }
  end
  if kind.finish then
    kind.finish(desiredObj, list, out, generation)
  end
  desiredObj.status = out
  return desiredObj
end

-- Counters of one member, each a non-negative int32.
function M.counts(status, names)
  local c = {}
  for _, name in ipairs(names) do
    c[name] = values.count(status[name])
  end
  return c
end

return M
