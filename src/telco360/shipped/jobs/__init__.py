"""The two Glue jobs' logic (A: clean_standardize, B: build_staging): pure DataFrame
transforms plus `run(spark, lake_root, batch_date, ...)`. Imported by the local runner, the
tests and the benchmarks; on AWS, `glue_entry` calls the same `run`."""
