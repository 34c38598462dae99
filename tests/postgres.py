"""A throwaway PostgreSQL cluster for the database tests: Debian's binaries (apt-get install postgresql),
a data folder of its own, listening on 127.0.0.1 and a free port, stopped and deleted at the end.

pg_ctl refuses to run as root, so as root the cluster runs as the `postgres` user (runuser). Connections
over TCP need a password (SCRAM), so that URLs with a password are tested against a real check; the
cluster's own socket, in its folder, trusts its owner, to set that password.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

USER, PASSWORD = "shop", "s3cret-Pa55"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster; yield the URL of its database as user `shop` with a password; stop and delete it."""
    bin_dir = postgres_bin()
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="customer-sentiment-pg-"))       # /tmp: the postgres user can reach it
    if as_owner:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()

    def run(*command):
        subprocess.run([*as_owner, *map(str, command)], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F"        # -F: no fsync, a test cluster
        run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", "-t", "60", "start")
        try:
            sql = (f"CREATE USER {USER} PASSWORD '{PASSWORD}'; CREATE DATABASE reviews OWNER {USER};")
            for statement in sql.split("; "):
                run(bin_dir / "psql", "-h", folder, "-p", port, "-U", "postgres", "-d", "postgres", "-q",
                    "-c", statement)
            yield f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{port}/reviews"
        finally:
            run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
