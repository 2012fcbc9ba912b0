-- Check one batch just copied into RAW against its commit marker, before it is merged:
-- what COPY ... MATCH_BY_COLUMN_NAME would do silently (NULL-fill a column the files lack,
-- drop a column the table lacks) and what a lost or empty file would do (fewer rows).
-- Runs inside the load transaction after the COPYs of :batch_date; any row written to
-- CORE.LOAD_PROBLEMS fails the load.

-- 1. Schema: the staged files' columns (CORE.LOAD_FILE_COLUMNS: INFER_SCHEMA on Snowflake,
--    the Parquet schema locally) against the RAW table's columns.
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'schema_mismatch', :batch_date,
       'RAW.' || f.raw_table || ': the staged files have column ' || f.column_name
       || ' that the table lacks'
FROM CORE.LOAD_FILE_COLUMNS AS f
WHERE f.batch_date = :batch_date
  AND NOT EXISTS (
    SELECT 1 FROM INFORMATION_SCHEMA.COLUMNS AS c
    WHERE UPPER(c.table_schema) = 'RAW' AND UPPER(c.table_name) = f.raw_table
      AND UPPER(c.column_name) = UPPER(f.column_name));

INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'schema_mismatch', :batch_date,
       'RAW.' || t.raw_table || ': the staged files lack column ' || LOWER(c.column_name)
FROM (SELECT DISTINCT raw_table FROM CORE.LOAD_FILE_COLUMNS WHERE batch_date = :batch_date) AS t
JOIN INFORMATION_SCHEMA.COLUMNS AS c
    ON UPPER(c.table_schema) = 'RAW' AND UPPER(c.table_name) = t.raw_table
WHERE NOT EXISTS (
    SELECT 1 FROM CORE.LOAD_FILE_COLUMNS AS f
    WHERE f.batch_date = :batch_date AND f.raw_table = t.raw_table
      AND UPPER(f.column_name) = UPPER(c.column_name));

-- 2. Row counts: RAW holds exactly the rows the commit marker counts (manifest "entities").
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'row_count_mismatch', :batch_date,
       c.raw_table || ': ' || CAST(c.loaded AS VARCHAR) || ' row(s) loaded, the commit marker counts '
       || COALESCE(CAST(c.expected AS VARCHAR), 'nothing')
FROM (
    SELECT 'RAW.CUSTOMERS_STATE' AS raw_table, customers_state_rows AS expected,
           (SELECT COUNT(*) FROM RAW.CUSTOMERS_STATE WHERE batch_date = :batch_date) AS loaded
    FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date
    UNION ALL
    SELECT 'RAW.CUSTOMERS_CHANGES', customers_changes_rows,
           (SELECT COUNT(*) FROM RAW.CUSTOMERS_CHANGES WHERE batch_date = :batch_date)
    FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date
    UNION ALL
    SELECT 'RAW.POPULATION_STATE', population_state_rows,
           (SELECT COUNT(*) FROM RAW.POPULATION_STATE WHERE batch_date = :batch_date)
    FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date
    UNION ALL
    SELECT 'RAW.POPULATION_CHANGES', population_changes_rows,
           (SELECT COUNT(*) FROM RAW.POPULATION_CHANGES WHERE batch_date = :batch_date)
    FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date
    UNION ALL
    SELECT 'RAW.USAGE_CHANGES', usage_changes_rows,
           (SELECT COUNT(*) FROM RAW.USAGE_CHANGES WHERE batch_date = :batch_date)
    FROM CORE.LOAD_MARKERS WHERE batch_date = :batch_date
) AS c
WHERE c.expected IS NULL OR c.loaded <> c.expected;

-- 3. Keys are NOT NULL.
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'null_key', :batch_date, k.raw_table || ': ' || CAST(k.n AS VARCHAR) || ' row(s) with a NULL key'
FROM (
    SELECT 'RAW.CUSTOMERS_STATE' AS raw_table, COUNT(*) AS n FROM RAW.CUSTOMERS_STATE
    WHERE batch_date = :batch_date AND customer_id IS NULL
    UNION ALL
    SELECT 'RAW.CUSTOMERS_CHANGES', COUNT(*) FROM RAW.CUSTOMERS_CHANGES
    WHERE batch_date = :batch_date AND customer_id IS NULL
    UNION ALL
    SELECT 'RAW.POPULATION_STATE', COUNT(*) FROM RAW.POPULATION_STATE
    WHERE batch_date = :batch_date AND zip_code IS NULL
    UNION ALL
    SELECT 'RAW.POPULATION_CHANGES', COUNT(*) FROM RAW.POPULATION_CHANGES
    WHERE batch_date = :batch_date AND zip_code IS NULL
    UNION ALL
    SELECT 'RAW.USAGE_CHANGES', COUNT(*) FROM RAW.USAGE_CHANGES
    WHERE batch_date = :batch_date AND (customer_id IS NULL OR usage_date IS NULL)
) AS k
WHERE k.n > 0;
