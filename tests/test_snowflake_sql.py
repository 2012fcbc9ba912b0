"""Static checks of `snowflake/`: every statement parses (Snowflake dialect), the few that only
parse as text are listed, RAW matches the staging Parquet contract, the procedures take their
model statements from the same files the local warehouse runs, and the deploy variables are
complete."""

from __future__ import annotations

import logging
import re

import duckdb
import pytest
import sqlglot
import yaml
from sqlglot import exp
from test_warehouse_staging import ARROW_TYPES, STAGING_SCHEMAS

from telco360.local import warehouse_sql
from telco360.local.sql_statements import (
    MIGRATIONS_DIR,
    MODULES_DIR,
    SNOWFLAKE_DIR,
    SqlTemplateError,
    migration_files,
    module_statements,
    render,
    split_statements,
)


def strip_comments(statement: str) -> str:
    """The statement without leading comment lines (for messages and classification)."""
    lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
    return "\n".join(lines).strip()


def load_config(environ: dict[str, str] | None = None) -> dict:
    """schemachange-config.yml as schemachange reads it: rendered with Jinja, where the file
    uses only `{{ env_var('NAME', 'default') }}` (tests/test_schemachange_render.py compares
    with schemachange's own loader), then parsed as YAML."""
    environ = {} if environ is None else environ

    def env_var(match: re.Match) -> str:
        return environ.get(match.group(1), match.group(2))

    text = (SNOWFLAKE_DIR / "schemachange-config.yml").read_text()
    text = re.sub(r"\{\{ env_var\('(\w+)', '([^']*)'\) \}\}", env_var, text)
    assert "{{" not in text and "{%" not in text
    return yaml.safe_load(text)


CONFIG = load_config()
VARS = CONFIG["vars"]

# Statements sqlglot keeps as an opaque Command (it has no grammar for them). Everything else
# parses into a real expression tree. A new Command here must be a deliberate choice.
EXPECTED_COMMANDS = [
    ("R__01_account_objects.sql", "CREATE ROLE IF NOT EXISTS TELCO360_PIPELINE"),
    ("R__01_account_objects.sql", "GRANT ROLE TELCO360_PIPELINE TO ROLE"),
    ("R__01_account_objects.sql", "CREATE ROLE IF NOT EXISTS TELCO360_READER"),
    ("R__01_account_objects.sql", "GRANT ROLE TELCO360_READER TO ROLE"),
    ("R__01_account_objects.sql", "ALTER STORAGE INTEGRATION TELCO360_STAGING_S3 SET"),
    ("R__01_account_objects.sql", "CREATE NOTIFICATION INTEGRATION IF NOT"),
    ("R__01_account_objects.sql", "ALTER NOTIFICATION INTEGRATION TELCO360_TASK_ERRORS SET"),
    ("R__01_account_objects.sql", "ALTER WAREHOUSE TELCO360_WH SET WAREHOUSE_SIZE"),
    ("R__02_stage_grants.sql", "ALTER STAGE RAW.STAGING_STAGE SET URL"),
    *[
        ("R__02_stage_grants.sql", f"GRANT SELECT, INSERT, UPDATE, DELETE ON {scope}")
        for scope in ("ALL", "ALL", "ALL", "FUTURE", "FUTURE", "FUTURE")
    ],
    ("R__02_stage_grants.sql", "GRANT SELECT ON ALL TABLES"),
    ("R__02_stage_grants.sql", "GRANT SELECT ON FUTURE TABLES"),
    ("R__20_task.sql", "CREATE OR REPLACE TASK CORE.LOAD_PENDING_TASK"),
    ("R__20_task.sql", "GRANT OWNERSHIP ON TASK CORE.LOAD_PENDING_TASK"),
    ("R__20_task.sql", "ALTER TASK CORE.LOAD_PENDING_TASK SUSPEND"),
]

