-- Admin Router's state cache: what /agent/<id>/ and /service/<name>/ route by.
--
-- Two entries, each refreshed on its own, so that one broken source never
-- empties the other:
--   "mesos"   agents (id -> http://ip:port) and frameworks (by id and by
--             name -> webui_url), from the leading master's /master/state-summary
--             (leader.mesos through spartan, so always the current leader);
--   "svcapps" Marathon apps labelled DCOS_SERVICE_NAME (normalized name ->
--             {scheme, url}), from Marathon's /v2/apps. Each app is read on its
--             own: an app with a bad DCOS_SERVICE_PORT_INDEX (or any other
--             surprise) is skipped and logged, never the whole cache.
-- A timer refreshes both every CACHE_POLL_PERIOD seconds in the background;
-- a request that misses (an agent or service not known yet) refreshes them at
-- once if they are more than a second old. The entries live in the `cache`
-- shared dict as JSON, with the time they were fetched.
local cjson = require "cjson.safe"
local httpc = require "httpc"
local util = require "util"

local cache = {}

local function env_number(name, default)
    return tonumber(os.getenv(name) or "") or default
end

local POLL_PERIOD = env_number("CACHE_POLL_PERIOD", 5)
local MAX_AGE_SOFT = env_number("CACHE_MAX_AGE_SOFT_LIMIT", 75)
local MAX_AGE_HARD = env_number("CACHE_MAX_AGE_HARD_LIMIT", 259200)
local REQUEST_TIMEOUT = env_number("CACHE_BACKEND_REQUEST_TIMEOUT", 5)
local MESOS_HOST, MESOS_PORT = UPSTREAM_MESOS:match("^https?://([^:/]+):?(%d*)")
MESOS_PORT = tonumber(MESOS_PORT) or 5050
local MARATHON = os.getenv("UPSTREAM_MARATHON") or "127.0.0.1:8080"
local ON_DEMAND_MIN_AGE = 1
local LOCK_KEY, LOCK_TTL = "refresh_lock", 30

local decoded = {} -- per worker: name -> {at = fetched time, value = table}
local last_errors = {} -- per worker: source -> its last error, logged once

-- Log a source's failure when it starts or changes, not every poll while it lasts.
local function report(source, level, err)
    if last_errors[source] ~= err then
        if err then
            ngx.log(level, "state cache: ", source, ": ", err, " (keeping the last answer)")
        else
            ngx.log(ngx.NOTICE, "state cache: ", source, ": working again")
        end
        last_errors[source] = err
    end
end

local function store(name, value)
    local shm = ngx.shared.cache
    local ok, err = shm:set(name, cjson.encode(value))
    if not ok then
        ngx.log(ngx.ERR, "state cache: cannot store ", name, ": ", err)
        return
    end
    ngx.update_time()
    shm:set(name .. "_at", ngx.now())
end

local function fetch_json(host, port, path)
    local status, body = httpc.get(host, port, path, REQUEST_TIMEOUT)
    if not status then
        return nil, body
    end
    if status ~= 200 then
        return nil, "HTTP " .. status .. " from " .. host .. ":" .. port .. path
    end
    local value, err = cjson.decode(body)
    if type(value) ~= "table" then
        return nil, "not JSON from " .. path .. ": " .. tostring(err)
    end
    return value
end

-- http://ip:port from a libprocess PID such as "slave(1)@192.0.2.21:5051".
local function pid_url(pid)
    local address = type(pid) == "string" and pid:match("@(.+)$")
    return address and ("http://" .. address) or nil
end

local function refresh_mesos()
    local summary, err = fetch_json(MESOS_HOST, MESOS_PORT, "/master/state-summary")
    if not summary then
        report("Mesos state", ngx.WARN, err)
        return
    end
    report("Mesos state", nil, nil)
    local state = {agents = {}, frameworks_by_id = {}, frameworks_by_name = {}}
    for _, agent in ipairs(summary.slaves or {}) do
        local url = pid_url(agent.pid)
        if agent.id and url then
            state.agents[agent.id] = url
        end
    end
    for _, framework in ipairs(summary.frameworks or {}) do
        if type(framework.name) == "string" and framework.id then
            local name = util.normalize_service_name(framework.name)
            local webui = type(framework.webui_url) == "string" and framework.webui_url or ""
            state.frameworks_by_id[framework.id] = {name = name, webui_url = webui}
            state.frameworks_by_name[name] = webui
        end
    end
    store("mesos", state)
end

local function first_running_task(app)
    for _, task in ipairs(app.tasks or {}) do
        if task.state == "TASK_RUNNING" then
            return task
        end
    end
    return nil
end

