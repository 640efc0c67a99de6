"""gunicorn settings for serving the site: `gunicorn -c deploy/gunicorn.conf.py 'webapp:create_app()'`.

The README's production command and `make bench` both start gunicorn with this file, so
what is benchmarked is what is shipped. Anything given on the command line wins over
this file (`--bind 0.0.0.0:8000`, `--workers 4`); see docs/serving.md for why each
value is what it is and what it was measured against.
"""

import ctypes
import mmap
import time

import gevent
import gevent.monkey
from gunicorn.workers import ggevent

# A worker holding this many requests leaves new connections to the others...
IN_HAND = 1
# ...for this long, then takes one itself if none has (so none waits for ever).
BACKOFF_SECONDS = 0.01
# How long a new connection counts as held before its first request has arrived.
FRESH_SECONDS = 0.002
# A kept-alive connection (one that has asked again after its first response) is in use
# while a request of its own is in hand, and for this long after each response; an idle
# one is not, nor is a connection that has asked only once (a client connecting for one
# request, which will not stay).
IN_USE_SECONDS = 0.005
# A worker with more connections in use than another leaves a new connection to it for
# this long at most, and not at all while that one has held a request this long without
# finishing one (it is stuck)...
BALANCE_SECONDS = 0.1
# ...looking again this often, as the counts change.
LOOK_AGAIN_SECONDS = 0.001
# A worker with this many more kept-alive connections in use than another closes one after
# its response (``Connection: close``), at most once in BALANCE_SECONDS: the client
# connects again, and the new connection goes to a worker with fewer.
SHED_EXCESS = 2


class Tally:
    """Each worker's connections in use and requests in hand, in memory the workers of
    one arbiter share: mapped in the arbiter before its first fork, so every worker
    forked from it reads and writes the same page. A slot is reserved in the arbiter
    when a worker is made and given back when the arbiter has reaped it."""

    SLOTS = 64
    FIELDS = 5
    HELD, ACCEPTING, IN_USE, IN_HAND, PROGRESS = range(FIELDS)
    USED = SLOTS * FIELDS  # the cell after the slots: how many slots were ever held

    def __init__(self):
        self.memory = mmap.mmap(-1, (self.USED + 1) * 8)
        self.cells = memoryview(self.memory).cast("q")

    def reserve(self) -> int | None:
        """A free slot, now held (None when all are: that worker does not balance)."""
        for slot in range(self.SLOTS):
            if not self.cells[slot * self.FIELDS + self.HELD]:
                self.set(slot, self.HELD, 1)
                self.cells[self.USED] = max(self.cells[self.USED], slot + 1)
                return slot
        return None

    def release(self, slot: int) -> None:
        for field in range(self.FIELDS):
            self.set(slot, field, 0)

    def set(self, slot: int, field: int, value: int) -> None:
        self.cells[slot * self.FIELDS + field] = value

    def least_in_use(self, slot: int, now: int) -> int | None:
        """The fewest connections in use of the other workers that accept connections
        and will take a new one soon: those with a hand free, or that have finished a
        request, or taken one with a hand free, in the last BALANCE_SECONDS (``now`` and
        the times kept are monotonic ns). None when there is no such worker."""
        cells, fields, least = self.cells, self.FIELDS, None
        for other in range(cells[self.USED]):  # not the slots no worker has held
            base = other * fields
            if other == slot or not cells[base + self.ACCEPTING]:
                continue
            if cells[base + self.IN_HAND] and now - cells[base + self.PROGRESS] >= BALANCE_SECONDS * 1e9:
                continue  # stuck
            if least is None or cells[base + self.IN_USE] < least:
                least = cells[base + self.IN_USE]
        return least


