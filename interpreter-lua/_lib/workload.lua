-- statusAggregation for apps/v1 workloads (Deployment, StatefulSet, DaemonSet).
--
-- Counters: the sums Karmada's native aggregation writes
-- (pkg/resourceinterpreter/default/native/aggregatestatus.go). Each member's counters are first
-- held to the rules kube-apiserver checked on the member itself (non-negative int32, and the
-- invariants the kind's `add` applies), so sums of real statuses are the native sums and sums of
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

-- Locals for what the per-member loop calls: a global or module field costs a lookup per use.
local type = type
local apply_failure, observed, cluster = items.apply_failure, items.observed, items.cluster

-- `kind`: { counters = {names},
--           add = function(status, sums): adds the member's counters, each held to the kind's
--             rules, to `sums` (keyed by counter name),
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
  local add, failure, settle_failures = kind.add, kind.failure, kind.settle_failures
  local total, settled = 0, 0
  local bad = report.new()
  -- The items as ipairs walks them (up to the first nil), without its call per item.
  local i, item = 1, nil
  if type(statusItems) == "table" then
    item = statusItems[1]
  end
  while item ~= nil do
    if type(item) == "table" then
      total = total + 1
      local status = item.status
      if type(status) ~= "table" then
        status = nil
      else
        add(status, sums)
      end
      local failed = item.applied ~= true and apply_failure(item)
      if failed then
        if settle_failures then
          settled = settled + 1
        end
        report.add(bad, cluster(item), "apply failed: " .. failed)
      elseif status and observed(status, generation) then
        settled = settled + 1
        if failure then
          local why = failure(status)
          if why then
            report.add(bad, cluster(item), why)
          end
        end
      end
    end
    i = i + 1
    item = statusItems[i]
  end
  local out = {}
  for _, name in ipairs(kind.counters) do
    out[name] = math.min(sums[name], 2147483647)
  end
  out.observedGeneration = values.generation(old.observedGeneration)
  if settled == total then
    out.observedGeneration = generation
  end
  if bad.n > 0 then
    out.conditions = {
      { type = "Progressing", status = "False", reason = kind.reason, message = report.message(bad, total) },
    }
  end
  if kind.finish then
    kind.finish(desiredObj, items.list(statusItems), out, generation)
  end
  desiredObj.status = out
  return desiredObj
end

return M
