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

-- One verdict: a health code and a short detail ("1/3 available"), detail may be nil.
function M.verdict(status, detail)
  return { status = status, detail = detail }
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
    return M.verdict("Healthy", nil)
  end
  if health == "Unhealthy" then
    return M.verdict("Degraded", "unhealthy")
  end
  return M.verdict("Progressing", "health not reported yet")
end

-- Limits of a summary message: at most this many named entries, and stop naming once the
-- message is this long (the full count is always given first).
M.MAX_NAMED = 5
M.MAX_CHARS = 240

-- Builds `<ok>/<total> <label>[; note][; name: detail][; +N more]`, e.g. with the label
-- "clusters healthy".
-- `bad` is a list of { name = string, status = code, detail = string|nil }; it is sorted here,
-- worst first, then by name, so the message never depends on input or table order.
function M.summary(ok, total, label, notes, bad)
  local parts = { tostring(ok) .. "/" .. tostring(total) .. " " .. label }
  local length = #parts[1]
  for _, note in ipairs(notes) do
    parts[#parts + 1] = note
    length = length + 2 + #note
  end
  table.sort(bad, function(a, b)
    local ra = M.RANK[a.status]
    local rb = M.RANK[b.status]
    if ra ~= rb then
      return ra > rb
    end
    return a.name < b.name
  end)
  local named = 0
  for _, e in ipairs(bad) do
    if named >= M.MAX_NAMED or (named > 0 and length >= M.MAX_CHARS) then
      break
    end
    local line = e.name .. ": " .. e.status
    if e.detail ~= nil then
      line = e.name .. ": " .. e.detail
    end
    parts[#parts + 1] = line
    length = length + 2 + #line
    named = named + 1
  end
  if named < #bad then
    parts[#parts + 1] = "+" .. tostring(#bad - named) .. " more"
  end
  return table.concat(parts, "; ")
end

return M
