"""The operator's tools: the `telco360` command (cli), the test-data generator (generate/),
the backfill policy, operations on a deployed stack (aws_ops), the Glue bundle writer
(`make glue`) and where the repository's other files are (repo)."""
