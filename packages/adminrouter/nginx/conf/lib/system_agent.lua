-- /system/v1/agent/<agent-id>/(logs|metrics/v0)/<path>: to that agent's own
-- Admin Router (61001), which serves its dcos-log and dcos-metrics.
local cache = require "cache"
local util = require "util"

local system_agent = {}

local ADMINROUTER_AGENT_PORT = 61001

function system_agent.resolve(agent_id, service, path)
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
    -- The cache keeps each agent's Mesos URL (http://<ip>:5051); its Admin
    -- Router listens on the same address.
    local scheme_host = url:match("^(https?://[^:/]+)")
    ngx.var.agentaddr = scheme_host .. ":" .. ADMINROUTER_AGENT_PORT
    ngx.req.set_uri("/system/v1" .. service .. path)
end

return system_agent
