"""The local Spark session: one per process, tuned for a small machine.

On AWS Glue the scripts get their session from GlueContext; everywhere else (the local run,
tests, benchmarks) they use this one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from telco360.local import class_archive

_session = None
# PySpark records the Python call site of every Column function (for error messages) with a
# handful of JVM round trips each: job A made 83k py4j calls to build six small feeds' checks
# with it, 33k without (about 1 s of each small batch). A static setting: set at start-up.
DATAFRAME_DEBUGGING = "spark.python.sql.dataFrameDebugging.enabled"
CODEGEN_MAX_FIELDS = 40  # see local_session
QUICK_JIT_MAX_BYTES = 32 * 2**20  # raw input below this: C1 only (see local_session)
# Raw input below this: expressions outside whole-stage code run interpreted (see local_session).
INTERPRETED_MAX_BYTES = 8 * 2**20
# Spark's switch between generated and interpreted expression code (an internal setting:
# Spark's own expression tests run every expression both ways with it).
FACTORY_MODE = "spark.sql.codegen.factoryMode"
INTERPRETED = "NO_CODEGEN"
# What HotSpot's optimizing compiler (C2) should not spend this small machine on (see
# add_jit_directives); the format: https://docs.oracle.com/en/java/javase/17/vm/writing-directives.html
JIT_DIRECTIVES = Path(__file__).with_name("jit_directives.json")


def local_session(
    app_name: str = "telco360",
    shuffle_partitions: int = 4,
    input_bytes: int | None = None,
    extra: dict[str, str] | None = None,
):
    """Create (once) and return a local SparkSession using every core of this machine.

    `input_bytes`: how much raw input the session will process, when known. Below
    QUICK_JIT_MAX_BYTES the JVM compiles with its quick compiler only (C1): a small batch runs
    each of Spark's generated methods a few thousand times, and HotSpot's optimizing compiler
    (C2) then costs more CPU than it saves; a large batch needs C2's faster code (figures:
    bench/README.md, "JIT"). `extra`: further Spark settings for this process's session (a
    profiler's event logs)."""
    global _session
    if _session is not None:
        return _session
    java_options = jvm_options(input_bytes)
    archive = class_archive.archive_path()
    java_options += class_archive.java_options(archive)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    pin_python_workers()
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[*]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        # See DATAFRAME_DEBUGGING.
        .config(DATAFRAME_DEBUGGING, "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # our own progress lines instead
        .config("spark.driver.memory", os.environ.get("TELCO360_SPARK_MEMORY", "4g"))
        # Spark generates one large Java method per wide select; HotSpot never JIT-compiles
        # methods over 8,000 bytes unless told to, and interprets them instead.
        .config("spark.driver.extraJavaOptions", " ".join(java_options))
        # Job A's checks are selects of 60-100 columns whose whole-stage code exceeds the JVM's
        # 64 KB method limit: Spark would spend seconds compiling it, in every query, only to
        # fall back to code per operator. Plans that wide skip the attempt.
        .config("spark.sql.codegen.maxFields", str(CODEGEN_MAX_FIELDS))
        # Cached frames (job A's checked rows, job B's merged state) are read back once or
        # twice: compressing them costs more CPU than it saves.
        .config("spark.sql.inMemoryColumnarStorage.compressed", "false")
        # One run of job A generates ~130 classes; Spark's default cache of 100 evicted them
        # before the next run (tests, benchmarks, a local run of several batches), which then
        # recompiled every one and ran it unwarmed by the JIT.
        .config("spark.sql.codegen.cache.maxEntries", "2000")
        # Small input splits: every feed's file is read as several partitions, so both
        # cores work on it.
        .config("spark.sql.files.maxPartitionBytes", str(8 * 2**20))
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
        .config("spark.hadoop.parquet.enable.summary-metadata", "false")
    )
    if input_bytes is not None and input_bytes < INTERPRETED_MAX_BYTES:
        # Job A's checks are too wide for whole-stage code (CODEGEN_MAX_FIELDS), so Spark
        # generates and compiles a Java class per projection and filter instead: seconds of
        # Janino per feed, in every fresh process, for code a small batch runs a few thousand
        # times. Interpreted, it runs at once. Measured, cold `telco360 run`: 10,000 customers
        # (3.8 MB) 47 s -> 35 s, the 3-day sample (1.4 MB) 73 s -> 46 s; but 80,000 customers
        # (30 MB) 64 s -> 86 s and 1,000,000 199 s -> 264 s, so larger input keeps generated
        # code, as Glue does (bench/README.md, "Interpreted expressions"). The same rows
        # either way: tests/test_codegen_modes.py.
        builder = builder.config(FACTORY_MODE, INTERPRETED)
    for key, value in (extra or {}).items():
        builder = builder.config(key, value)
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    quiet_codegen_fallback(_session)
    add_jit_directives(_session)
    class_archive.publish_at_exit(_session, archive)
    return _session


