-- The job queue's throughput: no-op jobs through our executor (job table,
-- job_claim/job_complete) and through Procrastinate (procrastinate_jobs), each
-- in its own fresh database. Timestamps come from the database's clock on both
-- sides, so the two spans are measured the same way.

-- name: clock
-- The database's clock now (not the transaction's start): taken just before a worker starts.
SELECT clock_timestamp() AS now

-- name: analyze
-- After queueing, on both sides (not timed): the planner statistics autovacuum
-- would have on a live queue. Without them, a table just bulk-filled in a fresh
-- database has none, and Procrastinate's fetch query sorts all 5,000 queued jobs
-- for every job it takes (~8 ms a fetch here instead of ~0.1 ms).
ANALYZE

-- name: insert_jobs
-- %(jobs)s no-op jobs in one statement: reference_id NULL means completing one
-- touches no provision row (job_status_changed skips it).
INSERT INTO job (type_id, reference_id, data)
SELECT t.id, NULL, '{}'::JSONB
  FROM job_type t
 CROSS JOIN generate_series(1, %(jobs)s)
 WHERE t.name = %(type)s

-- name: completed_span
-- How many jobs completed, and when the last one did (job_complete sets end_date = now()).
SELECT count(*) AS completed,
       max(j.end_date) AS last_end
  FROM job j
 WHERE j.status_id = tc_id_from_name('job_status', 'completed')

-- name: procrastinate_succeeded_span
-- How many Procrastinate jobs succeeded, and when the last one did: its status
-- trigger records a 'succeeded' event with at = now() in the finishing transaction.
SELECT (SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded') AS succeeded,
       (SELECT max(e.at)
          FROM procrastinate_events e
         WHERE e.type = 'succeeded') AS last_end