# select() itself, not gevent's (which would wait on the event loop): a look at the
# listening socket's queue from inside the loop's own callbacks.
select_now = gevent.monkey.get_original("select", "select")


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

    Between workers, over time: a connection stays with the worker that accepted it, so
    a kept-alive client (a load tester, a proxy's pool, a browser) is served by one
    worker for as long as it stays. A free hand alone decided who took the next one, and
    a worker whose requests ended sooner took more of them: three of four clients on
    one worker while the other waited on PostgreSQL. So each worker also publishes how
    many of its kept-alive connections are in use (``Tally``; ``IN_USE_SECONDS``), and
    one with more in use than another leaves a waiting connection to that one while
    it is free or has finished a request in the last ``BALANCE_SECONDS`` (a stuck
    worker is not waited for), and for at most ``BALANCE_SECONDS``, looking again
    every ``LOOK_AGAIN_SECONDS``. A client's first request cannot tell a kept-alive
    client from one that will leave, so clients connecting together can still split
    unevenly: a worker with ``SHED_EXCESS`` more in use than another then closes one
    after its response, and the client's next connection goes to the other.

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

    tally: Tally | None = None  # the arbiter's, made with its first worker

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # gunicorn makes each worker in the arbiter, then forks it.
        if TurnTakingWorker.tally is None:
            TurnTakingWorker.tally = Tally()
        self.tally = TurnTakingWorker.tally
        self.slot = self.tally.reserve()
        self.servers: list = []
        self.in_hand = 0
        self.fresh: dict = {}  # a new connection's socket -> the timer that stops it counting
        self.asked: dict = {}  # an open connection -> how many requests it has sent
        self.in_use: dict = {}  # a kept-alive connection in use -> when its last response was sent (None: in hand)
        self.expiry = None  # the timer after which the earliest of those stops being in use
        self.shed_at = 0  # when it last closed a kept-alive connection for another worker to take (ns)

    def publish(self, field: int, value: int) -> None:
        if self.slot is not None:
            self.tally.set(self.slot, field, value)

    def excess_in_use(self, now: int) -> int:
        """How many more connections this worker has in use than the other worker with
        fewest (0 when it has no more, or there is no other)."""
        least = None if self.slot is None else self.tally.least_in_use(self.slot, now)
        return 0 if least is None else max(len(self.in_use) - least, 0)

    def run(self):
        worker = self

        class Server(ggevent.StreamServer):
            """Accepts only with a hand free, or once its back-off has run out; leaves
            a connection to a worker with fewer in use."""

            timer = None  # the timer after which it looks at what is waiting again
            leaving_since = None  # when it began leaving connections to a worker with fewer in use

            def start(self):
                super().start()
                worker.servers.append(self)
                worker.publish(Tally.ACCEPTING, 1)

            def close(self):
                worker.publish(Tally.ACCEPTING, 0)  # shutting down: leave it nothing
                super().close()

            def do_read(self):
                if worker.in_hand >= IN_HAND:
                    self.hold_back(self.overdue, BACKOFF_SECONDS)
                elif self.leaving():
                    self.hold_back(self.resume, LOOK_AGAIN_SECONDS)
                else:
                    return self.take()
                return None

            def take(self):
                self.leaving_since = None
                return super().do_read()

            def hold_back(self, then, seconds: float):
                self.stop_accepting()
                if self.timer is None:
                    self.timer = self.loop.timer(seconds)
                    self.timer.start(then)

            def leaving(self) -> bool:
                """Another worker with fewer connections in use will take what is
                waiting: leave it to that one, for at most BALANCE_SECONDS."""
                now = time.monotonic_ns()
                if not worker.excess_in_use(now):
                    self.leaving_since = None
                    return False
                if self.leaving_since is None:
                    self.leaving_since = now
                return now - self.leaving_since < BALANCE_SECONDS * 1e9

            def overdue(self):
                """No worker with a hand free has taken what was waiting: take one
                connection, if one is still waiting and no worker with fewer in use
                will."""
                self.resume()
                if self.started and self.waiting():
                    if self.leaving():
                        self.hold_back(self.resume, LOOK_AGAIN_SECONDS)
                        return
                    try:
                        accepted = self.take()  # None: taken meanwhile
                    except OSError:
                        return  # the listening socket's own turn reports it
                    if accepted:
                        self.do_handle(*accepted)

            def waiting(self) -> bool:
                """A connection is waiting in the listening socket's queue."""
                return bool(select_now([self.socket], [], [], 0)[0])

            def resume(self):
                """Accept again (what is waiting is looked at afresh)."""
                if self.timer is not None:
                    self.timer.close()
                    self.timer = None
                if self.started:  # not closed for a graceful shutdown
                    self.start_accepting()
                    if self.leaving_since is not None and not self.waiting():
                        self.leaving_since = None  # another took it: the next one's wait starts afresh

        # gunicorn's run() builds its servers from this module's StreamServer: in this
        # worker's own process, build them from one that takes turns.
        ggevent.StreamServer = Server
        super().run()

    def use(self, sock, since: float | None) -> None:
        """``sock`` is in use: a request in hand (``since`` None), or its last response
        sent at ``since`` (monotonic seconds)."""
        counted = sock in self.in_use
        self.in_use[sock] = since
        if not counted:
            self.publish(Tally.IN_USE, len(self.in_use))
        if since is not None and self.expiry is None and self.slot is not None:
            self.expiry = gevent.get_hub().loop.timer(IN_USE_SECONDS)
            self.expiry.start(self.expire)

    def unuse(self, sock) -> None:
        if self.in_use.pop(sock, False) is not False:
            self.publish(Tally.IN_USE, len(self.in_use))

    def expire(self):
        """Connections that have asked nothing for IN_USE_SECONDS are no longer in use;
        look again when the next of them would be."""
        self.expiry.close()
        self.expiry = None
        now = time.monotonic()
        idle = [sock for sock, since in self.in_use.items() if since is not None and now - since >= IN_USE_SECONDS]
        for sock in idle:
            del self.in_use[sock]
        if idle:
            self.publish(Tally.IN_USE, len(self.in_use))
        pending = [since for since in self.in_use.values() if since is not None]
        if pending:
            self.expiry = gevent.get_hub().loop.timer(max(min(pending) + IN_USE_SECONDS - now, 0.0))
            self.expiry.start(self.expire)

    def handle(self, listener, client, addr):
        self.asked[client] = 0
        self.hold()
        timer = self.fresh[client] = gevent.get_hub().loop.timer(FRESH_SECONDS)
        timer.start(self.stale, client)
        try:
            super().handle(listener, client, addr)
        finally:
            self.stale(client)  # closed before a request arrived
            del self.asked[client]
            self.unuse(client)

    def stale(self, client):
        """The new connection stops counting (it sent no request in time, or closed)."""
        timer = self.fresh.pop(client, None)
        if timer is not None:
            timer.close()
            self.give()

    def handle_request(self, listener_name, req, sock, addr):
        self.asked[sock] += 1
        kept_alive = self.asked[sock] > 1
        if kept_alive:
            self.use(sock, None)
            self.shed(req)
        timer = self.fresh.pop(sock, None)
        if timer is not None:
            timer.close()  # the new connection's count becomes its first request's
        else:
            self.hold()
        try:
            kept_open = super().handle_request(listener_name, req, sock, addr)
        finally:
            if kept_alive:
                self.use(sock, time.monotonic())
            self.give()
        gevent.idle(priority=1)  # the turn between connections
        return kept_open

    def shed(self, req) -> None:
        """Close this kept-alive connection after its response when this worker has
        SHED_EXCESS more in use than another: its client connects again, and the new
        connection is left to the worker with fewer."""
        if len(self.in_use) < SHED_EXCESS:
            return  # no excess possible: the others' counts are not read
        now = time.monotonic_ns()
        if now - self.shed_at >= BALANCE_SECONDS * 1e9 and self.excess_in_use(now) >= SHED_EXCESS:
            self.shed_at = now
            req.must_close = True  # gunicorn answers with Connection: close, then closes

    def hold(self):
        if not self.in_hand:
            self.publish(Tally.PROGRESS, time.monotonic_ns())
        self.in_hand += 1
        self.publish(Tally.IN_HAND, self.in_hand)

    def give(self):
        self.in_hand -= 1
        self.publish(Tally.PROGRESS, time.monotonic_ns())
        self.publish(Tally.IN_HAND, self.in_hand)
        if self.in_hand < IN_HAND:
            for server in self.servers:
                if server.timer is not None:
                    server.resume()


def child_exit(server, worker):
    """The arbiter has reaped ``worker``: its slot in the tally is free again."""
    if getattr(worker, "slot", None) is not None:
        worker.tally.release(worker.slot)


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
