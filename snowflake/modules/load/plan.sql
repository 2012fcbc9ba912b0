-- Decide what the load does, from CORE.LOAD_MARKERS (the commit markers, just read) and
-- CORE.LOAD_LEDGER (what is loaded). Runs after lock.sql, inside the load transaction.
-- :up_to is NULL for CORE.LOAD_PENDING, the requested date for CORE.LOAD_BATCH.
-- Writes CORE.LOAD_PLAN (REWIND from a date, then LOAD batches in order) and, for a load that
-- must not happen, CORE.LOAD_PROBLEMS (the caller raises when it holds any row).
DELETE FROM CORE.LOAD_PROBLEMS;

DELETE FROM CORE.LOAD_PLAN;

DELETE FROM CORE.LOAD_FILE_COLUMNS;

-- 1. Run-id check: the warehouse follows the lake. The first date, up to the latest loaded
--    batch, where a commit marker and the ledger disagree (a re-run: another run_id; a late
--    batch: a marker without a ledger row; an un-committed batch: a ledger row without a
--    marker) is where the warehouse rewinds to, to reload from there in order.
INSERT INTO CORE.LOAD_PLAN (batch_date, run_id, action)
SELECT MIN(COALESCE(m.batch_date, l.batch_date)), NULL, 'REWIND'
FROM CORE.LOAD_MARKERS AS m
FULL OUTER JOIN CORE.LOAD_LEDGER AS l ON l.batch_date = m.batch_date
WHERE COALESCE(m.batch_date, l.batch_date) <= (SELECT MAX(batch_date) FROM CORE.LOAD_LEDGER)
  AND (m.run_id IS NULL OR l.run_id IS NULL OR m.run_id <> l.run_id)
HAVING COUNT(*) > 0;

-- 2. Ledger check: load every committed batch not in the ledger, or at/after the rewind
--    point, up to :up_to, in batch order.
INSERT INTO CORE.LOAD_PLAN (batch_date, run_id, action)
SELECT m.batch_date, m.run_id, 'LOAD'
FROM CORE.LOAD_MARKERS AS m
LEFT JOIN CORE.LOAD_LEDGER AS l ON l.batch_date = m.batch_date
WHERE (l.batch_date IS NULL
       OR m.batch_date >= (SELECT MIN(batch_date) FROM CORE.LOAD_PLAN WHERE action = 'REWIND'))
  AND m.batch_date <= COALESCE(CAST(:up_to AS DATE), m.batch_date);

-- 3. Out-of-order / gap check: job B builds a batch on the committed batch before it
--    (manifest previous_batch). A batch built on another one (a late batch was committed
--    after it, or a batch in between is missing) holds stale state: refuse it; the fix is
--    re-running job B from the earlier date (telco360 backfill / the AWS backfill).
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'chain_broken', p.batch_date,
       'built on batch ' || COALESCE(CAST(m.previous_batch AS VARCHAR), 'none')
       || ' but the committed batch before it is '
       || COALESCE(CAST(b.before_date AS VARCHAR), 'none')
       || ': re-run job B from the earlier date'
FROM CORE.LOAD_PLAN AS p
JOIN CORE.LOAD_MARKERS AS m ON m.batch_date = p.batch_date
LEFT JOIN (
    SELECT m1.batch_date, MAX(m2.batch_date) AS before_date
    FROM CORE.LOAD_MARKERS AS m1
    LEFT JOIN CORE.LOAD_MARKERS AS m2 ON m2.batch_date < m1.batch_date
    GROUP BY m1.batch_date
) AS b ON b.batch_date = p.batch_date
WHERE p.action = 'LOAD'
  AND (m.previous_batch IS NULL AND b.before_date IS NOT NULL
       OR m.previous_batch IS NOT NULL AND b.before_date IS NULL
       OR m.previous_batch <> b.before_date);

-- 4. The requested batch must be committed.
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'not_committed', CAST(:up_to AS DATE),
       'no commit marker staging/_batches/batch_date=<date>/manifest.json: run the pipeline for the date first'
WHERE CAST(:up_to AS DATE) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM CORE.LOAD_MARKERS WHERE batch_date = CAST(:up_to AS DATE));

-- 5. A stage that lists no commit marker while batches are loaded is a wrong or empty stage
--    (or lake), not a reason to rewind everything: refuse.
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'no_commit_markers', NULL,
       'the stage lists no commit marker but ' || CAST(COUNT(*) AS VARCHAR)
       || ' batch(es) are loaded: check the stage URL / lake before loading'
FROM CORE.LOAD_LEDGER
HAVING COUNT(*) > 0 AND NOT EXISTS (SELECT 1 FROM CORE.LOAD_MARKERS);

-- 6. Refresh ANALYTICS.CUSTOMER_360 once, at the end, when anything is rewound or loaded, or
--    when it is out of step with CORE (e.g. the table was just replaced by a deploy).
INSERT INTO CORE.LOAD_PLAN (batch_date, run_id, action)
SELECT COALESCE((SELECT MAX(batch_date) FROM CORE.LOAD_PLAN),
                (SELECT MAX(batch_date) FROM CORE.LOAD_LEDGER)), NULL, 'REFRESH'
WHERE EXISTS (SELECT 1 FROM CORE.LOAD_PLAN)
   OR (SELECT COUNT(*) FROM ANALYTICS.CUSTOMER_360) <> (SELECT COUNT(*) FROM CORE.CUSTOMER)
   OR EXISTS (SELECT 1 FROM ANALYTICS.CUSTOMER_360
              WHERE as_of_batch <> (SELECT MAX(batch_date) FROM CORE.LOAD_LEDGER));