SNOWFLAKE_TO_SPARK = {
    "VARCHAR": "string",
    "INT": "int",
    "BOOLEAN": "boolean",
    "DECIMAL(12, 2)": "decimal(12,2)",
    "DOUBLE": "double",
    "DATE": "date",
}
DUCKDB_TO_SPARK = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BOOLEAN": "boolean",
    "DECIMAL(12,2)": "decimal(12,2)",
    "DOUBLE": "double",
    "DATE": "date",
}


def _parse(statement: str) -> exp.Expression:
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    return sqlglot.parse_one(statement, read="snowflake")


def _rendered(path) -> list[str]:
    return split_statements(render(path.read_text(encoding="utf-8"), VARS, path.name))


def _head(statement: str, words: int) -> str:
    return " ".join(strip_comments(statement).split()[:words])


def test_migrations_follow_schemachange_naming():
    names = sorted(p.name for p in MIGRATIONS_DIR.iterdir())
    assert names == [p.name for p in sorted(migration_files(), key=lambda p: p.name)]
    assert all(re.fullmatch(r"(V\d+(\.\d+)*__|R__)\w+\.sql", n) for n in names), names


def test_every_statement_parses_and_only_the_listed_ones_are_commands():
    commands = []
    parsed = 0
    for path in migration_files():
        for statement in _rendered(path):
            expression = _parse(statement)  # raises on a syntax error
            parsed += 1
            if isinstance(expression, exp.Command):
                commands.append((path.name, _head(statement, 12)))
    for module in sorted(MODULES_DIR.rglob("*.sql")):
        for statement in module_statements(str(module.relative_to(MODULES_DIR))):
            assert not isinstance(_parse(statement), exp.Command), (module.name, statement[:80])
            parsed += 1
    assert parsed > 60
    assert len(commands) == len(EXPECTED_COMMANDS), commands
    for (path, head), (expected_path, expected_head) in zip(
        commands, EXPECTED_COMMANDS, strict=True
    ):
        assert (path, head[: len(expected_head)]) == (expected_path, expected_head)


def test_model_modules_are_plain_dml_with_only_known_parameters():
    """DDL inside a Snowflake transaction commits it: the model must be DML only."""
    allowed = {
        "model/clear_raw_batch.sql": {"batch_date"},
        "model/merge_batch.sql": {"batch_date", "run_id"},
        "model/refresh_customer_360.sql": set(),
        "model/rewind.sql": {"from_date"},
        "load/lock.sql": set(),
        "load/plan.sql": {"up_to"},
        "load/check_batch.sql": {"batch_date"},
        "load/check_model.sql": set(),
    }
    found = {str(p.relative_to(MODULES_DIR)) for p in MODULES_DIR.rglob("*.sql")}
    assert found == set(allowed)
    for name, params in allowed.items():
        for statement in module_statements(name):
            expression = _parse(statement)
            assert isinstance(expression, (exp.Merge, exp.Insert, exp.Update, exp.Delete)), (
                name,
                statement[:80],
            )
            used = {p.name for p in expression.find_all(exp.Placeholder)}
            assert used <= params, (name, used)


def _procedure_bodies() -> dict[str, str]:
    text = (MIGRATIONS_DIR / "R__10_procedures.sql").read_text()
    return dict(
        re.findall(r"CREATE OR REPLACE PROCEDURE (\S+)\(.*?\$\$(.*?)\$\$", text, flags=re.S)
    )


LOAD_SEQUENCE = [
    warehouse_sql.LOAD_LOCK,
    warehouse_sql.LOAD_PLAN,
    warehouse_sql.MODEL_REWIND,
    warehouse_sql.RAW_CLEAR,
    warehouse_sql.CHECK_BATCH,
    warehouse_sql.MODEL_MERGE,
    warehouse_sql.MODEL_REFRESH,
    warehouse_sql.CHECK_MODEL,
]


