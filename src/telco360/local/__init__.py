"""What emulates AWS on one machine: `telco360 run` runs the state machine's steps in order
(runner, pipeline_definition) on local PySpark (spark) and loads DuckDB with the Snowflake SQL
(warehouse, warehouse_sql, sql_statements); the lake lock, what the lake holds, and the run's
summary and HTML report."""
