-- Forget any RAW rows of :batch_date before its files are copied in, so that a load retried
-- after a failure never appends the batch twice. First step of the load transaction, on
-- Snowflake (CORE.LOAD_BATCH) and locally (telco360.local.warehouse).
DELETE FROM RAW.CUSTOMERS_STATE WHERE batch_date = :batch_date;
DELETE FROM RAW.CUSTOMERS_CHANGES WHERE batch_date = :batch_date;
DELETE FROM RAW.POPULATION_STATE WHERE batch_date = :batch_date;
DELETE FROM RAW.POPULATION_CHANGES WHERE batch_date = :batch_date;
DELETE FROM RAW.USAGE_CHANGES WHERE batch_date = :batch_date;
