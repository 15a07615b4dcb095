-- v1/Pod, judged like gitops-engine's Pod check on the member status Karmada keeps whole. The
-- member's spec.restartPolicy is not reflected; Always (the default) is assumed. Without the
-- string library, the waiting reasons Argo CD matches by prefix/suffix (Err*, *Error, *BackOff)
-- come from the list of reasons the kubelet actually sets.
local common = require("common")

local M = {}

M.types = { "v1/Pod" }

local FAILING_WAIT = {
  ErrImagePull = true,
  ErrImageNeverPull = true,
  ErrInvalidImageName = true,
  ImagePullBackOff = true,
  CrashLoopBackOff = true,
  CreateContainerConfigError = true,
  CreateContainerError = true,
  PreCreateHookError = true,
  PreStartHookError = true,
  PostStartHookError = true,
  RunContainerError = true,
  InvalidImageName = true,
  KillContainerError = true,
  VerifyNonRootError = true,
  SetupNetworkError = true,
  KillPodSandboxError = true,
  CreatePodSandboxError = true,
  ConfigPodSandboxError = true,
}

-- Why a terminated container failed, or nil.
local function fail_message(ctr)
  local terminated = common.tab(common.get(common.get(ctr, "state"), "terminated"))
  if terminated == nil then
    return nil
  end
  local message = common.text(terminated.message)
  if message ~= nil then
    return message
  end
  if terminated.reason == "OOMKilled" then
    return "OOMKilled"
  end
  local code = common.num(terminated.exitCode)
  if code ~= nil and code ~= 0 then
    local name = common.str(ctr.name) or ""
    return "container " .. name .. " failed with exit code " .. tostring(code)
  end
  return nil
end

function M.judge(status, replicas)
  local containers = common.list(status.containerStatuses)
  local waiting = {}
  for _, ctr in ipairs(containers) do
    local w = common.tab(common.get(common.get(ctr, "state"), "waiting"))
    if w ~= nil and type(w.reason) == "string" and FAILING_WAIT[w.reason] then
      waiting[#waiting + 1] = common.text(w.message) or w.reason
    end
  end
  if #waiting > 0 then
    return common.verdict("Degraded", table.concat(waiting, ", "))
  end
  local phase = status.phase
  local message = common.text(status.message)
  if phase == "Pending" then
    return common.verdict("Progressing", "pending", message)
  end
  if phase == "Succeeded" then
    return common.HEALTHY
  end
  if phase == "Failed" then
    if message ~= nil then
      return common.verdict("Degraded", "failed", message)
    end
    for _, ctr in ipairs(common.list(status.initContainerStatuses)) do
      local m = fail_message(ctr)
      if m ~= nil then
        return common.verdict("Degraded", "failed", m)
      end
    end
    for _, ctr in ipairs(containers) do
      local m = fail_message(ctr)
      if m ~= nil then
        return common.verdict("Degraded", "failed", m)
      end
    end
    return common.verdict("Degraded", "failed")
  end
  if phase == "Running" then
    local ready = common.condition(status.conditions, "Ready")
    if ready ~= nil and ready.status == "True" then
      return common.HEALTHY
    end
    for _, ctr in ipairs(containers) do
      if common.tab(common.get(common.get(ctr, "lastState"), "terminated")) ~= nil then
        return common.verdict("Degraded", "restarting", message)
      end
    end
    return common.verdict("Progressing", "not ready", message)
  end
  return common.verdict("Unknown", "phase unknown", message)
end

return M
