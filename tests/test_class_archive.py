"""The local JVM's class-data archive (telco360.local.class_archive): written once, then mapped.

HotSpot's documented behaviour (JDK 17, "Class Data Sharing",
https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html): `-XX:ArchiveClassesAtExit`
writes a dynamic archive when the JVM exits; `-XX:SharedArchiveFile` maps it at start-up, and
an archive that does not match the running JVM is not used (the JVM starts anyway). Each case
here is a fresh process with its own cache folder, as a user's `telco360 run` is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from telco360.local import class_archive

# A fresh process: start the local session (and, with an argument, run a query in it), print
# whether the JVM mapped the archive (its path in /proc/<pid>/maps), then exit normally (the
# archive is published at exit). Without the query a JVM starts and writes its archive in about
# half the time: only the run that maps the archive needs to show a query works with it.
SESSION = """
import sys
from pyspark import SparkContext
from telco360.local import class_archive
from telco360.local.spark import local_session
spark = local_session("archive-test", input_bytes=0)
if len(sys.argv) > 1:
    assert spark.range(3).count() == 3
jvm = SparkContext._gateway.proc.pid
print("mapped" if class_archive.mapped_by(jvm, class_archive.archive_path()) else "not mapped")
"""


def _session_process(cache: Path, query: bool = False) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-c", SESSION, *(["query"] if query else [])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cds" not in done.stderr.lower(), done.stderr  # HotSpot's CDS messages stay quiet
    return done.stdout.strip().splitlines()[-1]


def _archives(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "telco360").iterdir())


@pytest.mark.spark
def test_a_bad_archive_is_dropped_the_next_run_writes_one_and_the_one_after_maps_it(
    tmp_path, monkeypatch
):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    archive = class_archive.archive_path()
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"not an archive" * 1000)  # e.g. from another JDK, or damaged
    source = f"{archive.name}{class_archive.SOURCE_SUFFIX}"
    (archive.parent / source).write_text(f"{class_archive.spark_jars()}\n")
    assert _session_process(cache) == "not mapped"  # the run goes on without it...
    assert _archives(cache) == []  # ...and removes it
    assert _session_process(cache) == "not mapped"  # nothing to map: this one writes one
    assert _archives(cache) == [archive.name, source]  # moved into place, no pending file left
    assert (archive.parent / source).read_text() == f"{class_archive.spark_jars()}\n"
    assert _session_process(cache, query=True) == "mapped"
    assert _archives(cache) == [archive.name, source]  # mapped, not rewritten


def test_without_an_archive_the_jvm_writes_one_under_a_name_of_its_own(tmp_path):
    archive = tmp_path / "telco360" / "spark.jsa"
    options = class_archive.java_options(archive)
    assert options == [
        f"-XX:ArchiveClassesAtExit={archive}.{os.getpid()}.tmp",
        class_archive.QUIET,
    ]
    archive.write_bytes(b"x")
    (tmp_path / "telco360" / "spark.jsa.jars").write_text(f"{tmp_path}\n")  # its installation
    assert class_archive.java_options(archive) == [
        f"-XX:SharedArchiveFile={archive}",
        class_archive.QUIET,
    ]


def test_pending_archives_of_gone_processes_are_removed_and_a_live_ones_kept(tmp_path):
    archive = tmp_path / "telco360" / "spark.jsa"
    archive.parent.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid is free again: a run killed before it moved its archive into place
    orphan = archive.with_name(f"{archive.name}.{gone.pid}.tmp")
    # Another installation's (a fresh clone's CI run, since deleted): seen left behind.
    elsewhere = archive.with_name(f"spark-other.jsa.{gone.pid}.tmp")
    live = archive.with_name(f"{archive.name}.{os.getppid()}.tmp")  # another run, still going
    other = archive.with_name("notes.txt")
    for path in (orphan, elsewhere, live, other):
        path.write_bytes(b"x")
    class_archive.java_options(archive)
    assert sorted(p.name for p in archive.parent.iterdir()) == sorted([live.name, other.name])


def test_each_spark_installation_has_an_archive_of_its_own(tmp_path, monkeypatch):
    """HotSpot maps an application class-data archive only for the class path it was written
    with (JEP 310, https://openjdk.org/jeps/310: "The classpath used at archive creation time
    must be the same as (or a prefix of) the classpath used at run time"). PySpark's JVM takes
    its class path from Spark's jars folder (SPARK_HOME, else the pyspark package), so two
    clones' virtual environments need two archives. Seen: one archive name for both, and a run
    from the other clone could not map it, removed it and wrote its own at exit, on every
    alternation (a 10-customer session in /work/main: 28.5 s instead of about 5)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SPARK_HOME", raising=False)
    import pyspark

    installed = Path(pyspark.__file__).resolve().parent / "jars"
    assert class_archive.spark_jars() == installed
    names = {class_archive.archive_path().name}
    for clone in ("one", "two"):
        home = tmp_path / clone / "pyspark"
        (home / "jars").mkdir(parents=True)
        monkeypatch.setenv("SPARK_HOME", str(home))
        assert class_archive.spark_jars() == (home / "jars").resolve()
        names.add(class_archive.archive_path().name)
        assert class_archive.archive_path().parent == tmp_path / "cache" / "telco360"
    assert len(names) == 3


def test_archives_of_removed_installations_and_earlier_versions_are_removed(tmp_path):
    cache = tmp_path / "telco360"
    cache.mkdir()
    kept_jars = tmp_path / "venv" / "pyspark" / "jars"
    kept_jars.mkdir(parents=True)
    archives = {
        "kept": (cache / "spark-a.jsa", kept_jars),
        "gone": (cache / "spark-b.jsa", tmp_path / "deleted-clone" / "pyspark" / "jars"),
    }
    for archive, jars in archives.values():
        archive.write_bytes(b"x")
        archive.with_name(archive.name + class_archive.SOURCE_SUFFIX).write_text(f"{jars}\n")
    (cache / "spark-4.1.1-java-7c6ef9432912.jsa").write_bytes(b"x")  # an earlier version's name
    class_archive.remove_orphans(cache / "spark-c.jsa")  # a third installation's run
    assert sorted(p.name for p in cache.iterdir()) == ["spark-a.jsa", "spark-a.jsa.jars"]
