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

accesslog = None
errorlog = "-"
loglevel = "warning"

# Taking turns. A greenlet gives way only when it waits for the network. A client that
# asks again as soon as its response arrives (a program, a proxy's pooled connection, a
# fast network) has its next request waiting by the time the response is sent: the
# greenlet reads it without waiting, serves it, and the next, while the worker's other
# connections wait. Measured with 4 such clients on 2 workers: pages rendered in 8 ms
# answered after up to 1 s, 1 in 100 after more than 200 ms. So after each response
# the worker's loop runs once (a timer, not sleep(0), which may come straight back),
# and every connection with a request waiting goes first.
TURN_SECONDS = 0.00001


def post_request(worker, req, environ, resp):
    if worker.__class__.__module__ == "gunicorn.workers.ggevent":
        from gevent import sleep

        sleep(TURN_SECONDS)


# What the app keeps for its whole life (modules, routes, the compiled layout) is moved
# out of the garbage collector's sight once the worker has loaded it: a full collection
# then looks at what requests leave behind only (measured under search load at 100,000
# responses: full collections of 50-115 ms, every few seconds, became 5-11 ms).
def post_worker_init(worker):
    import gc

    gc.freeze()
