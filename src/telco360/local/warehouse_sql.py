"""Run the Snowflake SQL of `snowflake/` on DuckDB: transpile statement by statement.

Which statements run locally is decided from the parsed statement, not from a hand-kept list
of files: schemas and tables run (transpiled); account and environment objects (database,
warehouse, roles, grants, integrations, stages, file formats, procedures, tasks) are skipped,
their local counterparts being the DuckDB file itself and `telco360.local.warehouse`. A statement of
any other kind stops the local set-up, so nobody adds SQL that silently never runs locally.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import cache

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from telco360.local.sql_statements import (
    migration_files,
    module_statements,
    render,
    split_statements,
)

RAW_CLEAR = "model/clear_raw_batch.sql"
MODEL_MERGE = "model/merge_batch.sql"
MODEL_REFRESH = "model/refresh_customer_360.sql"
MODEL_REWIND = "model/rewind.sql"
# The load's decisions, executed by CORE.LOAD_UP_TO on Snowflake and telco360.local.warehouse here.
LOAD_LOCK = "load/lock.sql"
LOAD_PLAN = "load/plan.sql"
CHECK_BATCH = "load/check_batch.sql"
CHECK_MODEL = "load/check_model.sql"

# Local-only bookkeeping (Snowflake keeps both itself): which versioned scripts ran (schemachange's
# change history: a versioned script runs once), and COPY's load metadata (files loaded per table).
LOCAL_BOOKKEEPING = (
    "CREATE TABLE IF NOT EXISTS main.schema_history "
    "(script VARCHAR PRIMARY KEY, applied_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS main.copy_load_metadata (raw_table VARCHAR, file VARCHAR)",
)

LOCAL_CREATE_KINDS = {"SCHEMA", "TABLE", "VIEW"}
ENVIRONMENT_CREATE_KINDS = {
    "DATABASE",
    "WAREHOUSE",
    "STAGE",
    "FILE FORMAT",
    "STORAGE INTEGRATION",
    "PROCEDURE",
}


class _AnyVariable(dict):
    """Deploy variables for local rendering: only environment-bound statements use them, and
    those are skipped, so any placeholder will do."""

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"LOCAL_{key.upper()}"


@contextmanager
def _quiet_sqlglot():
    """sqlglot warns for every TASK / ROLE / ALTER ... SET it keeps as a Command: expected here."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse(statement: str) -> exp.Expression:
    with _quiet_sqlglot():
        return sqlglot.parse_one(statement, read="snowflake")


def runs_locally(expression: exp.Expression, where: str) -> bool:
    """True for the statements the local warehouse executes; False for environment-bound ones."""
    if isinstance(expression, exp.Create):
        kind = (expression.args.get("kind") or "").upper()
        if kind in LOCAL_CREATE_KINDS:
            return True
        if kind in ENVIRONMENT_CREATE_KINDS:
            return False
    if isinstance(expression, exp.Insert) and expression.find(exp.Table).db.upper() == "CORE":
        return True  # a control row created once (CORE.LOAD_LOCK)
    if isinstance(expression, (exp.Use, exp.Grant, exp.Command)):
        return False  # USE, GRANT, and what sqlglot keeps as text: TASK, ROLE, ALTER ... SET
    raise ValueError(
        f"{where}: no local counterpart decided for statement "
        f"{expression.sql('snowflake')[:80]!r}; "
        "add its kind to telco360/warehouse_sql.py (run locally or environment-bound)"
    )


def to_duckdb(expression: exp.Expression) -> str:
    """Transpile one parsed Snowflake statement. Table/schema/column COMMENTs and COPY GRANTS
    are dropped: DuckDB has no inline COMMENT clause (the comments live in Snowflake). So is a
    PRIMARY KEY ... RELY: Snowflake does not enforce it, and the load's data test
    (check_model.sql) checks one row per customer on both engines alike."""
    dropped = (exp.SchemaCommentProperty, exp.CopyGrantsProperty)

    def strip(node: exp.Expression) -> exp.Expression | None:
        if isinstance(node, dropped):
            return None
        if isinstance(node, exp.Constraint) and node.find(exp.PrimaryKey):
            return None  # CONSTRAINT <name> PRIMARY KEY (...) RELY
        if isinstance(node, exp.ColumnConstraint) and isinstance(
            node.args.get("kind"), exp.CommentColumnConstraint
        ):
            return None
        return node

    expression = expression.transform(strip)
    # Unquoted identifiers are case-insensitive on both sides; DuckDB keeps the spelling it
    # was given, so name things the way local users type them: raw.customers_state.
    return normalize_identifiers(expression, dialect="duckdb").sql("duckdb")


@cache
def local_schema_scripts() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(script name, its DuckDB statements) of every migration with statements that run
    locally, in schemachange order."""
    scripts = []
    for path in migration_files():
        text = render(path.read_text(encoding="utf-8"), _AnyVariable(), str(path))
        statements = []
        for statement in split_statements(text):
            expression = parse(statement)
            if runs_locally(expression, path.name):
                statements.append(to_duckdb(expression))
        if statements:
            if not path.name.startswith("V"):
                raise ValueError(f"{path.name}: tables and schemas belong in versioned scripts")
            scripts.append((path.name, tuple(statements)))
    return tuple(scripts)


@cache
def module_duckdb(name: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """A model module's statements as DuckDB SQL, each with the named parameters it uses
    (Snowflake's `:batch_date` becomes DuckDB's `$batch_date`)."""
    out = []
    for statement in module_statements(name):
        expression = parse(statement)
        params = frozenset(p.name for p in expression.find_all(exp.Placeholder))
        out.append((to_duckdb(expression), params))
    return tuple(out)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the versioned scripts not applied yet to this file, each once, as schemachange
    does on Snowflake (a script that replaces a table must not run on every connection)."""
    for statement in LOCAL_BOOKKEEPING:
        con.execute(statement)
    applied = {s for (s,) in con.execute("SELECT script FROM main.schema_history").fetchall()}
    for script, statements in local_schema_scripts():
        if script in applied:
            continue
        con.begin()
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO main.schema_history VALUES (?, CURRENT_TIMESTAMP)", [script])
        con.commit()


def run_module(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
    for sql, used in module_duckdb(name):
        missing = used - set(params)
        if missing:
            raise ValueError(f"{name}: no value for parameter(s) {sorted(missing)}")
        con.execute(sql, {k: params[k] for k in used} if used else None)
