-- Small helpers shared by Admin Router's lua code.
local util = {}

-- The cookies DC/OS's login uses; upstreams rely on the Authorization
-- header only, so these never leave Admin Router.
local DCOS_COOKIES = {["dcos-acs-auth-cookie"] = true, ["dcos-acs-info-cookie"] = true}

function util.clear_dcos_cookies()
    local header = ngx.var.http_cookie
    if not header then
        return
    end
    local kept = {}
    for pair in header:gmatch("[^;]+") do
        local name = pair:match("^%s*([^=]+)=")
        if not (name and DCOS_COOKIES[name:gsub("%s+$", "")]) then
            kept[#kept + 1] = pair:gsub("^%s+", "")
        end
    end
    if #kept == 0 then
        ngx.req.clear_header("Cookie")
    else
        ngx.req.set_header("Cookie", table.concat(kept, "; "))
    end
end

function util.split(text, sep)
    local parts = {}
    for part in string.gmatch(text, "([^" .. sep .. "]+)") do
        parts[#parts + 1] = part
    end
    return parts
end

-- "group/app" -> "app.group": DC/OS keys services by their path segments
-- reversed and joined with dots, as Mesos-DNS names Marathon's tasks.
function util.normalize_service_name(path)
    local segments = util.split(path, "/")
    local reversed = {}
    for i = #segments, 1, -1 do
        reversed[#reversed + 1] = segments[i]
    end
    return table.concat(reversed, ".")
end

-- The first `count` segments of a /service/ path: (normalized name, plain
-- path, whether segments are left after them).
function util.service_prefix(path, count)
    local segments = util.split(path, "/")
    local taken = {}
    for i = 1, math.min(count, #segments) do
        taken[#taken + 1] = segments[i]
    end
    local plain = table.concat(taken, "/")
    return util.normalize_service_name(plain), plain, #segments > count
end

function util.reply(status, text)
    ngx.status = status
    ngx.header["Content-Type"] = "text/plain; charset=utf-8"
    ngx.say(text)
    return ngx.exit(status)
end

return util
