-- POST load: the body is read from $BENCH_BODY (multipart or urlencoded, $BENCH_CONTENT_TYPE) and
-- its placeholder @@KEY@@ replaced by a key unique to each request (the submit key: each
-- request files a new application, never a retry of an earlier one).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
  local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  local body = file:read("*a")
  file:close()
  local at = string.find(body, "@@KEY@@", 1, true)
  head = string.sub(body, 1, at - 1)
  tail = string.sub(body, at + 7)
  path = os.getenv("BENCH_PATH")
  headers = {["Cookie"] = os.getenv("BENCH_COOKIE"), ["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")}
  run = os.getenv("BENCH_RUN") or "0"
  n = 0
end

function request()
  n = n + 1
  local key = string.format("b%s-%d-%d", run, tid, n)
  key = key .. string.rep("x", 32 - #key)  -- every body the same length
  return wrk.format("POST", path, headers, head .. key .. tail)
end
