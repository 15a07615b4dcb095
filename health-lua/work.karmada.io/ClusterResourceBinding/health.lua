-- ClusterResourceBinding: per member-cluster health of the bound cluster-scoped resource.
local binding = require("binding")
return binding.health(obj)
