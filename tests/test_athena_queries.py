"""The example Athena queries of docs/AWS.md name only tables and columns of the catalog
(telco360.shipped.catalog, what the Glue jobs create): each is parsed as Athena's SQL by sqlglot
(dialect `athena`, https://sqlglot.com/sqlglot/dialects/athena.html) and every table and
column it names is looked up in the table definitions.
"""

from __future__ import annotations

import re

import sqlglot
from conftest import REPO_ROOT
from sqlglot import exp

from telco360.shipped import catalog
from telco360.shipped.contract import FEEDS


def documented_queries() -> list[str]:
    text = (REPO_ROOT / "docs/AWS.md").read_text(encoding="utf-8")
    section = text.split("## Query the lake in Athena", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def unknown_names(sql: str) -> list[str]:
    """Tables not in the catalog, and columns in none of the query's tables (a column
    qualified by a table alias: not in that table), parsed as Athena's SQL by sqlglot."""
    query = sqlglot.parse_one(sql, read="athena")
    tables, by_alias = set(), {}
    for node in query.find_all(exp.Table):
        if node.name in catalog.TABLES:
            tables.add(node.name)
            by_alias[node.alias_or_name] = node.name
    unknown = [f"table {t.name}" for t in query.find_all(exp.Table) if t.name not in tables]
    defined = {a.alias for a in query.find_all(exp.Alias)}  # output names (ORDER BY feed)
    for alias in query.find_all(exp.TableAlias):  # UNNEST(...) AS t (reason)
        defined |= {c.name for c in alias.columns}

    def columns_of(name):
        table = catalog.TABLES[name]
        return {c for c, _ in table.columns} | {table.partition}

    for column in query.find_all(exp.Column):
        if column.table:
            if column.name not in columns_of(by_alias.get(column.table, column.table)):
                unknown.append(f"column {column.table}.{column.name}")
        elif column.name not in defined and not any(column.name in columns_of(t) for t in tables):
            unknown.append(f"column {column.name}")
    return unknown


def test_docs_have_three_athena_queries_naming_only_catalog_tables_and_columns():
    queries = documented_queries()
    assert len(queries) == 3
    for sql in queries:
        assert unknown_names(sql) == [], sql
    rows_per_feed = queries[2]
    assert {
        t.name for t in sqlglot.parse_one(rows_per_feed, read="athena").find_all(exp.Table)
    } == {f"standardized_{f}" for f in FEEDS}


def test_the_query_check_finds_a_wrong_name():
    assert unknown_names("SELECT churn_reasons FROM staging_customers_state") == [
        "column churn_reasons"
    ]
    assert unknown_names("SELECT q.reason_code FROM quarantine_usage AS q") == [
        "column q.reason_code"
    ]
    assert unknown_names("SELECT 1 FROM quarantine_services_x") == ["table quarantine_services_x"]
