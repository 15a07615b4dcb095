-- Shared by the opt-in Argo CD checks (Argo CD's default sandbox: base and table only).
local M = {}

-- A number field as Go's typed conversion reads it (absent: 0).
function M.num(v)
  if type(v) == "number" then
    return v
  end
  return 0
end

-- The first `Progressing` condition of a status, or nil.
function M.progressing(status)
  if type(status.conditions) ~= "table" then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if type(c) == "table" and c.type == "Progressing" then
      return c
    end
  end
  return nil
end

-- Whether a Progressing condition says a member cluster failed (our aggregation writes it with
-- status "False").
function M.member_failed(progressing)
  return progressing ~= nil and progressing.status == "False"
end

return M
