-- The message of every check that summarises many members (clusters, manifests, rules, ...):
--
--   <ok>/<total> <label>[; note]...[; group]...[; +N more]
--
-- Members with the same status and the same reason form one group, so a CRD missing on 150 clusters
-- reads `apply failed on 150 clusters (a, b, ..., +140 more): <reason>`; a group of one reads
-- `a: <reason>`. Groups come worst status first, then largest first, then in order of first
-- appearance; names keep input order. The order never depends on `pairs` (gopher-lua and LuaJIT
-- iterate differently, and Argo CD's `obj` key order is random).
local common = require("common")

local M = {}

-- Names shown per group; the rest of the group is counted as `+K more`.
M.MAX_NAMES = 10
-- The message stays within this many bytes: a group that does not fit is shown with as many names
-- as fit (at least one) and ends the list, and a group of which not even one name fits is left out;
-- the groups after the last one shown are counted in the final `+N more`. The count, the notes and
-- the first group are always shown, whole: the sandbox has no string library to cut a reason text.
M.MAX_CHARS = 1000

-- Health codes from worst to best (gitops-engine `health.IsWorse` order, reversed).
local WORST_FIRST = { "Unknown", "Degraded", "Missing", "Progressing", "Suspended", "Healthy" }

-- Larger groups first; first appearance breaks ties, so the order is total and the same in every
-- Lua implementation (table.sort is not stable).
local function before(a, b)
  if a.count ~= b.count then
    return a.count > b.count
  end
  return a.first < b.first
end

-- Groups `bad` ({ name, status, detail, reason } with detail and reason optional) by status, detail
-- and reason, in message order. Linear in #bad (plus sorting the groups of each status).
function M.groups(bad)
  local buckets = {}
  local statuses = {}
  local index = {}
  for i, e in ipairs(bad) do
    local status = common.str(e.status) or "Unknown"
    local detail = common.text(e.detail) or status
    local reason = common.text(e.reason)
    local bucket = buckets[status]
    if bucket == nil then
      bucket = {}
      buckets[status] = bucket
      index[status] = {}
      statuses[#statuses + 1] = status
    end
    -- index[status][detail] = { plain = group without reason, by = { [reason] = group } }
    local slot = index[status][detail]
    if slot == nil then
      slot = { by = {} }
      index[status][detail] = slot
    end
    local g = nil
    if reason == nil then
      g = slot.plain
    else
      g = slot.by[reason]
    end
    if g == nil then
      g = { status = status, detail = detail, reason = reason, names = {}, count = 0, first = i }
      if reason == nil then
        slot.plain = g
      else
        slot.by[reason] = g
      end
      bucket[#bucket + 1] = g
    end
    g.count = g.count + 1
    if #g.names < M.MAX_NAMES then
      g.names[#g.names + 1] = common.str(e.name) or "?"
    end
  end

  -- Codes outside Argo CD's list (none expected) go last, in order of appearance.
  local order = {}
  for _, status in ipairs(WORST_FIRST) do
    order[#order + 1] = status
  end
  for _, status in ipairs(statuses) do
    if common.RANK[status] == nil then
      order[#order + 1] = status
    end
  end
  local ordered = {}
  for _, status in ipairs(order) do
    local bucket = buckets[status]
    if bucket ~= nil then
      table.sort(bucket, before)
      for _, g in ipairs(bucket) do
        ordered[#ordered + 1] = g
      end
    end
  end
  return ordered
end

-- `a, b, +K more`: the first `take` of `names`, of `count` in all.
function M.names(names, take, count)
  local shown = {}
  for i = 1, take do
    shown[i] = names[i]
  end
  local text = table.concat(shown, ", ")
  if count > take then
    text = text .. ", +" .. tostring(count - take) .. " more"
  end
  return text
end

-- `<what> on <name>` for one, `<what> on N <noun> (a, b, +K more)` for more, at most `take` names.
function M.where(what, names, take, count, noun)
  if count == 1 then
    return what .. " on " .. names[1]
  end
  return what .. " on " .. tostring(count) .. " " .. noun .. " (" .. M.names(names, take, count) .. ")"
end

-- One group with at most `take` names: `a: detail[: reason]` or
-- `detail on N <noun> (a, b, +K more)[: reason]`.
local function render(g, take, noun)
  if g.count == 1 then
    return common.with(g.names[1] .. ": " .. g.detail, g.reason)
  end
  return common.with(M.where(g.detail, g.names, take, g.count, noun), g.reason)
end

-- `<ok>/<total> <label>[; note]...[; group]...[; +N more]`; `noun` names the members of a group
-- ("clusters"). `notes` are shown in order before the groups.
function M.message(ok, total, label, notes, bad, noun)
  local parts = { tostring(ok) .. "/" .. tostring(total) .. " " .. label }
  local length = #parts[1]
  for _, note in ipairs(notes) do
    parts[#parts + 1] = note
    length = length + 2 + #note
  end
  local left = #bad
  for i, g in ipairs(M.groups(bad)) do
    local take = #g.names
    local text = render(g, take, noun)
    -- Keep room for the `; +N more` that would count the groups after this one.
    local reserve = 0
    if left > g.count then
      reserve = 8 + #tostring(left - g.count)
    end
    while take > 1 and length + 2 + #text + reserve > M.MAX_CHARS do
      take = take - 1
      text = render(g, take, noun)
    end
    if i > 1 and length + 2 + #text + reserve > M.MAX_CHARS then
      break
    end
    parts[#parts + 1] = text
    length = length + 2 + #text
    left = left - g.count
    -- A group cut short ends the list: no better group is named while names of this one are left out.
    if take < #g.names then
      break
    end
  end
  if left > 0 then
    parts[#parts + 1] = "+" .. tostring(left) .. " more"
  end
  return table.concat(parts, "; ")
end

return M
