-- wrk walks a list of addresses and logs every response (bench/search_load.py).
--
-- wrk -tN -cN (one connection per thread, so a thread's request and its response
-- alternate) -s bench/search_load.lua URL -- ADDRESSES LOG N
--
-- ADDRESSES holds one path and query string a line. Thread k (of N) asks for lines
-- k+1, k+1+N, k+1+2N ... and starts again from its first line at the end, so the
-- threads never ask for the same address until the list is used up. Each response
-- becomes a line of LOG.k: status, microseconds from the request to its response,
-- whether the page cache served it (the X-Page-Cache header), and the address.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } search_load_timespec;
int clock_gettime(int clock_id, search_load_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("search_load_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local paths, index, log, path, started
local request_headers = { ["Accept-Encoding"] = "br, gzip" }

function init(args)
  local stride = tonumber(args[3])
  paths = {}
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if (n - 1) % stride == id then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no addresses for thread " .. id)
  end
  index = 0
  log = assert(io.open(args[2] .. "." .. id, "w"))
  log:setvbuf("line")
end

function request()
  index = index % #paths + 1
  path = paths[index]
  started = now_us()
  return wrk.format("GET", path, request_headers)
end

function response(status, headers, body)
  local elapsed = now_us() - started
  log:write(status, "\t", string.format("%.0f", elapsed), "\t", headers["X-Page-Cache"] or "-", "\t", path, "\n")
end
