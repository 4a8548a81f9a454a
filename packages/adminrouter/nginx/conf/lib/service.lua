-- /service/<name>/<path>: to a Marathon app (label DCOS_SERVICE_NAME) or a
-- Mesos framework (by name or ID, at its webui_url; a framework without one
-- through Mesos-DNS's SRV record). Names with slashes (group/app) are tried
-- segment by segment, shortest first, as DC/OS does.
local cjson = require "cjson.safe"
local cache = require "cache"
local util = require "util"

local service = {}
local MAX_SEGMENTS = 10

local function split_url(url)
    local scheme, hostport, path = url:match("^(%a[%w+.-]*)://([^/]+)(.*)$")
    if not scheme then
        return nil
    end
    -- The request's own path follows, starting with its "/".
    path = path:gsub("/+$", "")
    return scheme, scheme .. "://" .. hostport, path
end

local function via_mesos_dns(name)
    local answer = ngx.location.capture(
        "/internal/mesos_dns/v1/services/_" .. name .. "._tcp.marathon.mesos")
    if answer.status ~= 200 then
        return nil
    end
    local records = cjson.decode(answer.body)
    local first = type(records) == "table" and records[1]
    if type(first) ~= "table" or (first.ip or "") == "" then
        return nil
    end
    return "http://" .. first.ip .. ":" .. first.port
end

-- (scheme, base URL, path prefix) for one normalized service name, or nil.
local function lookup(name, mesos, apps)
    local app = apps and apps[name]
    if app then
        return app.scheme, app.url, ""
    end
    if not mesos then
        return nil
    end
    local webui
    local by_id = mesos.frameworks_by_id[name]
    if by_id then
        name, webui = by_id.name, by_id.webui_url
    else
        webui = mesos.frameworks_by_name[name]
    end
    if webui == nil then
        return nil
    end
    if webui == "" then
        local url = via_mesos_dns(name)
        return url and "http", url, ""
    end
    return split_url(webui)
end

local function find(path)
    local mesos, apps = cache.get("mesos"), cache.get("svcapps")
    for count = 1, MAX_SEGMENTS do
        local name, plain, more = util.service_prefix(path, count)
        if name == "" then
            break
        end
        local scheme, url, prefix = lookup(name, mesos, apps)
        if scheme then
            return scheme, url, prefix, plain, mesos
        end
        if not more then
            break
        end
    end
    return nil, nil, nil, nil, mesos
end

function service.resolve(path)
    local scheme, url, prefix, plain, mesos = find(path)
    if not scheme and cache.refresh_if_stale() then
        scheme, url, prefix, plain, mesos = find(path)
    end
    if not scheme then
        if not mesos then
            return util.reply(ngx.HTTP_SERVICE_UNAVAILABLE,
                "503 Service Unavailable: invalid Mesos state cache")
        end
        return util.reply(ngx.HTTP_NOT_FOUND, "404 Not Found: service not found.")
    end
    ngx.var.upstream_scheme = scheme
    ngx.var.upstream_url = url
    ngx.var.service_realpath = plain
    -- What follows /service/<plain> goes to the service, under its webui path.
    local rest = ngx.var.uri:sub(#("/service/" .. plain) + 1)
    if rest == "" then
        rest = "/"
    end
    ngx.req.set_uri(prefix .. rest)
end

return service
