"""gunicorn settings for serving the site: `gunicorn -c deploy/gunicorn.conf.py 'webapp:create_app()'`.

The README's production command and `make bench` both start gunicorn with this file, so
what is benchmarked is what is shipped. Anything given on the command line wins over
this file (`--bind 0.0.0.0:8000`, `--workers 4`); see docs/serving.md for why each
value is what it is and what it was measured against.
"""

import ctypes

import gevent
from gunicorn.workers import ggevent

# A worker holding this many requests leaves new connections to the others...
IN_HAND = 1
# ...for this long, then takes one itself if none has (so none waits for ever).
BACKOFF_SECONDS = 0.01
# How long a new connection counts as held before its first request has arrived.
FRESH_SECONDS = 0.002


class TurnTakingWorker(ggevent.GeventWorker):
    """gunicorn's gevent worker, taking turns with the other workers and between its
    own connections (docs/serving.md, "Taking turns").

    Between workers: all of them accept from one listening socket, and an idle gevent
    worker accepts every connection waiting, and every one arriving while its own
    request waits for the database: four clients connecting together all landed on one
    worker, which then served them on one core while the other core idled. Here a
    worker holding ``IN_HAND`` requests leaves a waiting connection in the kernel's queue
    for a worker with a hand free, and takes it itself after ``BACKOFF_SECONDS`` if none
    has, or as soon as its own hand is free. A request is held from its arrival until
    its response is sent; a new connection from its accept until its first request
    arrives, for at most ``FRESH_SECONDS`` (a client that connects and sends nothing
    cannot hold a worker back). Connections already accepted are served as before.

    Between connections: after each response the worker's event loop polls the sockets
    once before this connection's next request is read, so every other connection with
    a request waiting, and a new connection, gets its turn. A gevent worker otherwise
    reads a kept-alive connection's next request straight after sending the response;
    when the client has already sent it (a load tester, a proxy, a browser fetching a
    page's assets) the read returns at once and the loop never runs: under wrk one
    connection held a worker for up to 1.5 s while the others waited. An idle watcher
    with a priority above the sockets' (0) returns on the loop's next turn, after the
    poll, whatever else is ready; at the default priority it would return only once
    nothing else is, and a stream of new connections would starve the kept-alive ones."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.servers: list = []
        self.in_hand = 0
        self.fresh: dict = {}  # a new connection's socket -> the timer that stops it counting

    def run(self):
        worker = self

        class Server(ggevent.StreamServer):
            """Accepts only with a hand free, or once its back-off has run out."""

            backoff = None  # the timer after which it takes a waiting connection anyway

            def start(self):
                super().start()
                worker.servers.append(self)

            def do_read(self):
                if worker.in_hand >= IN_HAND:
                    self.stop_accepting()
                    if self.backoff is None:
                        self.backoff = self.loop.timer(BACKOFF_SECONDS)
                        self.backoff.start(self.overdue)
                    return None
                return super().do_read()

            def overdue(self):
                """No worker with a hand free has taken what was waiting: take one
                connection, if one is still waiting."""
                self.resume()
                if self.started:
                    try:
                        accepted = super().do_read()  # None: nothing waiting
                    except OSError:
                        return  # the listening socket's own turn reports it
                    if accepted:
                        self.do_handle(*accepted)

            def resume(self):
                if self.backoff is not None:
                    self.backoff.close()
                    self.backoff = None
                if self.started:  # not closed for a graceful shutdown
                    self.start_accepting()

        # gunicorn's run() builds its servers from this module's StreamServer: in this
        # worker's own process, build them from one that takes turns.
        ggevent.StreamServer = Server
        super().run()

    def handle(self, listener, client, addr):
        self.in_hand += 1
        timer = self.fresh[client] = gevent.get_hub().loop.timer(FRESH_SECONDS)
        timer.start(self.stale, client)
        try:
            super().handle(listener, client, addr)
        finally:
            self.stale(client)  # closed before a request arrived

    def stale(self, client):
        """The new connection stops counting (it sent no request in time, or closed)."""
        timer = self.fresh.pop(client, None)
        if timer is not None:
            timer.close()
            self.give()

    def handle_request(self, listener_name, req, sock, addr):
        timer = self.fresh.pop(sock, None)
        if timer is not None:
            timer.close()  # the new connection's count becomes its first request's
        else:
            self.in_hand += 1
        try:
            kept_open = super().handle_request(listener_name, req, sock, addr)
        finally:
            self.give()
        gevent.idle(priority=1)  # the turn between connections
        return kept_open

    def give(self):
        self.in_hand -= 1
        if self.in_hand < IN_HAND:
            for server in self.servers:
                if server.backoff is not None:
                    server.resume()


# One gevent worker per core, taking turns (TurnTakingWorker). A gevent worker serves
# each connection in its own greenlet, so a visitor on a slow network (or one sending
# its request a byte at a time) holds a few kilobytes of memory, never the worker: the
# app server is not held by a client's close, and needs no buffering proxy in front.
# Requests are still CPU-bound: the page cache answers most of them in well under a
# millisecond.
worker_class = TurnTakingWorker
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


# glibc gives the top of the heap back to the system as soon as more than a little of it
# is free (128 KB, or twice the largest block lately freed), and compressing a response
# frees a few hundred kilobytes: Brotli's tables for that response. The next response
# then faulted the same memory in again, page by page: about 90 page faults a compressed
# page, which made Brotli cost 0.21 ms instead of 0.12 ms on a 22 KB page (docs/serving.md,
# "Memory kept for the next response"). M_TOP_PAD keeps this much more at the top when
# the heap grows or shrinks, so the next response finds its memory mapped.
HEAP_TOP_PAD = 1 << 20
M_TOP_PAD = -2  # glibc's <malloc.h>


def keep_heap_top(pad: int = HEAP_TOP_PAD) -> bool:
    """Ask glibc's malloc to keep ``pad`` bytes at the top of the heap; False where the C
    library is not glibc (nothing changes there)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return mallopt(M_TOP_PAD, pad) == 1


# What the app keeps for its whole life (modules, routes, the compiled layout) is moved
# out of the garbage collector's sight once the worker has loaded it: a full collection
# then looks at what requests leave behind only (measured under search load at 100,000
# responses: full collections of 50-115 ms, every few seconds, became 5-11 ms).
def post_worker_init(worker):
    import gc

    gc.freeze()
    keep_heap_top()