def jvm_options(input_bytes: int | None) -> list[str]:
    """The local JVM's options for a batch of `input_bytes` raw bytes (None: unknown, large)."""
    options = ["-XX:-DontCompileHugeMethods"]  # see local_session
    if input_bytes is not None and input_bytes < QUICK_JIT_MAX_BYTES:
        options.append("-XX:TieredStopAtLevel=1")
        # With C1 only, HotSpot reserves 48 MB for compiled code (240 MB otherwise). Spark's
        # generated classes fill that within a minute of work (a second batch, a test session):
        # HotSpot then prints "CodeCache is full. Compiler has been disabled" and runs every
        # method compiled after that in its interpreter. Measured: tests 10% slower.
        options.append("-XX:ReservedCodeCacheSize=240m")
    else:
        # A large batch allocates a short-lived object per string value read (millions a
        # second): the throughput collector's cheaper write barrier and lack of concurrent
        # threads left more of the 2 cores to the tasks. Jobs A + B at 1M, 3 same-hour pairs:
        # 5.8, 11.4 and 20.7 s less than with G1, the default (bench/README.md, "Parallel GC").
        # A small batch measured no difference, so it keeps the default.
        options.append("-XX:+UseParallelGC")
    return options


def pin_python_workers() -> None:
    """Make Spark's Python workers run this very interpreter.

    Left alone, PySpark starts its workers with whatever `python3` comes first on PATH: run
    from a directory or shell where that is another version (python3.11 here), the first
    Python UDF or `createDataFrame` fails with PYTHON_VERSION_MISMATCH. The driver's own
    interpreter (`sys.executable`, the venv's python) is the only right choice locally, so it
    wins over any PYSPARK_PYTHON inherited from the shell."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable


def quiet_codegen_fallback(spark) -> None:
    """Keep an expected Spark message out of the run's output.

    For a wide select Spark first tries one generated Java method for the whole stage; past
    the JVM's 64 KB method limit it logs the compile failure at ERROR, with a long stack trace,
    and falls back to code per operator, which is correct (and what the benchmarks measure)."""
    jvm = spark.sparkContext._jvm
    jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(
        "org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator",
        jvm.org.apache.logging.log4j.Level.OFF,
    )


def add_jit_directives(spark) -> str:
    """Add JIT_DIRECTIVES to this session's JVM; return the JVM's answer.

    On a large batch HotSpot's optimizing compiler (C2) used a third of this 2-core machine:
    59 of 185 CPU seconds of job A at 1,000,000 customers, while the tasks used 109. Most of
    it went to Spark's generated classes, whose C2 compilations each inlined the class's other
    large generated methods (up to 18 KB of inlined bytecode, 0.2-0.9 s per compilation), and
    to code only the driver runs while planning (the Janino compiler, the SQL parser, Catalyst's
    analyzer and optimizer rules, Java serialization), which the quick compiler (C1) serves
    well enough. The directives keep C2 off that driver code and stop it inlining generated
    methods into each other (each is compiled on its own anyway). Measured: bench/README.md,
    "JIT directives".

    Added through the JVM's diagnostic command (`jcmd <pid> Compiler.directives_add` does the
    same): its answer comes back here, where `-XX:CompilerDirectivesFile` would print "2
    compiler directives added" into every run's output, and it needs no diagnostic flag."""
    return diagnostic_command(spark, "compilerDirectivesAdd", str(JIT_DIRECTIVES))


def diagnostic_command(spark, operation: str, *arguments: str) -> str:
    """Run one of the JVM's diagnostic commands (what `jcmd` runs; `operation` is its name as
    an operation of the DiagnosticCommand MBean, e.g. compilerDirectivesAdd) in the session's
    JVM and return its output."""
    jvm = spark.sparkContext._jvm
    arrays = jvm.java.lang.reflect.Array

    def array(of: str, *items):
        made = arrays.newInstance(jvm.java.lang.Class.forName(of), len(items))
        for i, item in enumerate(items):
            arrays.set(made, i, item)
        return made

    # Called through the public interface's reflection: py4j's own lookup searches the
    # server's implementation class, which Java's module system keeps closed.
    mbean_server = jvm.java.lang.Class.forName("javax.management.MBeanServer")
    invoke = mbean_server.getMethod(
        "invoke",
        array(
            "java.lang.Class",
            *(
                jvm.java.lang.Class.forName(c)
                for c in (
                    "javax.management.ObjectName",
                    "java.lang.String",
                    "[Ljava.lang.Object;",
                    "[Ljava.lang.String;",
                )
            ),
        ),
    )
    answer = invoke.invoke(
        jvm.java.lang.management.ManagementFactory.getPlatformMBeanServer(),
        array(
            "java.lang.Object",
            jvm.javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
            operation,
            array("java.lang.Object", array("java.lang.String", *arguments)),
            array("java.lang.String", "[Ljava.lang.String;"),
        ),
    )
    return str(answer).strip()
