-- GET load over a list of paths (one per line in $BENCH_PATHS), taken in turn by each thread.
-- $BENCH_COOKIE is sent as the Cookie header; with $BENCH_FORWARD set, each request carries its
-- own X-Forwarded-For (many citizens, as a reverse proxy would pass them on).
local paths = {}
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then table.insert(paths, line) end
  end
  n = tid * 7919
  cookie = os.getenv("BENCH_COOKIE") or ""
  forward = os.getenv("BENCH_FORWARD") or ""
end

function request()
  n = n + 1
  local headers = {}
  if #cookie > 0 then headers["Cookie"] = cookie end
  if #forward > 0 then
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format("GET", paths[(n % #paths) + 1], headers)
end
