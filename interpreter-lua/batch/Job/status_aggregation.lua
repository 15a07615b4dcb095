-- The template Job's status, always one kube-apiserver accepts (pkg/apis/batch/validation
-- validateJobStatus and ValidateJobStatusUpdate; Karmada's native aggregation breaks them,
-- karmada#7844):
-- - active, succeeded, failed: native sums; succeeded and failed never decrease.
-- - A cluster failed (its Job has Failed=True, or its apply failed): FailureTarget=True naming
--   each failed cluster; once no pod is active anywhere, Failed=True too (kube requires
--   FailureTarget with Failed, and no active pods in a finished Job). FailureTarget stays once set.
-- - Every cluster has Complete=True: Complete=True with SuccessCriteriaMet=True and
--   completionTime, the latest member's.
-- - Every reported cluster suspended: Suspended=True (Argo CD shows Suspended).
-- - startTime: the template's, else the earliest member's once all started (native), else for a
--   finished Job the template's creationTimestamp. A finished template is never rewritten.
local values = require("values")
local items = require("items")
local report = require("report")

local function has_true(conditions, ctype)
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == ctype and c.status == "True" then
      return true
    end
  end
  return false
end

local function condition(ctype, reason, message)
  return { type = ctype, status = "True", reason = reason, message = message }
end

function AggregateStatus(desiredObj, statusItems)
  local old = values.tbl(desiredObj.status) or {}
  local oldConditions = values.tbl(old.conditions) or {}
  if has_true(oldConditions, "Complete") or has_true(oldConditions, "Failed") then
    return desiredObj
  end
  local list = items.list(statusItems)
  local active, succeeded, failed = 0, 0, 0
  local complete, suspended, reported, started = 0, 0, 0, 0
  local earliestStart, latestCompletion = nil, nil
  local bad = report.new()
  for _, item in ipairs(list) do
    local status = values.tbl(item.status)
    local failure = items.apply_failure(item)
    if failure then
      report.add(bad, items.cluster(item), "apply failed: " .. failure)
    end
    if status then
      reported = reported + 1
      active = active + values.count(status.active)
      succeeded = succeeded + values.count(status.succeeded)
      failed = failed + values.count(status.failed)
      local memberFailed = values.condition(status, "Failed")
      if memberFailed and memberFailed.status == "True" then
        if not failure then
          local why = values.str(memberFailed.reason)
          if why == "" then
            why = "Failed"
          end
          local message = values.str(memberFailed.message)
          if message ~= "" then
            why = why .. ": " .. message
          end
          report.add(bad, items.cluster(item), why)
        end
      elseif values.is_true(status, "Complete") then
        complete = complete + 1
      end
      if values.is_true(status, "Suspended") then
        suspended = suspended + 1
      end
      local start = values.time(status.startTime)
      if start then
        started = started + 1
        if earliestStart == nil or start < earliestStart then
          earliestStart = start
        end
      end
      local completion = values.time(status.completionTime)
      if completion and (latestCompletion == nil or completion > latestCompletion) then
        latestCompletion = completion
      end
    end
  end

  local out = {
    active = math.min(active, 2147483647),
    succeeded = math.max(math.min(succeeded, 2147483647), values.count(old.succeeded)),
    failed = math.max(math.min(failed, 2147483647), values.count(old.failed)),
  }
  out.startTime = values.time(old.startTime)
  if out.startTime == nil and started == #list and started > 0 then
    out.startTime = earliestStart
  end
  local finishStart = out.startTime or earliestStart
  if finishStart == nil then
    finishStart = values.time((values.tbl(desiredObj.metadata) or {}).creationTimestamp)
  end

  local conditions = {}
  local oldTarget = values.condition(old, "FailureTarget")
  if bad.n > 0 or (oldTarget and oldTarget.status == "True") then
    local message = values.str(oldTarget and oldTarget.message)
    if bad.n > 0 then
      message = report.message(bad, #list)
    end
    conditions[#conditions + 1] = condition("FailureTarget", "MemberClusterFailed", message)
    if out.active == 0 and finishStart then
      conditions[#conditions + 1] = condition("Failed", "MemberClusterFailed", message)
      out.startTime = finishStart
    end
  elseif complete == #list and complete > 0 and out.active == 0 and finishStart then
    out.startTime = finishStart
    local completion = latestCompletion
    if completion == nil or completion < finishStart then
      completion = finishStart
    end
    out.completionTime = completion
    conditions[#conditions + 1] = condition("SuccessCriteriaMet", "CompletionsReached", "Job completed in all " .. #list .. " clusters")
    conditions[#conditions + 1] = condition("Complete", "Completed", "Job completed in all " .. #list .. " clusters")
  elseif suspended == reported and reported > 0 then
    conditions[#conditions + 1] = condition("Suspended", "JobSuspended", "Job suspended in all " .. reported .. " clusters")
  end
  if #conditions > 0 then
    out.conditions = conditions
  end
  desiredObj.status = out
  return desiredObj
end
