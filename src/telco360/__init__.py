"""Telco Customer 360: one package, three roles, one sub-package each.

- `telco360.shipped`: what runs on AWS (the feed contract, lake layout and I/O, the Lambda
  handlers, the Glue jobs). Standard library, PySpark and Powertools only; copied into the
  Lambda layer by layers/contract/Makefile and bundled into glue/*.py by `make glue`, so it
  never imports the other two.
- `telco360.local`: what emulates AWS on one machine (`telco360 run`: the state machine's
  steps, the DuckDB warehouse, the run lock, the summary and report).
- `telco360.ops`: the operator's tools (the CLI, the test-data generator, backfill, AWS
  operations, the Glue bundle writer).
"""
