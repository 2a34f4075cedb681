-- wrk script for Serepok's benchmarks.
--   wrk -t2 -c4 -d30s -s bench/wrk_report.lua http://127.0.0.1:PORT -- paths.txt
-- Each request GETs a path drawn at random from paths.txt (one path a line);
-- without a file it GETs the URL given to wrk.  At the end it prints one line
--   WRK_RESULT {json}
-- with requests/s and the latency percentiles in milliseconds.

local paths = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = args[1]
  if file then
    for line in io.lines(file) do
      if #line > 0 then paths[#paths + 1] = line end
    end
  end
  math.randomseed(os.time() * 97 + (id or 0))
end

function request()
  if #paths == 0 then
    return wrk.request()
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local function ms(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "seconds": %.3f, "rps": %.2f, '
    .. '"p50_ms": %.2f, "p90_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, '
    .. '"mean_ms": %.2f, "max_ms": %.2f, "errors_status": %d, "errors_connect": %d, '
    .. '"errors_read": %d, "errors_write": %d, "errors_timeout": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    ms(50), ms(90), ms(95), ms(99), latency.mean / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
