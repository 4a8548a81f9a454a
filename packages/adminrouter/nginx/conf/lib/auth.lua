-- Admin Router's authentication, as DC/OS 1.10 Open has it (dcos-oauth's tokens).
--
-- A protected location includes includes/protected.conf, which calls
-- `auth.protect()`: the request must carry a cluster token, in
-- `Authorization: token=<jwt>` or in the dcos-acs-auth-cookie cookie: an
-- HS256 JWT signed with the cluster's secret, with a `uid` claim, not
-- expired, whose user exists. Otherwise the answer is 401 with
-- `WWW-Authenticate: oauthjwt` and DC/OS's 401 page. On agents, and with
-- ADMINROUTER_ACTIVATE_AUTH_MODULE=false (oauth_enabled: false), nothing is
-- checked, as in DC/OS 1.10 Open.
--
-- The secret is read once, by nginx's master process when it starts or
-- reloads, from the root-only file dcos-oauth writes; dcos-oauth reloads
-- Admin Router when that file changes. Checking a token needs no call to
-- dcos-oauth: the HMAC is computed here (OpenSSL's HMAC through LuaJIT's
-- FFI). Whether the user still exists is asked of dcos-oauth once per user
-- and CHECK_USER_EVERY_S seconds per worker.

local ffi = require "ffi"
local cjson = require "cjson.safe"
local b64 = require "ngx.base64"
local util = require "util"

local _M = {}

local SECRET_FILE_DEFAULT = "/var/lib/dcos/dcos-oauth/auth-token-secret"
local ENV_FILE = "/opt/mesosphere/etc/adminrouter.env"
local MASTER_ROLE_FILE = "/etc/mesosphere/roles/master"
-- conf/errorpages, beside this file's conf/lib.
local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local IAM_HOST, IAM_PORT = "127.0.0.1", 8101
local CHECK_USER_EVERY_S = 5

local enabled = true
local secret = nil
local body_401 = "Unauthorized\n"
local known_users = {}  -- uid -> time until which it is known to exist (per worker)

pcall(ffi.cdef, [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]])

-- nginx itself links OpenSSL's libcrypto: its symbols are in the process.
local crypto = ffi.C
if not pcall(function() return crypto.HMAC end) then
    crypto = ffi.load("libcrypto.so.3")
end
local digest = ffi.new("unsigned char[32]")
local digest_len = ffi.new("unsigned int[1]")

