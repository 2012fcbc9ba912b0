-- Rebuild ANALYTICS.CUSTOMER_360 from CORE: one row per customer. Last step of every load
-- (CORE.LOAD_BATCH) and of every rewind (CORE.REWIND); locally the same, transpiled.
-- A full rebuild on purpose: the usage window moves every day, so every row can change.
-- DELETE + INSERT (not CREATE OR REPLACE) keeps it inside the load transaction.
--
-- Usage window: the 30 usage days ending on the latest usage_date in CORE.USAGE_DAILY across all
-- customers (usage_window_end - 29 .. usage_window_end, both inclusive). A customer without
-- usage in the window gets 0s; if there is no usage at all, the window is NULL.
DELETE FROM ANALYTICS.CUSTOMER_360;

INSERT INTO ANALYTICS.CUSTOMER_360 (
        customer_id, gender, age, under_30, senior_citizen,
        married, dependents, number_of_dependents, country, state,
        city, zip_code, latitude, longitude, population,
        referred_a_friend, number_of_referrals, tenure_in_months, offer, phone_service,
        avg_monthly_long_distance_charges, multiple_lines, internet_service, internet_type, avg_monthly_gb_download,
        online_security, online_backup, device_protection_plan, premium_tech_support, streaming_tv,
        streaming_movies, streaming_music, unlimited_data, contract, paperless_billing,
        payment_method, monthly_charge, total_charges, total_refunds, total_extra_data_charges,
        total_long_distance_charges, total_revenue, satisfaction_score, customer_status, churn_label,
        churn_value, churn_score, cltv, churn_category, churn_reason,
        usage_window_start, usage_window_end, usage_days_30d, data_gb_30d, voice_minutes_30d,
        sms_count_30d, roaming_minutes_30d, first_seen_batch, last_changed_batch, as_of_batch)
WITH usage_window AS (
    SELECT DATEADD(day, -29, MAX(usage_date)) AS window_start, MAX(usage_date) AS window_end
    FROM CORE.USAGE_DAILY
),
usage_30d AS (
    SELECT u.customer_id,
           COUNT(*) AS usage_days,
           SUM(u.data_gb) AS data_gb,
           SUM(u.voice_minutes) AS voice_minutes,
           SUM(u.sms_count) AS sms_count,
           SUM(u.roaming_minutes) AS roaming_minutes
    FROM CORE.USAGE_DAILY AS u
    JOIN usage_window AS w ON u.usage_date BETWEEN w.window_start AND w.window_end
    GROUP BY u.customer_id
)
SELECT
        c.customer_id, c.gender, c.age, c.under_30,
        c.senior_citizen, c.married, c.dependents, c.number_of_dependents,
        c.country, c.state, c.city, c.zip_code,
        c.latitude, c.longitude, p.population, c.referred_a_friend,
        c.number_of_referrals, c.tenure_in_months, c.offer, c.phone_service,
        c.avg_monthly_long_distance_charges, c.multiple_lines, c.internet_service, c.internet_type,
        c.avg_monthly_gb_download, c.online_security, c.online_backup, c.device_protection_plan,
        c.premium_tech_support, c.streaming_tv, c.streaming_movies, c.streaming_music,
        c.unlimited_data, c.contract, c.paperless_billing, c.payment_method,
        c.monthly_charge, c.total_charges, c.total_refunds, c.total_extra_data_charges,
        c.total_long_distance_charges, c.total_revenue, c.satisfaction_score, c.customer_status,
        c.churn_label, c.churn_value, c.churn_score, c.cltv,
        c.churn_category, c.churn_reason, w.window_start, w.window_end,
        COALESCE(u.usage_days, 0), ROUND(COALESCE(u.data_gb, 0), 3),
        COALESCE(u.voice_minutes, 0), COALESCE(u.sms_count, 0), COALESCE(u.roaming_minutes, 0),
        c.first_seen_batch, c.last_changed_batch,
        (SELECT MAX(batch_date) FROM CORE.LOAD_LEDGER)
FROM CORE.CUSTOMER AS c
CROSS JOIN usage_window AS w
LEFT JOIN CORE.POPULATION AS p ON p.zip_code = c.zip_code
LEFT JOIN usage_30d AS u ON u.customer_id = c.customer_id;
