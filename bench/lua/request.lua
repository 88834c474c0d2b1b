-- One fixed request: BENCH_METHOD, BENCH_BODY, and BENCH_AUTH (Authorization) or BENCH_COOKIE.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
dofile(dir .. "common.lua")

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then wrk.headers["Cookie"] = cookie end
local tag = os.getenv("BENCH_IF_NONE_MATCH")
if tag ~= nil and tag ~= "" then wrk.headers["If-None-Match"] = tag end