def test_procedures_only_sequence_the_module_files_the_local_warehouse_runs():
    """The procedures hold no model SQL and no decision of their own: every statement that
    decides (lock, plan, checks) or models is an include of snowflake/modules/."""
    bodies = _procedure_bodies()
    includes = {
        name: re.findall(r'\{% include "modules/(\S+)" %\}', body) for name, body in bodies.items()
    }
    assert includes == {
        "RAW.COPY_BATCH_FILES": [],
        "CORE.LOAD_UP_TO": LOAD_SEQUENCE,
        "CORE.LOAD_PENDING": [],
        "CORE.LOAD_BATCH": [],
        "CORE.REWIND": [
            warehouse_sql.LOAD_LOCK,
            warehouse_sql.MODEL_REWIND,
            warehouse_sql.MODEL_REFRESH,
        ],
    }
    text = (MIGRATIONS_DIR / "R__10_procedures.sql").read_text()
    # the only DML written here is the environment-bound part: the markers read from the stage,
    # the files' columns (INFER_SCHEMA) and the failure note kept after a rollback
    written = sorted(
        set(re.findall(r"(?:INSERT INTO|MERGE INTO|UPDATE|DELETE FROM) ([\w.]+)", text))
    )
    assert written == ["CORE.LOAD_FAILURES", "CORE.LOAD_FILE_COLUMNS", "CORE.LOAD_MARKERS"]
    assert "CALL CORE.LOAD_UP_TO(NULL)" in bodies["CORE.LOAD_PENDING"]
    assert "CALL CORE.LOAD_UP_TO(:P_BATCH_DATE)" in bodies["CORE.LOAD_BATCH"]
    rendered = render(text, VARS)
    for module in LOAD_SEQUENCE:
        assert (MODULES_DIR / module).read_text() in rendered


def test_the_local_load_runs_the_modules_in_the_procedures_order(tmp_path, monkeypatch):
    """One local load that rewinds and loads two batches runs the modules in the order of
    CORE.LOAD_UP_TO: lock, plan, rewind, per batch (clear, check, merge), refresh, tests."""
    from test_warehouse_staging import commit_batch, scenario, write_scenario

    from telco360.local import warehouse

    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    manifests = write_scenario(lake, scenario()[:2])
    warehouse.load_pending(lake, db)
    commit_batch(lake, manifests[0] | {"run_id": "again"})
    ran: list[str] = []
    run_module = warehouse.run_module
    monkeypatch.setattr(
        warehouse, "run_module", lambda con, n, p: ran.append(n) or run_module(con, n, p)
    )
    warehouse.load_pending(lake, db)
    per_batch = [warehouse_sql.RAW_CLEAR, warehouse_sql.CHECK_BATCH, warehouse_sql.MODEL_MERGE]
    assert ran == [*LOAD_SEQUENCE[:3], *per_batch, *per_batch, *LOAD_SEQUENCE[-2:]]


def test_the_procedure_raises_a_named_error_after_each_group_of_checks():
    body = _procedure_bodies()["CORE.LOAD_UP_TO"]
    order = [
        body.index(s)
        for s in (
            "BEGIN TRANSACTION",
            "load/lock.sql",
            "FROM @RAW.STAGING_STAGE/_batches/",
            "load/plan.sql",
            "RAISE load_refused",
            "model/rewind.sql",
            "FOR b IN to_load DO",
            "model/clear_raw_batch.sql",
            "CALL RAW.COPY_BATCH_FILES",
            "load/check_batch.sql",
            "RAISE batch_check_failed",
            "model/merge_batch.sql",
            "END FOR",
            "model/refresh_customer_360.sql",
            "load/check_model.sql",
            "RAISE model_check_failed",
            "COMMIT",
            "ROLLBACK",
        )
    ]
    assert order == sorted(order)
    assert body.count("FROM @RAW.STAGING_STAGE") == 1  # each commit marker read once
    for code in ("-20002", "-20004", "-20005"):
        assert f"EXCEPTION ({code}," in body


def test_every_deploy_variable_is_defined_and_used():
    used = set()
    for path in [*migration_files(), *MODULES_DIR.rglob("*.sql")]:
        used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", path.read_text()))
    assert used == set(VARS)
    with pytest.raises(SqlTemplateError, match="'lake_bucket' has no value"):
        render("URL = 's3://{{ lake_bucket }}/staging/'", {})
    with pytest.raises(SqlTemplateError, match="unsupported Jinja"):
        render("{% for x in y %}x{% endfor %}", VARS)


