"""A throwaway PostgreSQL server on 127.0.0.1 for the integration tests and the benchmark.

Debian's binaries (``/usr/lib/postgresql/<version>/bin``: initdb, pg_ctl) run a cluster in a
temporary directory on a free port with trust authentication on loopback only. PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` system user (via
``runuser``); :func:`unavailable` says why it cannot start when it cannot.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["postgres", "unavailable"]


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "missing"
    return "postgres"


def unavailable() -> str | None:
    """Why a temporary PostgreSQL cannot run here, or ``None`` when it can."""
    if _bin() is None:
        return "PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql"
    if _user() == "missing":
        return "running as root and there is no 'postgres' user to run PostgreSQL as"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to drop to the postgres user"
    return None


def _run(cmd: list[str], user: str | None) -> None:
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    subprocess.run(full, check=True, capture_output=True, timeout=120)


@contextmanager
def postgres() -> Iterator[str]:
    """Start a cluster; yield its SQLAlchemy URL; stop it and delete its files."""
    why = unavailable()
    if why:
        raise RuntimeError(why)
    binary = _bin()
    assert binary is not None
    user = _user()
    root = Path(tempfile.mkdtemp(prefix="tp-pg-"))
    if user:
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data = root / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        _run([str(binary / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
             user)
        opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=on -c max_connections=50"
        _run([str(binary / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60",
              "start"], user)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([str(binary / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
    finally:
        shutil.rmtree(root, ignore_errors=True)
