"""Telco Customer 360: one package, three roles.

Shipped to AWS (standard library + PySpark only; bundled into glue/*.py by `make glue`, or
copied into the Lambda layer by layers/contract/Makefile):
    jobs/ (job A clean_standardize, job B build_staging, glue_entry), contract, lake_layout,
    lake_io, job_errors, batch_lock, lambda_tracing
AWS emulated locally (`telco360 run`: the state machine's steps on one machine):
    runner, pipeline_definition, spark, warehouse, warehouse_sql, sql_statements, run_lock,
    lake_state, run_summary, report_data, report_html
Operator tools:
    cli, generate/, backfill, aws_ops, glue_bundle, repo
"""
