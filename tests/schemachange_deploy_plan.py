"""What `schemachange deploy` would apply, decided by schemachange itself, offline.

Run by tests/test_schemachange_render.py with schemachange's own interpreter
(.tools/schemachange, installed by the Makefile; not importable from the app's venv). It builds
each deploy's configuration with schemachange's CLI/config merge (`get_merged_config`: the
config file rendered with Jinja env_var, then --vars on top) and runs schemachange's
`deploy()` against an in-memory change history instead of a Snowflake session, so the
decision "apply or skip" for each script is schemachange's code, not a re-implementation.

stdin: JSON list of deploys, each {"vars": {...}, "env": {...}}; stdout: JSON list, per
deploy {"change_history_table": ..., "applied": [script names in order]}.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict

import structlog
from schemachange.config.get_merged_config import get_merged_config
from schemachange.deploy import deploy


class HistorySession:
    """The part of SnowflakeSession that deploy() uses, over an in-memory change history."""

    def __init__(self, config, histories: dict):
        self.account = self.role = self.warehouse = self.database = self.schema = None
        self.change_history_table = config.change_history_table
        self.history = histories.setdefault(config.change_history_table.fully_qualified, [])
        self.applied: list[str] = []

    def get_script_metadata(self, create_change_history_table: bool, dry_run: bool):
        if not self.history:
            return defaultdict(dict), None, None
        versioned = {
            name: {"version": version, "script": name, "checksum": checksum}
            for kind, name, version, checksum in self.history
            if kind == "V"
        }
        repeatable: dict[str, list[str]] = {}
        for kind, name, _, checksum in self.history:  # latest run first, as schemachange reads
            if kind == "R":
                repeatable[name] = [checksum]
        versions = [v for kind, _, v, _ in self.history if kind == "V"]
        return versioned, repeatable, max(versions) if versions else None

    def apply_change_script(self, script, script_content, dry_run, logger, out_of_order, checksum):
        self.applied.append(script.name)
        self.history.append((script.type, script.name, getattr(script, "version", None), checksum))


def main() -> int:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    logger = structlog.get_logger()
    histories: dict = {}
    out = []
    base_env = dict(os.environ)
    for run in json.load(sys.stdin):
        os.environ.clear()
        os.environ.update(base_env | run.get("env", {}))
        sys.argv = ["schemachange", "deploy", "--config-folder", "snowflake"]
        sys.argv += ["--vars", json.dumps(run.get("vars", {}))]
        config = get_merged_config(logger=logger)
        session = HistorySession(config, histories)
        deploy(config, session)
        out.append(
            {
                "change_history_table": config.change_history_table.fully_qualified,
                "vars": config.config_vars,
                "applied": session.applied,
            }
        )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
