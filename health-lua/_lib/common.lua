-- Shared helpers for every health check.
--
-- Argo CD runs health scripts without the string, math and os libraries, and hands over `obj` as
-- decoded JSON that may be malformed in any way. Every read therefore goes through a type guard,
-- and only base-library and table-library functions are used. Modules are inlined by
-- `argocd-karmada-plugin gen`: each module file returns one table and never uses varargs.
local M = {}

-- Argo CD's health order, best to worst (gitops-engine `health.IsWorse`).
M.RANK = { Healthy = 1, Suspended = 2, Progressing = 3, Missing = 4, Degraded = 5, Unknown = 6 }

local EMPTY = {}

function M.tab(v)
  if type(v) == "table" then
    return v
  end
  return nil
end

-- A table to iterate with ipairs: the value itself, or an empty table.
function M.list(v)
  if type(v) == "table" then
    return v
  end
  return EMPTY
end

-- Numbers only: Kubernetes never sends numbers as strings, so a string is treated as absent
-- (tonumber differs between Lua dialects for inputs such as "5e2").
function M.num(v)
  if type(v) == "number" then
    return v
  end
  return nil
end

function M.str(v)
  if type(v) == "string" then
    return v
  end
  return nil
end

-- A non-empty string, or nil.
function M.text(v)
  if type(v) == "string" and v ~= "" then
    return v
  end
  return nil
end

-- A number for a message; absent numbers print as 0, as Go prints an unset int32.
function M.n(v)
  if type(v) == "number" then
    return tostring(v)
  end
  return "0"
end

-- The field `key` of `t` when `t` is a table.
function M.get(t, key)
  if type(t) == "table" then
    return t[key]
  end
  return nil
end

-- The first condition of type `ctype` in a conditions list, or nil.
function M.condition(conditions, ctype)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == ctype then
      return c
    end
  end
  return nil
end

-- The worse of two health codes.
function M.worse(a, b)
  local ra = M.RANK[a]
  local rb = M.RANK[b]
  if ra == nil then
    return b
  end
  if rb == nil or rb <= ra then
    return a
  end
  return b
end

-- The verdict of a healthy member (shared: its detail is never shown, so none is built).
M.HEALTHY = { status = "Healthy" }

-- One verdict: a health code, a short detail ("1/3 available", "apply failed") and the text behind
-- it (an appliedMessage, a condition message); both may be nil. Members whose verdicts have the
-- same status, detail and reason are grouped in summary messages.
function M.verdict(status, detail, reason)
  return { status = status, detail = detail, reason = M.text(reason) }
end

-- A verdict as one text: `detail[: reason]` (nil without a detail).
function M.describe(v)
  if v.detail == nil then
    return nil
  end
  return M.with(v.detail, v.reason)
end

-- Joins `prefix: text` when text is non-empty.
function M.with(prefix, text)
  if type(text) == "string" and text ~= "" then
    return prefix .. ": " .. text
  end
  return prefix
end

-- Karmada's coarse per-member `health` (Healthy | Unhealthy | Unknown) as an Argo CD verdict.
function M.from_karmada_health(health)
  if health == "Healthy" then
    return M.HEALTHY
  end
  if health == "Unhealthy" then
    return M.verdict("Degraded", "unhealthy")
  end
  return M.verdict("Progressing", "health not reported yet")
end

return M
