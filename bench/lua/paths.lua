-- GET load over a list of paths (one per line in $BENCH_PATHS), taken in turn by each thread.
-- $BENCH_COOKIE is sent as the Cookie header; with $BENCH_FORWARD set, each request carries its
-- own X-Forwarded-For (many citizens, as a reverse proxy would pass them on).
local paths = {}
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

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

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
