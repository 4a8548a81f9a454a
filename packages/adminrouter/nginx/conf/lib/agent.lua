-- /agent/<agent-id>/<path> (and /slave/...): to that agent's Mesos agent.
local cache = require "cache"
local util = require "util"

local agent = {}

function agent.resolve(agent_id, path)
    local state = cache.get("mesos")
    local url = state and state.agents[agent_id]
    if not url and cache.refresh_if_stale() then
        state = cache.get("mesos")
        url = state and state.agents[agent_id]
    end
    if not state then
        return util.reply(ngx.HTTP_SERVICE_UNAVAILABLE,
            "503 Service Unavailable: cache state is invalid")
    end
    if not url then
        return util.reply(ngx.HTTP_NOT_FOUND, "404 Not Found: agent `" .. agent_id .. "` unknown.")
    end
    ngx.var.agentaddr = url
    ngx.req.set_uri(path)
end

return agent
