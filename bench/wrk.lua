-- wrk script of the benchmark (bench/bench.py). One prebuilt request per case, from the environment:
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY (optional), BENCH_CONTENT_TYPE (optional), BENCH_COOKIE (optional: a
--   returning browser's history cookie, `name=value`, for the private scope),
--   BENCH_MAX_REQUESTS: cap on requests sent per wrk thread (the run stops at the cap or at -d, whichever first).
-- done() prints one JSON line `BENCH_RESULT {...}` with counts and latency percentiles in microseconds.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local content_type = os.getenv("BENCH_CONTENT_TYPE")
local cookie = os.getenv("BENCH_COOKIE")
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "0")

local prebuilt
local sent = 0

function init(args)
  local headers = {}
  if cookie and cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if body and body ~= "" then
    headers["Content-Type"] = content_type or "application/json"
  else
    body = nil
  end
  prebuilt = wrk.format(method, path, headers, body)
end

function request()
  sent = sent + 1
  if max_requests > 0 and sent >= max_requests then
    wrk.thread:stop()
  end
  return prebuilt
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
