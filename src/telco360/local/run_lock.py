"""One `telco360 run` per lake at a time: a lock file with a stale-lock rule."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from telco360.shipped import lake_layout


class LakeBusy(Exception):
    """Another run holds the lake."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """`with RunLock(lake): ...` holds `<lake>/_locks/run.lock` for the duration.

    A lock is stale, and taken over, when its process is gone (same host). A lock from another
    host is never taken over automatically: the message says how to remove it.
    """

    def __init__(self, lake: str):
        self.path = Path(lake) / lake_layout.RUN_LOCK

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        for _attempt in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder and holder.get("host") == me["host"] and not _alive(holder["pid"]):
                    self.path.unlink(missing_ok=True)  # stale: its process died
                    continue
                raise LakeBusy(
                    f"another telco360 run holds this lake (pid {holder.get('pid')} on "
                    f"{holder.get('host')}, lock {self.path}); wait for it to finish. If that "
                    "process is gone, delete the lock file and run again."
                ) from None
            with os.fdopen(fd, "w") as out:
                json.dump(me, out)
            return self
        raise LakeBusy(f"could not take the lake lock {self.path}")

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {"pid": -1, "host": socket.gethostname()}  # half-written lock: stale

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)
