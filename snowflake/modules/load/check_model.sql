-- Data tests of the model, run in every load after refresh_customer_360.sql, inside the load
-- transaction (a failure rolls the whole load back), on Snowflake and locally.

-- 1. One row per customer (a NULL key counts as a duplicate: COUNT(DISTINCT) skips it).
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'customer_360_key', NULL,
       CAST(COUNT(*) AS VARCHAR) || ' rows for ' || CAST(COUNT(DISTINCT customer_id) AS VARCHAR)
       || ' customer ids'
FROM ANALYTICS.CUSTOMER_360
HAVING COUNT(*) <> COUNT(DISTINCT customer_id);

-- 2. Every customer of CORE, and only those.
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'customer_360_customers', NULL,
       CAST(a.n AS VARCHAR) || ' rows, CORE.CUSTOMER has ' || CAST(c.n AS VARCHAR)
FROM (SELECT COUNT(*) AS n FROM ANALYTICS.CUSTOMER_360) AS a
CROSS JOIN (SELECT COUNT(*) AS n FROM CORE.CUSTOMER) AS c
WHERE a.n <> c.n;

-- 3. Money to the cent: every amount equals CORE.CUSTOMER's (both NUMBER(12,2)).
INSERT INTO CORE.LOAD_PROBLEMS (check_name, batch_date, detail)
SELECT 'customer_360_money', NULL, 'customer ' || a.customer_id || ': an amount differs from CORE.CUSTOMER'
FROM ANALYTICS.CUSTOMER_360 AS a
JOIN CORE.CUSTOMER AS c ON c.customer_id = a.customer_id
WHERE a.monthly_charge IS DISTINCT FROM c.monthly_charge
   OR a.total_charges IS DISTINCT FROM c.total_charges
   OR a.total_refunds IS DISTINCT FROM c.total_refunds
   OR a.total_extra_data_charges IS DISTINCT FROM c.total_extra_data_charges
   OR a.total_long_distance_charges IS DISTINCT FROM c.total_long_distance_charges
   OR a.total_revenue IS DISTINCT FROM c.total_revenue
   OR a.avg_monthly_long_distance_charges IS DISTINCT FROM c.avg_monthly_long_distance_charges;
