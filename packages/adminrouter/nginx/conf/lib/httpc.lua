-- A small HTTP/1.1 GET client on nginx's cosockets, for the background state
-- cache: subrequests are not available in timers. Host names resolve through
-- the `resolver` of nginx.conf (spartan), so `leader.mesos` is the leader now.
local httpc = {}

local function read_chunked(sock)
    local parts = {}
    while true do
        local line, err = sock:receive("*l")
        if not line then
            return nil, "reading a chunk size: " .. tostring(err)
        end
        local size = tonumber(line:match("^%s*(%x+)"), 16)
        if not size then
            return nil, "bad chunk size line: " .. line
        end
        if size == 0 then
            -- trailers end with an empty line
            repeat
                line, err = sock:receive("*l")
            until not line or line == ""
            return table.concat(parts)
        end
        local data, derr = sock:receive(size)
        if not data then
            return nil, "reading a chunk: " .. tostring(derr)
        end
        parts[#parts + 1] = data
        sock:receive("*l") -- the CRLF after each chunk
    end
end

-- GET http://host:port/path; returns status, body or nil, error.
function httpc.get(host, port, path, timeout_s)
    local sock = ngx.socket.tcp()
    local ms = math.floor((timeout_s or 5) * 1000)
    sock:settimeouts(ms, ms, ms)
    local ok, err = sock:connect(host, port)
    if not ok then
        return nil, "connecting to " .. host .. ":" .. port .. ": " .. tostring(err)
    end
    local request = "GET " .. path .. " HTTP/1.1\r\nHost: " .. host .. ":" .. port ..
        "\r\nAccept: application/json\r\nUser-Agent: Admin Router\r\nConnection: close\r\n\r\n"
    ok, err = sock:send(request)
    if not ok then
        sock:close()
        return nil, "sending the request: " .. tostring(err)
    end
    local status_line
    status_line, err = sock:receive("*l")
    local status = status_line and tonumber(status_line:match("^HTTP/%d%.%d (%d%d%d)"))
    if not status then
        sock:close()
        return nil, "no HTTP status line: " .. tostring(status_line or err)
    end
    local length, chunked
    while true do
        local line, herr = sock:receive("*l")
        if not line then
            sock:close()
            return nil, "reading headers: " .. tostring(herr)
        end
        if line == "" then
            break
        end
        local name, value = line:match("^([^:]+):%s*(.-)%s*$")
        if name then
            name = name:lower()
            if name == "content-length" then
                length = tonumber(value)
            elseif name == "transfer-encoding" and value:lower():find("chunked", 1, true) then
                chunked = true
            end
        end
    end
    local body
    if chunked then
        body, err = read_chunked(sock)
    elseif length then
        body, err = sock:receive(length)
    else
        body, err = sock:receive("*a")
    end
    sock:close()
    if not body then
        return nil, "reading the body: " .. tostring(err)
    end
    return status, body
end

return httpc
