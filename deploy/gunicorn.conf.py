"""gunicorn settings for serving the site: `gunicorn -c deploy/gunicorn.conf.py 'webapp:create_app()'`.

The README's production command and `make bench` both start gunicorn with this file, so
what is benchmarked is what is shipped. Anything given on the command line wins over
this file (`--bind 0.0.0.0:8000`, `--workers 4`); see docs/serving.md for why each
value is what it is and what it was measured against.
"""

# One gevent worker per core. A gevent worker serves each connection in its own greenlet,
# so a visitor on a slow network (or one sending its request a byte at a time) holds a
# few kilobytes of memory, never the worker: the app server is not held by a client's
# close, and needs no buffering proxy in front. Requests are still CPU-bound: the page
# cache answers most of them in well under a millisecond.
worker_class = "gevent"
workers = 2
# Open connections per worker (kept-alive and in-flight alike); beyond them the kernel's
# accept queue (backlog) holds new ones.
worker_connections = 1000
backlog = 2048

bind = ["127.0.0.1:8000"]

# Seconds an idle kept-alive connection stays open, and also the longest a client may
# take to send a whole request line and headers: a client trickling its headers is cut
# off after this.
keepalive = 5

# A worker that has not told the arbiter it is alive for this long is restarted.
timeout = 30
graceful_timeout = 30

# The app, not gunicorn, decides which proxy headers to trust (PROXY_FIX): gunicorn
# takes the scheme from no header and from no address.
forwarded_allow_ips = ""
secure_scheme_headers = {}

# The app is loaded in each worker after gevent has patched the standard library:
# never preload it in the arbiter.
preload_app = False


def post_request(worker, req, environ, resp):
    """Each response is a turn: before a gevent worker reads this connection's next
    request, its event loop polls the sockets once, so every other connection with a
    request waiting, and a new connection to accept, gets its turn.

    A gevent worker reads a kept-alive connection's next request straight after sending
    the response. When the client has already sent it (a load tester, a proxy, a browser
    fetching a page's assets) the read returns at once and the loop never runs: under
    wrk one connection held a worker for up to 1.5 s while the others waited, and new
    connections waited over 2 s to be accepted (docs/serving.md). An idle watcher with a
    priority above the sockets' (0) returns on the loop's next turn, after the poll,
    whatever else is ready; at the default priority it would return only once nothing
    else is, and a stream of new connections would starve the kept-alive ones. It costs
    a few microseconds. Other worker classes (given on the command line) are left as
    they are."""
    if type(worker).__module__ == "gunicorn.workers.ggevent":
        import gevent  # only in a gevent worker: the arbiter never imports it

        gevent.idle(priority=1)


accesslog = None
errorlog = "-"
loglevel = "warning"


# What the app keeps for its whole life (modules, routes, the compiled layout) is moved
# out of the garbage collector's sight once the worker has loaded it: a full collection
# then looks at what requests leave behind only (measured under search load at 100,000
# responses: full collections of 50-115 ms, every few seconds, became 5-11 ms).
def post_worker_init(worker):
    import gc

    gc.freeze()
