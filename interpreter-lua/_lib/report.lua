-- The message of an aggregated condition: how many clusters are bad, then each with its reason,
-- cut short with "+N more" so the condition stays readable with hundreds of clusters.
local values = require("values")

local M = {}

local NAMED = 3
local REASON_BYTES = 200

function M.new()
  return { n = 0, parts = {} }
end

function M.add(r, cluster, reason)
  r.n = r.n + 1
  if r.n <= NAMED then
    r.parts[r.n] = cluster .. ": " .. values.cut(reason, REASON_BYTES)
  end
end

-- e.g. "2 of 5 clusters failed: member1: ...; member4: ..." (`total`: items seen).
function M.message(r, total)
  local msg = r.n .. " of " .. total .. " clusters failed: " .. table.concat(r.parts, "; ")
  if r.n > NAMED then
    msg = msg .. "; +" .. (r.n - NAMED) .. " more"
  end
  return msg
end

return M
