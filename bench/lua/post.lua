-- POST load: the body is read from $BENCH_BODY (multipart or urlencoded, $BENCH_CONTENT_TYPE) and
-- its placeholder @@KEY@@ replaced by a key unique to each request (the submit key: each
-- request files a new application, never a retry of an earlier one).
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

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

function done(summary, latency, requests)
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
