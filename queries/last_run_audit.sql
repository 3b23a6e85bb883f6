-- The audit trail of the last run: each dataset's (and gold table's) state after its latest run, with its row counts
SELECT
    dataset,
    state,
    run_id,
    updated_at,
    raw_records,
    bronze_rows,
    silver_rows,
    gold_rows,
    reason
FROM (
    SELECT
        *,
        row_number() OVER (PARTITION BY dataset ORDER BY updated_at DESC, run_id DESC) AS newest_first
    FROM audit
) AS audit_items
WHERE newest_first = 1
ORDER BY dataset