-- {scheme, url} for one Marathon app, or nil and why not.
local function app_upstream(app)
    local labels = app.labels or {}
    local scheme = labels.DCOS_SERVICE_SCHEME or "http"
    local index = tonumber(labels.DCOS_SERVICE_PORT_INDEX or "0")
    if not index or index < 0 then
        return nil, "DCOS_SERVICE_PORT_INDEX is not a port index"
    end
    local task = first_running_task(app)
    if not task then
        return nil, "no task is TASK_RUNNING"
    end
    local networks = app.networks or {}
    local mode = networks[1] and networks[1].mode or "host"
    local host, port
    local ip_addresses = task.ipAddresses or {}
    if mode == "container" then
        -- A container network: the task's own IP and the container's port.
        local mappings = (app.container or {}).portMappings or {}
        host = ip_addresses[1] and ip_addresses[1].ipAddress
        port = mappings[index + 1] and mappings[index + 1].containerPort
    elseif type(app.ipAddress) == "table" then
        -- Marathon's older IP-per-task apps: discovery ports.
        local ports = ((app.ipAddress.discovery or {}).ports) or {}
        host = ip_addresses[1] and ip_addresses[1].ipAddress
        port = ports[index + 1] and ports[index + 1].number
    else
        -- Host and bridge networking: the agent's address and the host port.
        host = task.host
        port = (task.ports or {})[index + 1]
    end
    if not host then
        return nil, "the task has no address yet"
    end
    if not port then
        return nil, "no port at DCOS_SERVICE_PORT_INDEX " .. index
    end
    return {scheme = scheme, url = scheme .. "://" .. host .. ":" .. port}
end

local function refresh_marathon()
    local host, port = MARATHON:match("^(.-):(%d+)$")
    local answer, err = fetch_json(host, tonumber(port),
        "/v2/apps?embed=apps.tasks&label=DCOS_SERVICE_NAME")
    if not answer then
        report("Marathon apps", ngx.NOTICE, err)
        return
    end
    report("Marathon apps", nil, nil)
    local apps = {}
    for _, app in ipairs(answer.apps or {}) do
        local ok, upstream, why = pcall(app_upstream, app)
        local name = type(app.labels) == "table" and app.labels.DCOS_SERVICE_NAME
        if not ok then
            ngx.log(ngx.WARN, "state cache: app ", tostring(app.id), ": ", upstream)
        elseif not upstream then
            ngx.log(ngx.NOTICE, "state cache: app ", tostring(app.id), " not routed: ", why)
        elseif type(name) == "string" then
            apps[util.normalize_service_name(name)] = upstream
        end
    end
    store("svcapps", apps)
end

-- Refresh both entries; only one refresh runs at a time. `wait`: if another
-- one is running, wait for it instead of returning at once.
function cache.refresh(wait)
    local shm = ngx.shared.cache
    local deadline = ngx.now() + LOCK_TTL
    while not shm:add(LOCK_KEY, true, LOCK_TTL) do
        if not wait or ngx.now() > deadline then
            return
        end
        ngx.sleep(0.05)
        ngx.update_time()
        if not shm:get(LOCK_KEY) then
            return -- the other refresh finished: its result is as fresh as ours
        end
    end
    local ok, err = pcall(refresh_mesos)
    if not ok then
        ngx.log(ngx.ERR, "state cache: Mesos refresh failed: ", err)
    end
    ok, err = pcall(refresh_marathon)
    if not ok then
        ngx.log(ngx.ERR, "state cache: Marathon refresh failed: ", err)
    end
    shm:delete(LOCK_KEY)
end

function cache.start_background_refresh()
    if ngx.worker.id() ~= 0 then
        return
    end
    local function tick(premature)
        if not premature then
            cache.refresh(false)
        end
    end
    local ok, err = ngx.timer.at(0, tick)
    if ok then
        ok, err = ngx.timer.every(POLL_PERIOD, tick)
    end
    if not ok then
        ngx.log(ngx.ERR, "state cache: cannot start its timer: ", err)
    end
end

-- The entry `name` as a table, or nil when there is none (or it is too old
-- to trust).
function cache.get(name)
    local shm = ngx.shared.cache
    local at = shm:get(name .. "_at")
    if not at then
        return nil
    end
    ngx.update_time()
    local age = ngx.now() - at
    if age > MAX_AGE_HARD then
        ngx.log(ngx.ERR, "state cache: ", name, " is ", age, " s old: not used")
        return nil
    elseif age > MAX_AGE_SOFT then
        ngx.log(ngx.NOTICE, "state cache: ", name, " is stale (", age, " s old)")
    end
    local hit = decoded[name]
    if hit and hit.at == at then
        return hit.value
    end
    local value = cjson.decode(shm:get(name) or "null")
    decoded[name] = {at = at, value = value}
    return value
end

-- For a request that did not find what it looks for: refresh now if the
-- cache is over a second old; true if it did.
function cache.refresh_if_stale()
    local at = ngx.shared.cache:get("mesos_at") or 0
    ngx.update_time()
    if ngx.now() - at < ON_DEMAND_MIN_AGE then
        return false
    end
    cache.refresh(true)
    return true
end

return cache
