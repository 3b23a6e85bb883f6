-- The audit trail of the last run: each dataset's state in its latest run, with its row counts
SELECT
    run_id,
    dataset,
    state,
    raw_records,
    bronze_rows,
    silver_rows,
    reason
FROM (
    SELECT
        *,
        row_number() OVER (PARTITION BY dataset ORDER BY run_id DESC) AS newest_first
    FROM audit
) AS audit_items
WHERE newest_first = 1
ORDER BY run_id DESC, dataset
