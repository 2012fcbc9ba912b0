"""HotSpot compiler directives for the local Spark JVM (telco360.local.spark.add_jit_directives).

The file format, the `match` patterns, the `c1`/`c2` blocks with `Exclude` and `inline`, and
the diagnostic commands `Compiler.directives_add` / `Compiler.directives_print` are HotSpot's,
as documented in the Java SE 17 JVM guide, "Writing Directives":
https://docs.oracle.com/en/java/javase/17/vm/writing-directives.html
That page also says how a directive applies: the first directive on the stack whose pattern
matches a method and that has a block for the compiler gives that compiler its options; the
default directive (`*.*`) is always last. Our two directives must therefore reach the JVM as
written, above the default one, which is what these tests read back from the JVM itself.
"""

from __future__ import annotations

import json
import subprocess

from java_command import java

from telco360.local.spark import JIT_DIRECTIVES, diagnostic_command

# The compiler code only the driver runs while planning: C2 stays off it.
DRIVER_ONLY = [
    "org/apache/spark/sql/catalyst/rules/*.*",
    "org/apache/spark/sql/catalyst/parser/*.*",
    "org/apache/spark/sql/catalyst/optimizer/*.*",
    "org/apache/spark/sql/catalyst/analysis/*.*",
    "java/io/Object*.*",
    "org/antlr/*.*",
    "org/codehaus/*.*",
]


def start_java(directives_file) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            java(),
            "-XX:+UnlockDiagnosticVMOptions",
            f"-XX:CompilerDirectivesFile={directives_file}",
            "-XX:+CompilerDirectivesPrint",
            "-version",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def directive_blocks(printed: str) -> list[dict[str, str]]:
    """`Compiler.directives_print` output as [{"matching": ..., "c1": ..., "c2": ...}]."""
    blocks = []
    for part in printed.split("Directive:")[1:]:
        lines = [line.strip() for line in part.strip().splitlines() if line.strip()]
        block = {"default": lines[0] == "(default)"}
        for i, line in enumerate(lines):
            if line.startswith("matching: "):
                block["matching"] = line.removeprefix("matching: ")
            for compiler in ("c1", "c2"):
                if line == f"{compiler} directives:":
                    block[compiler] = f"{lines[i + 1]} {lines[i + 2]}"
        blocks.append(block)
    return blocks


def test_the_file_is_plain_json_with_the_two_directives():
    directives = json.loads(JIT_DIRECTIVES.read_text())
    assert directives == [
        {"match": DRIVER_ONLY[::-1], "c2": {"Exclude": True}},
        {"match": "*GeneratedClass*.*", "c2": {"inline": "-*GeneratedClass*.*"}},
    ]


def test_this_java_parses_the_file_and_refuses_a_broken_one(tmp_path):
    """What HotSpot itself makes of the file at start-up: two directives, and a value of the
    wrong type (`Exclude` takes a boolean) stops the JVM, so the check can fail."""
    started = start_java(JIT_DIRECTIVES)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "2 compiler directives added" in started.stdout

    broken = tmp_path / "broken.json"
    broken.write_text(JIT_DIRECTIVES.read_text().replace('"Exclude": true', '"Exclude": "yes"'))
    refused = start_java(broken)
    assert refused.returncode != 0
    assert "2 compiler directives added" not in refused.stdout


def test_the_session_jvm_holds_the_directives_above_the_default(spark):
    """The test session was made by local_session, which added the directives at run time (the
    diagnostic command, no start-up flag): the JVM's own list shows them, in order."""
    blocks = directive_blocks(diagnostic_command(spark, "compilerDirectivesPrint"))
    ours = [b for b in blocks if not b["default"]]
    assert blocks[-1]["default"] and blocks[-1]["matching"] == "*.*"
    # local_session adds them once per JVM; the test session is the only session here.
    assert len(ours) == 2
    driver_only, generated = ours
    assert driver_only["matching"].split(", ") == DRIVER_ONLY
    assert "Enable:true Exclude:true" in driver_only["c2"]
    assert "Enable:false" in driver_only["c1"]  # C1 keeps the default: compiles them as usual
    assert generated["matching"] == "*GeneratedClass*.*"
    assert generated["c2"].startswith("inline: -*GeneratedClass*.* Enable:true Exclude:false")
    assert "Enable:false" in generated["c1"]
