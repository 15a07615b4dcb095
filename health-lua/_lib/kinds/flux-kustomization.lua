-- kustomize.toolkit.fluxcd.io/Kustomization, judged like Argo CD's built-in Kustomization check
-- on the conditions Karmada reflects.
local helmrelease = require("kinds/flux-helmrelease")

local M = {}

M.types = { "kustomize.toolkit.fluxcd.io/v1/Kustomization", "kustomize.toolkit.fluxcd.io/v1beta2/Kustomization", "kustomize.toolkit.fluxcd.io/v1beta1/Kustomization" }

local NONE = {}

function M.judge(status, ctx)
  return helmrelease.flux(status, 1, NONE)
end

return M