def test_environment_values_land_where_they_should():
    text = "\n".join(render(p.read_text(), VARS, p.name) for p in migration_files())
    bucket = VARS["lake_bucket"]
    # the integration may read the staging prefix only, and the stage points at it
    assert (
        re.findall(r"STORAGE_ALLOWED_LOCATIONS = \(([^)]*)\)", text)
        == [f"'s3://{bucket}/staging/'"] * 2
    )
    assert f"URL = 's3://{bucket}/staging/'" in text
    assert f"STORAGE_AWS_ROLE_ARN = '{VARS['storage_aws_role_arn']}'" in text
    assert "AUTO_SUSPEND = 60" in text
    task = next(
        strip_comments(s)
        for s in _rendered(MIGRATIONS_DIR / "R__20_task.sql")
        if strip_comments(s).startswith("CREATE OR REPLACE TASK")
    )
    assert f"SCHEDULE = 'USING CRON {VARS['load_cron']} {VARS['load_time_zone']}'" in task
    assert f"ERROR_INTEGRATION = {VARS['error_integration']}" in task
    assert "SUSPEND_TASK_AFTER_NUM_FAILURES = 3" in task
    assert task.rstrip().endswith("CALL CORE.LOAD_PENDING()")
    assert f"AWS_SNS_TOPIC_ARN = '{VARS['sns_topic_arn']}'" in text


def _snowflake_columns(table: str) -> list[tuple[str, str]]:
    for statement in _rendered(MIGRATIONS_DIR / "V1.0.1__schemas_tables.sql"):
        expression = _parse(statement)
        if expression.args.get("kind") == "TABLE" and expression.this.this.sql() == table:
            return [
                (col.name, SNOWFLAKE_TO_SPARK[col.args["kind"].sql("snowflake")])
                for col in expression.this.expressions
            ]
    raise AssertionError(f"no CREATE TABLE {table}")


@pytest.mark.parametrize("group", sorted(STAGING_SCHEMAS))
def test_raw_tables_equal_the_staging_parquet_contract(group):
    """Both renderings of RAW (Snowflake DDL, and DuckDB after transpiling) have exactly the
    staging columns, in order, with the contract's types."""
    expected = STAGING_SCHEMAS[group]
    assert all(kind in ARROW_TYPES for _, kind in expected)
    table = "RAW." + group.replace("/", "_").upper()
    assert _snowflake_columns(table) == expected

    con = duckdb.connect(":memory:")
    warehouse_sql.ensure_schema(con)
    described = con.execute(f"DESCRIBE {table}").fetchall()
    assert [(r[0], DUCKDB_TO_SPARK[r[1]]) for r in described] == expected


