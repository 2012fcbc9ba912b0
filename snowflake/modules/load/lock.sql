-- Take the load lock: first statement of every load transaction, on Snowflake (CORE.LOAD_UP_TO)
-- and locally (telco360.local.warehouse). Snowflake's UPDATE locks the table until COMMIT or ROLLBACK,
-- so a second load (the task and a manual CALL) waits here; locally DuckDB fails the second
-- writer of the row and the loader retries. Every decision that follows is taken after the
-- lock, on the ledger as the first load left it. The row is created once (V1.0.3).
UPDATE CORE.LOAD_LOCK SET locked_at = CURRENT_TIMESTAMP() WHERE lock_id = 1;
