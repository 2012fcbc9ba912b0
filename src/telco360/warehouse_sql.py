"""Run the Snowflake SQL of `snowflake/` on DuckDB: transpile statement by statement.

Which statements run locally is decided from the parsed statement, not from a hand-kept list
of files: schemas and tables run (transpiled); account and environment objects (database,
warehouse, roles, grants, integrations, stages, file formats, procedures, tasks) are skipped,
their local counterparts being the DuckDB file itself and `telco360.warehouse`. A statement of
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

from telco360.sql_statements import migration_files, module_statements, render, split_statements

RAW_CLEAR = "model/clear_raw_batch.sql"
MODEL_MERGE = "model/merge_batch.sql"
MODEL_REFRESH = "model/refresh_customer_360.sql"
MODEL_REWIND = "model/rewind.sql"

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
    if isinstance(expression, (exp.Use, exp.Grant, exp.Command)):
        return False  # USE, GRANT, and what sqlglot keeps as text: TASK, ROLE, ALTER ... SET
    raise ValueError(
        f"{where}: no local counterpart decided for statement "
        f"{expression.sql('snowflake')[:80]!r}; "
        "add its kind to telco360/warehouse_sql.py (run locally or environment-bound)"
    )


def to_duckdb(expression: exp.Expression) -> str:
    """Transpile one parsed Snowflake statement. Table/schema COMMENT properties are dropped:
    DuckDB has no inline COMMENT clause (the comments live in Snowflake)."""
    expression = expression.copy()
    for prop in list(expression.find_all(exp.SchemaCommentProperty)):
        prop.pop()
    # Unquoted identifiers are case-insensitive on both sides; DuckDB keeps the spelling it
    # was given, so name things the way local users type them: raw.customers_state.
    return normalize_identifiers(expression, dialect="duckdb").sql("duckdb")


@cache
def local_schema_statements() -> tuple[str, ...]:
    """The DuckDB statements of every migration that runs locally, in schemachange order."""
    statements = []
    for path in migration_files():
        text = render(path.read_text(encoding="utf-8"), _AnyVariable(), str(path))
        for statement in split_statements(text):
            expression = parse(statement)
            if runs_locally(expression, path.name):
                statements.append(to_duckdb(expression))
    return tuple(statements)


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
    """Create the schemas and tables if absent (every statement is IF NOT EXISTS)."""
    for statement in local_schema_statements():
        con.execute(statement)


def run_module(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
    for sql, used in module_duckdb(name):
        missing = used - set(params)
        if missing:
            raise ValueError(f"{name}: no value for parameter(s) {sorted(missing)}")
        con.execute(sql, {k: params[k] for k in used} if used else None)
