import json
import os
import socket
import subprocess
import sys

import pytest

from telco360.local.run_lock import LakeBusy, RunLock


def test_second_run_on_the_same_lake_refuses_with_the_holder(tmp_path):
    holder = RunLock(str(tmp_path))
    with holder, pytest.raises(LakeBusy, match=f"pid {os.getpid()}"), RunLock(str(tmp_path)):
        pass
    assert not (tmp_path / "_locks" / "run.lock").exists()  # released


def test_lock_of_a_dead_process_is_stale_and_taken_over(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock = tmp_path / "_locks" / "run.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    with RunLock(str(tmp_path)):
        assert json.loads(lock.read_text())["pid"] == os.getpid()


def test_lock_from_another_host_is_never_taken_over(tmp_path):
    lock = tmp_path / "_locks" / "run.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": 1, "host": "some-other-host"}))
    with pytest.raises(LakeBusy, match="some-other-host"), RunLock(str(tmp_path)):
        pass
    assert lock.exists()