def test_local_setup_runs_only_schema_statements_and_is_idempotent():
    statements = tuple(s for _, ss in warehouse_sql.local_schema_scripts() for s in ss)
    heads = [" ".join(re.sub(r"/\*.*?\*/", "", s, flags=re.S).split()[:4]) for s in statements]
    assert set(heads) == {
        "CREATE SCHEMA IF NOT",
        "CREATE TABLE IF NOT",
        "CREATE OR REPLACE TABLE",
        "INSERT INTO core.load_lock (lock_id,",
    }, heads
    # the versioned scripts that replace a table or insert a row run once per file, as
    # schemachange runs them once per database
    assert heads.count("CREATE OR REPLACE TABLE") == 1
    con = duckdb.connect(":memory:")
    warehouse_sql.ensure_schema(con)
    con.execute(
        "INSERT INTO analytics.customer_360 (customer_id, usage_days_30d, data_gb_30d, "
        "voice_minutes_30d, sms_count_30d, roaming_minutes_30d, first_seen_batch, "
        "last_changed_batch, as_of_batch) "
        "VALUES ('x', 0, 0, 0, 0, 0, DATE '2026-11-01', DATE '2026-11-01', DATE '2026-11-01')"
    )
    warehouse_sql.ensure_schema(con)
    assert con.execute("SELECT COUNT(*) FROM analytics.customer_360").fetchone() == (1,)
    assert con.execute("SELECT * FROM core.load_lock").fetchall() == [(1, None)]
    assert [
        s for (s,) in con.execute("SELECT script FROM main.schema_history ORDER BY 1").fetchall()
    ] == [
        "V1.0.1__schemas_tables.sql",
        "V1.0.3__load_control_and_model.sql",
    ]
    tables = con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema <> 'main' ORDER BY 1"
    ).fetchall()
    assert [t for (t,) in tables] == [
        "analytics.customer_360",
        "core.customer",
        "core.customer_history",
        "core.load_failures",
        "core.load_file_columns",
        "core.load_ledger",
        "core.load_lock",
        "core.load_markers",
        "core.load_plan",
        "core.load_problems",
        "core.population",
        "core.usage_daily",
        "raw.customers_changes",
        "raw.customers_state",
        "raw.population_changes",
        "raw.population_state",
        "raw.usage_changes",
    ]


def test_an_unclassified_statement_stops_the_local_setup():
    with pytest.raises(ValueError, match="no local counterpart decided"):
        warehouse_sql.runs_locally(_parse("CREATE SEQUENCE RAW.S"), "V9__x.sql")


def test_split_statements_keeps_dollar_bodies_quotes_and_comments_whole():
    text = """
    -- a comment; with a semicolon
    CREATE PROCEDURE P() AS $$ BEGIN SELECT 1; SELECT ';'; END; $$;
    SELECT 'it''s; fine', "odd;name" FROM t; /* block; comment */
    SELECT 2
    """
    assert [" ".join(strip_comments(s).split()) for s in split_statements(text)] == [
        "CREATE PROCEDURE P() AS $$ BEGIN SELECT 1; SELECT ';'; END; $$",
        "SELECT 'it''s; fine', \"odd;name\" FROM t",
        "/* block; comment */ SELECT 2",
    ]


def test_customer_360_is_documented_in_the_warehouse():
    """Every CUSTOMER_360 column carries a COMMENT; the key is declared PRIMARY KEY ... RELY
    (Snowflake records but does not enforce it; RELY lets the optimizer use it:
    https://docs.snowflake.com/en/sql-reference/constraints-overview); NOT NULL where the model
    guarantees a value; data_gb_30d is NUMBER(12,3)."""
    statement = next(
        s
        for s in _rendered(MIGRATIONS_DIR / "V1.0.3__load_control_and_model.sql")
        if "CREATE OR REPLACE TABLE ANALYTICS.CUSTOMER_360" in s
    )
    expression = _parse(statement)
    columns = [c for c in expression.this.expressions if isinstance(c, exp.ColumnDef)]
    assert len(columns) == 60
    comments = {
        c.name: [
            k.args["kind"]
            for k in c.constraints
            if isinstance(k.args.get("kind"), exp.CommentColumnConstraint)
        ]
        for c in columns
    }
    assert all(comments.values()), [n for n, v in comments.items() if not v]
    not_null = {
        c.name
        for c in columns
        if any(isinstance(k.args.get("kind"), exp.NotNullColumnConstraint) for k in c.constraints)
    }
    assert not_null == {
        "customer_id",
        "usage_days_30d",
        "data_gb_30d",
        "voice_minutes_30d",
        "sms_count_30d",
        "roaming_minutes_30d",
        "first_seen_batch",
        "last_changed_batch",
        "as_of_batch",
    }
    kinds = {c.name: c.args["kind"].sql("snowflake") for c in columns}
    assert kinds["data_gb_30d"] == "DECIMAL(12, 3)"
    assert "CONSTRAINT PK_CUSTOMER_360 PRIMARY KEY (customer_id) RELY" in statement
    assert "COPY GRANTS" in statement
