-- The registry of per-kind member checks, keyed by `<apiVersion>/<Kind>` (the string library is
-- not available to split an apiVersion, so every served version is listed by its module).
local common = require("common")
local deployment = require("kinds/deployment")
local statefulset = require("kinds/statefulset")
local daemonset = require("kinds/daemonset")
local replicaset = require("kinds/replicaset")
local job = require("kinds/job")
local cronjob = require("kinds/cronjob")
local pod = require("kinds/pod")
local service = require("kinds/service")
local ingress = require("kinds/ingress")
local pvc = require("kinds/persistentvolumeclaim")
local hpa = require("kinds/horizontalpodautoscaler")
local pdb = require("kinds/poddisruptionbudget")
local rollout = require("kinds/argo-rollout")
local helmrelease = require("kinds/flux-helmrelease")
local kustomization = require("kinds/flux-kustomization")
local cloneset = require("kinds/kruise-cloneset")

local M = {}

local BY_TYPE = {}
local ALL = { deployment, statefulset, daemonset, replicaset, job, cronjob, pod, service, ingress, pvc, hpa, pdb, rollout, helmrelease, kustomization, cloneset }
for _, mod in ipairs(ALL) do
  for _, t in ipairs(mod.types) do
    BY_TYPE[t] = mod
  end
end

-- The check for a resource type, or nil for kinds we do not know.
function M.lookup(api_version, kind)
  if type(api_version) ~= "string" or type(kind) ~= "string" then
    return nil
  end
  return BY_TYPE[api_version .. "/" .. kind]
end

-- Judges one member's reflected status. `check` may be nil (unknown kind); `ctx.health` is
-- Karmada's coarse verdict, used when there is no status to judge or no check for the kind.
function M.judge(check, status, ctx)
  local s = common.tab(status)
  if check == nil or s == nil then
    return common.from_karmada_health(ctx.health)
  end
  return check.judge(s, ctx)
end

return M
