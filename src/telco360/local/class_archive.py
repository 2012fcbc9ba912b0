"""A class-data archive for the local Spark JVM: a cold start that skips most class loading.

A fresh JVM reads, parses and verifies several thousand of Spark's classes from its jars before
the first query runs. HotSpot can store those classes, already parsed and verified, in an
archive (Class Data Sharing, `-XX:ArchiveClassesAtExit`, JDK 13+) and map it at the next start
(`-XX:SharedArchiveFile`). Measured on a 10,000-customer day: the session starts in 4 s instead
of 8 s, and the run spends about 10 s less in total (bench/README.md, "Class archive").

The first local Spark process of a machine writes the archive when its JVM exits (about 1 s);
every later one maps it. It lives in the user's cache, named after PySpark's version, the Java
installation and the folder of Spark's jars: HotSpot maps an archive only for the class path it
was written with, so each installation (each clone's virtual environment) has an archive of its
own, and runs from two clones no longer throw each other's archive away. A stale or unreadable
archive is harmless: HotSpot checks it against the running JVM and, if it does not match,
starts without it (the run then removes it, and the next one writes a good one). A run killed
before it could move its archive into place leaves a pending file, and a removed installation
(or an earlier version of this module) leaves its archive: the next run removes them. Only
the local JVM uses it: Glue starts its own.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
from pathlib import Path

# HotSpot explains at length which classes it could not archive, and why an archive does not
# match; neither changes what runs, so neither belongs in the run's output.
QUIET = "-Xlog:cds*=off"


SOURCE_SUFFIX = ".jars"  # beside each archive: the jars folder it was written for


def spark_jars() -> Path:
    """The folder of Spark's jars, the JVM's class path: where PySpark launches Spark from
    (SPARK_HOME if set, else the installed pyspark package)."""
    from pyspark.find_spark_home import _find_spark_home

    return Path(os.path.realpath(Path(_find_spark_home()) / "jars"))


def archive_path() -> Path:
    """Where this machine's archive is, for this PySpark, this Java and this installation."""
    import pyspark

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "telco360"
    java = os.environ.get("JAVA_HOME") or shutil.which("java") or "java"
    java_key = hashlib.sha256(os.path.realpath(java).encode()).hexdigest()[:12]
    jars_key = hashlib.sha256(str(spark_jars()).encode()).hexdigest()[:12]
    return cache / f"spark-{pyspark.__version__}-java-{java_key}-jars-{jars_key}.jsa"


def java_options(archive: Path) -> list[str]:
    """Map the archive when there is one; otherwise write one as this JVM exits (to a name of
    its own: `publish` moves it into place once the JVM has ended)."""
    remove_orphans(archive)
    if archive.is_file():
        return [f"-XX:SharedArchiveFile={archive}", QUIET]
    archive.parent.mkdir(parents=True, exist_ok=True)
    return [f"-XX:ArchiveClassesAtExit={_pending(archive)}", QUIET]


def _source(archive: Path) -> Path:
    return archive.with_name(archive.name + SOURCE_SUFFIX)


def _pending(archive: Path, pid: int | None = None) -> Path:
    return archive.with_name(f"{archive.name}.{os.getpid() if pid is None else pid}.tmp")


def remove_orphans(archive: Path) -> None:
    """Remove the pending archives of processes that are gone (killed before they could move
    theirs into place), and the archives of installations that are gone (a deleted clone's
    virtual environment): each is as large as an archive in use (~150 MB)."""
    if not archive.parent.is_dir():
        return
    # Any installation's: a deleted clone's run leaves its pending files under its own name.
    for pending in archive.parent.glob("*.jsa.*.tmp"):
        writer = pending.name.rsplit(".jsa.", 1)[1][: -len(".tmp")]
        if writer.isdigit() and not _alive(int(writer)):
            pending.unlink(missing_ok=True)
    for other in archive.parent.glob("*.jsa"):
        source = _source(other)
        try:
            jars = source.read_text().strip()
        except FileNotFoundError:  # an earlier version's archive: its note is written first
            jars = ""
        except OSError:
            continue
        if not jars or not Path(jars).is_dir():
            other.unlink(missing_ok=True)
            source.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def publish_at_exit(session, archive: Path) -> None:
    """Settle the archive when this process ends.

    Without one: stop Spark, wait for its JVM to write the archive, then move it into place in
    one step (two processes writing at once: the last one wins, whole). With one that this JVM
    did not map (from another JDK, or damaged): remove it, so that the next run writes a good
    one instead of starting without it every time."""
    from pyspark import SparkContext

    process = getattr(SparkContext._gateway, "proc", None)
    if process is None or process.stdin is None:
        return
    if archive.is_file():
        if not mapped_by(process.pid, archive):
            archive.unlink(missing_ok=True)
            _source(archive).unlink(missing_ok=True)
        return
    pending = _pending(archive)

    def publish() -> None:
        try:
            session.stop()
            process.stdin.close()  # the JVM exits when its stdin closes (PySpark's design)
            process.wait(timeout=120)
        except Exception:  # the run's own outcome matters, not the archive's
            return
        if pending.is_file() and pending.stat().st_size > 0:  # written whole: the JVM ended
            _source(archive).write_text(f"{spark_jars()}\n")
            os.replace(pending, archive)
        else:
            pending.unlink(missing_ok=True)

    atexit.register(publish)


def mapped_by(pid: int, archive: Path) -> bool:
    """Whether process `pid` maps the archive (Linux's /proc; elsewhere assumed so)."""
    maps = Path(f"/proc/{pid}/maps")
    if not maps.exists():
        return True
    return str(archive) in maps.read_text()
