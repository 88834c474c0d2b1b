-- Licence assign then remove, one user at a time; each wrk thread works on its own half of the users.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
dofile(dir .. "common.lua")

local sku = os.getenv("BENCH_SKU")
local users = {}
for line in io.lines(os.getenv("BENCH_USERS")) do users[#users + 1] = line end
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
wrk.headers["Content-Type"] = "application/json"

local made = 0
function setup(thread)
  thread:set("tid", made)
  made = made + 1
end

local counter = 0
function request()
  local half = math.floor(#users / 2)
  local i = math.floor(counter / 2)
  local op = (counter % 2 == 0) and "assign" or "remove"
  counter = counter + 1
  local user = users[(tid or 0) * half + (i % half) + 1]
  local body = '{"sku_id":"' .. sku .. '","user_ids":["' .. user .. '"]}'
  return wrk.format("POST", "/api/v1/licenses/" .. op, nil, body)
end
