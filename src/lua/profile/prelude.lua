-- Builds a fresh global environment per run with the libraries a Go host's gopher-lua VM
-- exposes: Argo CD's (util/lua/lua.go; `mode` "argo" or "argo-open-libs") or Karmada's
-- (luavm/lua.go; `mode` "karmada"). Runs once per Lua state; returns the environment factory.
-- The host adds its own globals (Argo CD's `obj`) to each environment.
local gofmt, go_tonumber, safe_os_time, safe_os_date, stderr_write, not_found, mode, kube = ...
local open_libs = mode == "argo-open-libs"
local karmada = mode == "karmada"

local G = _G
local setmetatable_any, getinfo = debug.setmetatable, debug.getinfo
G.debug = nil
local next, type, setfenv, error, select = next, type, setfenv, error, select
local raw_getfenv, raw_setfenv = getfenv, setfenv
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

-- gopher-lua's error(msg, level): the position comes from frame `level - 1` counted from
-- `error` itself, skipping Go (here: C) frames; non-string values get no position.
local raw_error = error
base.error = function(msg, level)
  if type(level) ~= "number" then level = 1 end
  if type(msg) ~= "string" or level <= 0 then raw_error(msg, 0) end
  local k = level < 2 and 2 or level
  local info = getinfo(k, "Sl")
  while info and info.what == "C" do
    k = k + 1
    info = getinfo(k, "Sl")
  end
  local where = ""
  if info then where = info.short_src .. ":" .. info.currentline .. ":" end
  raw_error(where .. " " .. msg, 0)
end

base.getmetatable = function(v)
  local t = type(v)
  if t == "table" or t == "userdata" or (t == "string" and open_libs) then
    return getmetatable(v)
  end
  return nil
end
local function no_files(name)
  return function() error(name .. ": file access is disabled in this VM", 2) end
end
base.dofile = no_files("dofile")
base.loadfile = no_files("loadfile")
base.module = function() error("module: not supported in this VM", 2) end

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

local string_lib, math_lib, os_lib, coroutine_lib
if open_libs or karmada then
  string_lib = copy(string)
  -- gopher-lua's string.rep has no separator argument (a LuaJIT/5.2 extension).
  local raw_rep = string.rep
  string_lib.rep = function(s, n) return raw_rep(s, n) end
  -- Go's Sprintf prints a number given to %s in Go's format, as tostring() does here.
  local raw_format, sfind, ssub = string.format, string.find, string.sub
  string_lib.format = function(fmt, ...)
    local args = { ... }
    local n = select("#", ...)
    if type(fmt) == "string" then
      local i, argi = 1, 0
      while true do
        local s, e = sfind(fmt, "%%[-+ #0]*%d*%.?%d*[%a%%]", i)
        if not s then break end
        local conv = ssub(fmt, e, e)
        if conv ~= "%" then
          argi = argi + 1
          if conv == "s" and type(args[argi]) == "number" then args[argi] = gofmt(args[argi]) end
        end
        i = e + 1
      end
    end
    return raw_format(fmt, unpack(args, 1, n))
  end
end
if open_libs then
  math_lib = math
  os_lib = { clock = os.clock, date = os.date, difftime = os.difftime, time = os.time }
  coroutine_lib = coroutine
end

-- gopher-lua's run-time error texts, raised from metamethods on the types that have no
-- behaviour of their own (the message is what Argo CD shows for a failing script).
local function arith_type(x)
  if type(x) == "string" and go_tonumber(x) ~= nil then return "number" end
  return type(x)
end
local errors_mt = {
  __index = function(v, k)
    error("attempt to index a non-table object(" .. type(v) .. ") with key '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function(v, k)
    error("attempt to index a non-table object(" .. type(v) .. ") with key '" .. tostring(k) .. "'", 2)
  end,
  __call = function() error("attempt to call a non-function object", 2) end,
  __len = function() error("__len undefined", 2) end,
  __unm = function() error("__unm undefined", 2) end,
  __concat = function(a, b)
    error("cannot perform concat operation between " .. type(a) .. " and " .. type(b), 2)
  end,
}
for _, op in next, { "add", "sub", "mul", "div", "mod", "pow" } do
  errors_mt["__" .. op] = function(a, b)
    error("cannot perform " .. op .. " operation between " .. arith_type(a) .. " and " .. arith_type(b), 2)
  end
end
setmetatable_any(nil, errors_mt)
setmetatable_any(true, errors_mt)
setmetatable_any(0, errors_mt)
setmetatable_any(print, errors_mt)
-- Strings: gopher-lua has a string metatable only with open libs ({__index = string}).
local string_meta = getmetatable("")
if not string_meta then
  string_meta = {}
  setmetatable_any("", string_meta)
end
local string_meta_fields = {}
for k, v in next, errors_mt do
  if k ~= "__len" then string_meta_fields[k] = v end
end

-- gopher-lua's `require` over a run's own `package.loaded` and `package.preload` (the only
-- searcher either host keeps); `missing(name)` words the failure.
local function new_require(loaded, package, missing)
  return function(name)
    if type(name) ~= "string" and type(name) ~= "number" then
      error("bad argument #1 to require (string expected, got " .. type(name) .. ")", 2)
    end
    name = tostring(name)
    local m = loaded[name]
    if m then return m end
    local loader = type(package.preload) == "table" and package.preload[name]
    if not loader then error(missing(name), 2) end
    local r = loader(name)
    if r == nil then r = loaded[name] or true end
    loaded[name] = r
    return r
  end
end

-- Karmada's sandbox (luavm.VM.setLib): its safe package, base, table, its safe string, math and
-- its safe os (a global here, unlike Argo CD's), then the risky base functions replaced by
-- functions that raise; `require("kube")` finds the preloaded kube module.
if karmada then
  local blocked = {
    "collectgarbage", "dofile", "getfenv", "getmetatable", "load", "loadfile", "loadstring",
    "rawequal", "rawget", "rawset", "setfenv", "setmetatable", "module", "newproxy",
  }
  local karmada_base = copy(base)
  for _, name in next, blocked do
    -- Karmada defines these with DoString, so the position is that chunk's first line.
    local msg = "<string>:1: call function " .. name .. " is not supported in karmada customized resourceinterpreter."
    karmada_base[name] = function() raw_error(msg, 0) end
  end
  -- An error raised by one of Karmada's Go functions: gopher-lua puts the position of the
  -- nearest script frame in front.
  local function raise(msg)
    local k = 2
    while true do
      local info = getinfo(k, "Sl")
      if not info then raw_error(msg, 0) end
      if info.what ~= "C" and info.short_src == "<string>" then
        raw_error("<string>:" .. info.currentline .. ": " .. msg, 0)
      end
      k = k + 1
    end
  end
  -- pkg/util/lifted/lua/string_safe.go
  local max_len = 1000000
  local function check_len(s)
    if type(s) == "string" and #s > max_len then
      raise("string length " .. #s .. " exceeds the maximum allowed input string length " .. max_len ..
        " in Karmada lua string lib, please check your lua script.")
    end
  end
  local safe_string = copy(string_lib)
  for _, name in next, { "gsub", "rep", "dump" } do
    safe_string[name] = function()
      raise("The Lua function string." .. name .. " is not supported by Karmada. If you believe this " ..
        "function is essential for your use case, please submit an issue to let us know why you need it.")
    end
  end
  for _, name in next, { "byte", "find", "format", "len", "lower", "reverse", "sub", "upper", "gmatch" } do
    local f = safe_string[name]
    safe_string[name] = function(s, p, ...)
      check_len(s)
      if name == "find" or name == "gmatch" then check_len(p) end
      return f(s, p, ...)
    end
  end
  safe_string.gfind = safe_string.gmatch
  -- Karmada's string.match returns no value at all when nothing matches.
  local raw_match = string.match
  safe_string.match = function(s, p, init)
    check_len(s)
    check_len(p)
    local function only_matches(first, ...)
      if first == nil then return end
      return first, ...
    end
    return only_matches(raw_match(s, p, init))
  end
  local safe_math = copy(math)
  safe_math.huge = 1.7976931348623157e308 -- gopher-lua's math.huge is MaxFloat64
  safe_math.mod = math.fmod -- gopher-lua still has the Lua 5.0 name
  local function not_loadlib() raise("loadlib is not supported") end

  return function()
    local env = copy(karmada_base)
    env._G = env
    env._VERSION = "Lua 5.1"
    env._GOPHER_LUA_VERSION = "GopherLua 0.1"
    env.table = copy(table_lib)
    local s = copy(safe_string)
    env.string = s
    for k in next, string_meta do string_meta[k] = nil end
    for k, v in next, string_meta_fields do string_meta[k] = v end
    string_meta.__index = s
    env.math = copy(safe_math)
    env.os = copy(safe_os)
    local preload = { kube = function() return copy(kube) end }
    local loaded = { _G = env, table = env.table, string = s, math = env.math, os = env.os }
    local package = { loaded = loaded, preload = preload, loadlib = not_loadlib }
    loaded.package = package
    env.package = package
    env.require = new_require(loaded, package, function(name)
      return "module " .. name .. " not found:\n\tno field package.preload['" .. name .. "']"
    end)
    return env
  end
end

return function()
  local env = copy(base)
  env._G = env
  env._VERSION = "Lua 5.1"
  env._GOPHER_LUA_VERSION = "GopherLua 0.1"
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
  env.require = new_require(loaded, package, not_found)

  -- The host's real globals never leak into a run: getfenv of level 0 or of a C function is this
  -- run's environment, and the thread's environment cannot be replaced.
  env.getfenv = function(f)
    if f == nil then f = 1 end
    if type(f) == "number" and f > 0 then f = f + 1 end
    local r = raw_getfenv(f)
    if r == G then return env end
    return r
  end
  env.setfenv = function(f, t)
    if f == 0 then error("setfenv: changing the thread environment is not supported in this VM", 2) end
    if type(f) == "number" and f > 0 then f = f + 1 end
    return raw_setfenv(f, t)
  end

  local function chunk(f, err)
    if f then setfenv(f, env) end
    return f, err
  end
  env.loadstring = function(s, name) return chunk(raw_loadstring(s, "=" .. (name or "<string>"))) end
  env.load = function(f, name) return chunk(raw_load(f, "=" .. (name or "<string>"))) end

  -- Reset the shared string metatable: a script may have changed it.
  for k in next, string_meta do string_meta[k] = nil end
  for k, v in next, string_meta_fields do string_meta[k] = v end
  if open_libs then
    local s = copy(string_lib)
    env.string = s
    string_meta.__index = s
    env.math = copy(math_lib)
    env.math.huge = 1.7976931348623157e308 -- gopher-lua's math.huge is MaxFloat64
    env.os = copy(os_lib)
    env.coroutine = copy(coroutine_lib)
  end
  return env
end