local function hmac_sha256(key, data)
    crypto.HMAC(crypto.EVP_sha256(), key, #key, data, #data, digest, digest_len)
    return ffi.string(digest, digest_len[0])
end
_M.hmac_sha256 = hmac_sha256

local function read_file(path)
    local f = io.open(path, "rb")
    if f == nil then
        return nil
    end
    local content = f:read("*a")
    f:close()
    return content
end

-- Equal strings, compared in time that does not depend on where they differ.
local function same(a, b)
    if #a ~= #b then
        return false
    end
    local diff = 0
    for i = 1, #a do
        diff = bit.bor(diff, bit.bxor(a:byte(i), b:byte(i)))
    end
    return diff == 0
end

-- The uid of a valid cluster token at `now`, or nil and why not.
function _M.verify(token, key, now)
    local header64, payload64, signature64 = token:match("^([%w_-]+)%.([%w_-]+)%.([%w_-]+)$")
    if header64 == nil then
        return nil, "not a JWT"
    end
    local header = cjson.decode(b64.decode_base64url(header64) or "")
    if type(header) ~= "table" or header.alg ~= "HS256" then
        return nil, "not an HS256 JWT"
    end
    local expected = b64.encode_base64url(hmac_sha256(key, header64 .. "." .. payload64))
    if not same(expected, signature64) then
        return nil, "bad signature"
    end
    local claims = cjson.decode(b64.decode_base64url(payload64) or "")
    if type(claims) ~= "table" then
        return nil, "bad payload"
    end
    -- `exp` is optional (DC/OS allowed tokens without one), but honoured.
    if claims.exp ~= nil and (type(claims.exp) ~= "number" or claims.exp <= now) then
        return nil, "expired"
    end
    if type(claims.uid) ~= "string" or claims.uid == "" then
        return nil, "no uid claim"
    end
    return claims.uid, nil, claims.exp
end

-- Tokens this worker has verified: a client sends the same one again and
-- again, and a table lookup is cheaper than an HMAC and two JSON decodes.
-- Cleared when full; a new secret means a reload, hence new workers.
local VERIFIED_MAX = 4096
local verified, verified_count = {}, 0

local function uid_of(token, now)
    local known = verified[token]
    if known ~= nil then
        if known.exp ~= nil and known.exp <= now then
            verified[token] = nil
            return nil, "expired"
        end
        return known.uid
    end
    local uid, why, exp = _M.verify(token, secret, now)
    if uid ~= nil then
        if verified_count >= VERIFIED_MAX then
            verified, verified_count = {}, 0
        end
        verified[token] = {uid = uid, exp = exp}
        verified_count = verified_count + 1
    end
    return uid, why
end

-- A setting from nginx's environment (`env NAME;`), else from adminrouter.env.
local function setting(name)
    local value = os.getenv(name)
    if value ~= nil then
        return value
    end
    local env = "\n" .. (read_file(ENV_FILE) or "")
    value = env:match("\n%s*" .. name .. "%s*=%s*([^\n]*)")
    return value and value:match("^(.-)%s*$")
end

-- Called from init_by_lua (nginx's master process, root).
function _M.init()
    local pages = os.getenv("AUTH_ERROR_PAGE_DIR_PATH") or (HERE .. "../errorpages")
    local page = read_file(pages .. "/401.html")
    if page ~= nil then
        body_401 = page
    end
    if read_file(MASTER_ROLE_FILE) == nil then
        enabled = false
        ngx.log(ngx.NOTICE, "not a master: Admin Router Agent checks no tokens (DC/OS 1.10 Open)")
        return
    end
    enabled = setting("ADMINROUTER_ACTIVATE_AUTH_MODULE") ~= "false"
    if not enabled then
        ngx.log(ngx.NOTICE, "ADMINROUTER_ACTIVATE_AUTH_MODULE is false: authentication is off")
        return
    end
    local path = os.getenv("SECRET_KEY_FILE_PATH") or SECRET_FILE_DEFAULT
    local content = read_file(path)
    secret = content and content:match("^%s*(.-)%s*$")
    if secret == nil or secret == "" then
        secret = nil
        ngx.log(ngx.WARN, "no cluster token secret in ", path, " yet: protected locations ",
                "answer 401 until dcos-oauth writes it (and reloads Admin Router)")
    else
        ngx.log(ngx.NOTICE, "authentication is on; cluster token secret read from ", path)
    end
end

function _M.enabled()
    return enabled
end

local function unauthorized(reason)
    ngx.log(ngx.NOTICE, "401: ", reason)
    ngx.status = ngx.HTTP_UNAUTHORIZED
    ngx.header["Content-Type"] = "text/html; charset=UTF-8"
    ngx.header["WWW-Authenticate"] = "oauthjwt"
    ngx.print(body_401)
    return ngx.exit(ngx.HTTP_UNAUTHORIZED)
end

local function token_of_request()
    local authorization = ngx.var.http_authorization
    if authorization ~= nil then
        -- A header, if there is one, wins over the cookie (as in DC/OS).
        return authorization:match("token=(.+)")
    end
    local cookie = ngx.var.http_cookie
    local token = cookie and cookie:match("dcos%-acs%-auth%-cookie=([^;%s]+)")
    if token ~= nil then
        ngx.req.set_header("Authorization", "token=" .. token)
    end
    return token
end

-- Whether dcos-oauth knows the user (its GET /acs/api/v1/users/<uid>); nil on no answer.
local function user_exists(uid)
    local now = ngx.now()
    if (known_users[uid] or 0) > now then
        return true
    end
    local sock = ngx.socket.tcp()
    sock:settimeout(2000)
    local ok, err = sock:connect(IAM_HOST, IAM_PORT)
    if not ok then
        ngx.log(ngx.ERR, "cannot reach dcos-oauth to check a user: ", err)
        return nil
    end
    sock:send("GET /acs/api/v1/users/" .. ngx.escape_uri(uid) ..
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    local status_line = sock:receive("*l")
    sock:close()
    local status = status_line and tonumber(status_line:match("^HTTP/%d%.%d (%d+)"))
    if status == 200 then
        known_users[uid] = now + CHECK_USER_EVERY_S
        return true
    end
    known_users[uid] = nil
    if status == 404 then
        return false
    end
    ngx.log(ngx.ERR, "unexpected answer from dcos-oauth about a user: ", status_line or "none")
    return nil
end

-- The check of a protected location: returns if the request may pass, else answers 401.
function _M.protect()
    if not enabled then
        return util.clear_dcos_cookies()
    end
    if secret == nil then
        return unauthorized("no cluster token secret yet")
    end
    local token = token_of_request()
    util.clear_dcos_cookies()
    if token == nil then
        return unauthorized("no token in the request")
    end
    local uid, why = uid_of(token, ngx.now())
    if uid == nil then
        return unauthorized("invalid token: " .. why)
    end
    local exists = user_exists(uid)
    if exists == false then
        return unauthorized("no such user: " .. uid)
    end
    if exists == nil then
        ngx.status = ngx.HTTP_INTERNAL_SERVER_ERROR
        return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
    end
end

return _M
