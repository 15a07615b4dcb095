-- ResourceBinding: per member-cluster health of the bound resource.
local binding = require("binding")
return binding.health(obj)
