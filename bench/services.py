"""Private services for the tests and benchmarks that stop and start them.

Nothing here touches a server anyone else uses: each service is a new process of this
machine's own binaries, with its data in a temporary folder and its own free loopback
port, stopped (and its folder removed) when the ``with`` block ends.

- :class:`PrivatePostgres`: ``initdb`` into a temporary folder, ``pg_ctl`` on a free port
  (trust authentication, loopback only); ``restart()`` is a fast shutdown and a start.
- :class:`PrivateRedis`: ``redis-server`` on a free port, no persistence; ``stop()`` and
  ``start()`` on demand.
- :class:`Instance`: one instance of the site served by gunicorn (:func:`gunicorn_command`
  is the one place that says how gunicorn is started).
- :class:`LoadBalancer`: HAProxy started from ``deploy/haproxy.cfg`` exactly as shipped,
  its addresses given in the environment variables the file reads.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEPLOY = ROOT / "deploy"
HAPROXY_CONFIG = DEPLOY / "haproxy.cfg"


class ServiceError(RuntimeError):
    """A private service could not be started (its log is in the message)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.05) -> float:
    """Call ``check`` until it is true; the seconds it took. ServiceError after ``timeout``."""
    began = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - began
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() - began > timeout:
            raise ServiceError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


def serves(process: subprocess.Popen, url: str, timeout: float = 60.0, host: str | None = None) -> bool:
    """True once ``url`` answers 200; False if ``process`` (the server) exits first or
    ``timeout`` seconds pass."""
    try:
        wait_until(lambda: process.poll() is not None or http_status(url, host=host) == 200, timeout, url,
                   interval=0.2)
    except ServiceError:
        return False
    return process.poll() is None


def http_status(url: str, timeout: float = 2.0, host: str | None = None) -> int:
    """The status ``url`` answers, sent with ``host`` as its Host header when given."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def postgres_bin_dir() -> Path | None:
    """Where this machine's PostgreSQL server programs are (the newest version)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def missing_programs() -> list[str]:
    """The programs the private services need that are not on this machine."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("PostgreSQL (initdb, pg_ctl)")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        missing.append("haproxy")
    return missing


class PrivatePostgres:
    def __init__(self):
        self.bin = postgres_bin_dir()
        if self.bin is None:
            raise ServiceError("PostgreSQL server programs not found (`make test` installs Debian's postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="foi-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "server.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # The server refuses to run as root: run it as the data folder's owner.
            import pwd
            user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            self._as_user = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]

    def url(self, database: str = "foi") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_user, *args], check=check, capture_output=True, text=True,
                              cwd=self.dir, env={**os.environ, "LC_ALL": "C.UTF-8"})

    def initdb(self) -> None:
        result = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "--auth=trust", "--encoding=UTF8", "--no-sync", check=False)
        if result.returncode:
            raise ServiceError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.dir}' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=128MB")
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                           "-o", options, "-w", "-t", "60", "start", check=False)
        if result.returncode:
            raise ServiceError(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{self.read_log()}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        """A fast shutdown (clients are disconnected, transactions rolled back), then a start."""
        self.stop("fast")
        self.start()

    def create_database(self, name: str = "foi") -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def read_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def __enter__(self) -> PrivatePostgres:
        try:
            self.initdb()
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop("immediate")
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PrivateRedis:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="foi-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir,
        )
        wait_until(self.ping, 20, "redis-server")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


SITE_UNIT = DEPLOY / "foi-site@.service"
INSTALLED_ROOT = "/srv/foi/"


def unit_command(key: str, port: int) -> list[str]:
    """A command line of deploy/foi-site@.service (``ExecStart``, ``ExecStartPre``), for
    this checkout: the unit's /srv/foi/ is this folder and %i is ``port``."""
    for line in SITE_UNIT.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == key:
            words = shlex.split(value.replace("%i", str(port)))
            return [str(ROOT / word[len(INSTALLED_ROOT):]) if word.startswith(INSTALLED_ROOT) else word
                    for word in words]
    raise ServiceError(f"{SITE_UNIT.name} has no {key}")


def gunicorn_command(port: int) -> list[str]:
    """How an instance is served: the one place that says it. The command is the
    systemd unit's ExecStart (gunicorn with deploy/gunicorn.conf.py, bound to ``port``),
    so the unit and settings file operators install are the ones tested."""
    return unit_command("ExecStart", port)


class Instance:
    """One instance of the site (a gunicorn master and its workers) on its own port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path):
        self.name = name
        self.env = env
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self, wait: bool = True) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                gunicorn_command(self.port), cwd=ROOT, env=self.env, stdout=log, stderr=log,
            )
        if wait:
            self.wait_healthy()

    def wait_healthy(self, timeout: float = 30) -> float:
        def healthy():
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited:\n{self.read_log()}")
            return http_status(self.url + "/healthz") == 200
        try:
            return wait_until(healthy, timeout, f"instance {self.name}")
        except ServiceError as error:
            raise ServiceError(f"{error}\n{self.read_log()}") from None

    def worker_pids(self) -> list[int]:
        if not self.process:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def kill(self) -> None:
        """SIGKILL the master and its workers: a crash, nothing finished."""
        pids = self.worker_pids()
        self.process.send_signal(signal.SIGKILL)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM (gunicorn's graceful shutdown) and wait for it to exit; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.terminate(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class LoadBalancer:
    """HAProxy from ``deploy/haproxy.cfg``, unchanged, listening on a free port."""

    def __init__(self, servers: list[str], log_dir: Path, site_host: str = "localhost"):
        if len(servers) != 3:
            raise ValueError("deploy/haproxy.cfg names three instances")
        self.port = free_port()
        self.site_host = site_host
        self.socket = log_dir / "haproxy-admin.sock"
        self.log_path = log_dir / "haproxy.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "FOI_LISTEN": f"127.0.0.1:{self.port}",
            "HAPROXY_ADMIN_SOCKET": str(self.socket),
            "FOI_SITE_HOST": site_host,
            **{f"FOI_APP{number}": address for number, address in enumerate(servers, start=1)},
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([haproxy, "-db", "-f", str(HAPROXY_CONFIG)], env=self.env,
                                            stdout=log, stderr=log)
        wait_until(lambda: self.process.poll() is None and self.socket.exists()
                   and http_status(self.url + "/healthz", host=self.site_host) == 200, 30, "haproxy")

    def command(self, line: str) -> str:
        """One command on HAProxy's admin socket (the runtime API)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def servers(self) -> dict[str, dict[str, str]]:
        """``show stat`` for the app backend's servers: name -> fields (status, scur, ...)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = {}
        for line in lines[1:]:
            fields = dict(zip(header, line.split(","), strict=False))
            if fields.get("pxname") == "app" and fields.get("svname") not in ("FRONTEND", "BACKEND"):
                rows[fields["svname"]] = fields
        return rows

    def set_state(self, server: str, state: str) -> None:
        self.command(f"set server app/{server} state {state}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""
