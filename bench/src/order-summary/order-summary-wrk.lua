-- wrk script of the order-summary-stores benchmark. Arguments after `--`: the list file ("<path>
-- <bearer token>" per line, cycled through in order) and a rate in requests/s for this thread (0:
-- unpaced, each connection sends again as soon as its answer came). Paced, request k is due at
-- start + k / rate: a free connection waits until the next due time (wrk's delay()), and a request
-- that finds no connection free goes out late (wrk stays closed loop), counted as a late send.
-- Prints one line of JSON at the end.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } order_summary_timespec;
int clock_gettime(int clock_id, order_summary_timespec *time);
]]
local clock = ffi.new("order_summary_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}
local prepared = {}
local next_index = 0
local interval_ms = 0
local started_ms = nil
local due_count = 0
late_sends = 0
max_late_ms = 0

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("^(%S+) (%S+)$")
    if path ~= nil then
      prepared[#prepared + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
    end
  end
  if #prepared == 0 then error("empty request list " .. tostring(args[1])) end
  local rate = tonumber(args[2] or "0")
  if rate > 0 then interval_ms = 1000 / rate end
end

function delay()
  if interval_ms == 0 then return 0 end
  local now = now_ms()
  if started_ms == nil then started_ms = now end
  local due = started_ms + due_count * interval_ms
  due_count = due_count + 1
  local wait = due - now
  if wait >= 0 then return math.floor(wait) end
  if -wait > 1 then late_sends = late_sends + 1 end
  if -wait > max_late_ms then max_late_ms = -wait end
  return 0
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local late, max_late = 0, 0
  for _, thread in ipairs(threads) do
    late = late + (thread:get("late_sends") or 0)
    max_late = math.max(max_late, thread:get("max_late_ms") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"durationUs":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
      '"p50Us":%d,"p99Us":%d,"maxUs":%d,"lateSends":%d,"maxLateMs":%.3f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, late, max_late))
end
