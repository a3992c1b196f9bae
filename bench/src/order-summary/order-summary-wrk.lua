-- wrk script of the order-summary-stores benchmark: each request a GET of the next line of the
-- list file given after `--` ("<path> <bearer token>" per line), then one line of JSON at the end.
local prepared = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^(%S+) (%S+)$")
    if path ~= nil then
      prepared[#prepared + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
    end
  end
  if #prepared == 0 then error("empty request list " .. tostring(args[1])) end
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"durationUs":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
      '"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
