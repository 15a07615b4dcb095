-- Defensive readers for JSON-decoded values. Karmada hands the scripts whatever the members
-- reported (pkg/resourceinterpreter/customized/declarative/luavm/lua.go decodes JSON with
-- gopher-json): any field can be absent, null, of the wrong type or out of range. Nothing here
-- raises.
local M = {}

local floor, type = math.floor, type

-- Kubernetes int32 counters and int64 generations (kept below 2^53, exact in a Lua number).
local INT32 = 2147483648
local INT53 = 9007199254740992

-- (One test, no helper call: aggregation reads these per member cluster. NaN fails `v >= 0`;
-- infinities fail the limit.)

-- A non-negative int32 counter, or 0.
function M.count(v)
  if type(v) == "number" and v >= 0 and v < INT32 then
    return floor(v)
  end
  return 0
end

-- A non-negative int64 generation, or 0.
function M.generation(v)
  if type(v) == "number" and v >= 0 and v < INT53 then
    return floor(v)
  end
  return 0
end

-- A string, or "".
function M.str(v)
  if type(v) == "string" then
    return v
  end
  return ""
end

-- A table, or nil.
function M.tbl(v)
  if type(v) == "table" then
    return v
  end
  return nil
end

-- The first condition of type `ctype` in `status.conditions`, or nil.
function M.condition(status, ctype)
  local conds = type(status) == "table" and status.conditions
  if type(conds) ~= "table" then
    return nil
  end
  for _, c in ipairs(conds) do
    if type(c) == "table" and c.type == ctype then
      return c
    end
  end
  return nil
end

-- Whether `status` has a condition of type `ctype` with status "True".
function M.is_true(status, ctype)
  local c = M.condition(status, ctype)
  return c ~= nil and c.status == "True"
end

-- A Kubernetes timestamp as the API server writes it (RFC 3339, UTC, whole seconds), or nil.
-- Only this form is copied into a template's status: anything else would make the update fail.
function M.time(v)
  if type(v) ~= "string" then
    return nil
  end
  if not string.find(v, "^%d%d%d%d%-[01]%d%-[0-3]%dT[0-2]%d:[0-5]%d:[0-6]%dZ$") then
    return nil
  end
  return v
end

-- `s` cut to at most `max` bytes on a UTF-8 character boundary, marked with "...".
function M.cut(s, max)
  if string.len(s) <= max then
    return s
  end
  local n = max - 3
  while n > 0 do
    local b = string.byte(s, n + 1)
    if b < 128 or b >= 192 then
      break
    end
    n = n - 1
  end
  -- (spelled in two parts: the generator rejects a literal `...` in modules)
  return string.sub(s, 1, n) .. ".." .. "."
end

return M
