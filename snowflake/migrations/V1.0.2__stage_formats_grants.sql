-- File formats, created once (no deploy variable but the database). The external stage (its URL
-- and integration are variables) and every grant (role names are variables) moved to
-- R__02_stage_grants.sql, which re-runs whenever a variable it uses changes.
USE DATABASE {{ database }};

CREATE FILE FORMAT IF NOT EXISTS RAW.PARQUET_FORMAT
    TYPE = PARQUET
    USE_LOGICAL_TYPE = TRUE
    COMMENT = 'Staging Parquet written by Glue job B (logical types: DATE, DECIMAL)';

CREATE FILE FORMAT IF NOT EXISTS RAW.JSON_FORMAT
    TYPE = JSON
    COMMENT = 'Commit markers: staging/_batches/batch_date=D/manifest.json';
