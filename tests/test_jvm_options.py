"""The local JVM's options by batch size (telco360.local.spark.jvm_options), and that this
machine's java starts with each set (HotSpot refuses conflicting options, e.g. two collectors:
"Multiple garbage collectors selected"; the options themselves are HotSpot's, Java SE 17 `java`
command reference: https://docs.oracle.com/en/java/javase/17/docs/specs/man/java.html)."""

from __future__ import annotations

import subprocess

import pytest
from java_command import java

from telco360.local.spark import QUICK_JIT_MAX_BYTES, jvm_options


@pytest.mark.parametrize(
    "input_bytes, expected",
    [
        (
            0,
            [
                "-XX:-DontCompileHugeMethods",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=240m",
            ],
        ),
        (
            QUICK_JIT_MAX_BYTES - 1,
            [
                "-XX:-DontCompileHugeMethods",
                "-XX:TieredStopAtLevel=1",
                "-XX:ReservedCodeCacheSize=240m",
            ],
        ),
        (QUICK_JIT_MAX_BYTES, ["-XX:-DontCompileHugeMethods", "-XX:+UseParallelGC"]),
        (None, ["-XX:-DontCompileHugeMethods", "-XX:+UseParallelGC"]),
    ],
)
def test_small_batches_get_the_quick_compiler_large_ones_the_throughput_collector(
    input_bytes, expected
):
    assert jvm_options(input_bytes) == expected


@pytest.mark.parametrize("input_bytes", [0, None])
def test_this_java_starts_with_the_options_and_the_collector_they_choose(input_bytes):
    started = subprocess.run(
        [java(), *jvm_options(input_bytes), "-XX:+PrintFlagsFinal", "-version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    flags = {
        line.split()[1]: line.split()[3]
        for line in started.stdout.splitlines()
        if line.strip().startswith("bool ") and len(line.split()) >= 4
    }
    parallel = input_bytes is None
    assert flags["UseParallelGC"] == str(parallel).lower()
    assert flags["UseG1GC"] == str(not parallel).lower()
