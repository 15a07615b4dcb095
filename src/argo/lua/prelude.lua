-- Builds a fresh global environment per evaluation with the libraries Argo CD's VM exposes
-- (util/lua/lua.go on gopher-lua). Runs once per Lua state; returns the environment factory.
local gofmt, go_tonumber, safe_os_time, safe_os_date, stderr_write, not_found, open_libs = ...

local G = _G
local next, type, setfenv, error, select = next, type, setfenv, error, select
local raw_tostring, raw_loadstring, raw_load = tostring, loadstring, load
local concat = table.concat

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

-- gopher-lua's base library (baselib.go), minus file access.
local base_names = {
  "assert", "collectgarbage", "error", "getfenv", "getmetatable", "next", "pcall",
  "rawequal", "rawget", "rawset", "select", "setfenv", "setmetatable", "type", "unpack",
  "xpcall", "ipairs", "pairs", "newproxy",
}
local base = {}
for i = 1, #base_names do base[base_names[i]] = G[base_names[i]] end

-- gopher-lua prints numbers with Go formatting: tostring(3) is "3", 1/0 is "+Inf".
local function tostring(v)
  if type(v) == "number" then return gofmt(v) end
  return raw_tostring(v)
end
base.tostring = tostring

-- gopher-lua's tonumber: base 10 parses with Go's ParseInt (no exponent, no overflow) unless
-- the text has a '.', then ParseFloat; "0x" switches to base 16 when no base is given.
base.tonumber = go_tonumber

base.print = function(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  stderr_write(concat(parts, "\t") .. "\n")
end

-- gopher-lua's table library has no foreach/foreachi/setn.
local table_lib = {
  concat = table.concat, insert = table.insert, remove = table.remove,
  sort = table.sort, getn = table.getn, maxn = table.maxn,
}

local safe_os = { time = safe_os_time, date = safe_os_date }
local function safe_os_loader() return copy(safe_os) end

local lua_path = "./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua"

local string_lib, math_lib, os_lib, coroutine_lib, string_meta
if open_libs then
  string_lib = string
  math_lib = math
  os_lib = { clock = os.clock, date = os.date, difftime = os.difftime, time = os.time }
  coroutine_lib = coroutine
  string_meta = getmetatable("")
end

return function(obj)
  local env = copy(base)
  env._G = env
  env._VERSION = "Lua 5.1"
  env._GOPHER_LUA_VERSION = "GopherLua 0.1"
  env.obj = obj
  env.actionParams = {}
  local tbl = copy(table_lib)
  env.table = tbl

  -- Argo re-opens `package` after the other libraries, so only _G and table are loaded and
  -- require("os") always finds the preloaded safe os.
  local loaded = { _G = env, table = tbl }
  local preload = { os = safe_os_loader }
  local package = {
    loaded = loaded, preload = preload, path = lua_path, cpath = "",
    config = "/\n;\n?\n!\n-\n",
  }
  env.package = package
  env.require = function(name)
    if type(name) ~= "string" and type(name) ~= "number" then
      error("bad argument #1 to require (string expected, got " .. type(name) .. ")", 2)
    end
    name = tostring(name)
    local m = loaded[name]
    if m then return m end
    local loader = type(package.preload) == "table" and package.preload[name]
    if not loader then error(not_found(name), 2) end
    local r = loader(name)
    if r == nil then r = loaded[name] or true end
    loaded[name] = r
    return r
  end

  local function chunk(f, err)
    if f then setfenv(f, env) end
    return f, err
  end
  env.loadstring = function(s, name) return chunk(raw_loadstring(s, "=" .. (name or "<string>"))) end
  env.load = function(f, name) return chunk(raw_load(f, "=" .. (name or "<string>"))) end

  if open_libs then
    local s = copy(string_lib)
    env.string = s
    string_meta.__index = s
    env.math = copy(math_lib)
    env.os = copy(os_lib)
    env.coroutine = copy(coroutine_lib)
  end
  return env
end
