-- Named queries for the job table and its API functions (used by executors).
-- Blocks start with "-- name: <query_name>"; parameters are psycopg
-- %(name)s placeholders.

-- name: listen
-- Wake-ups: payload is the job type name of a job inserted or re-queued.
LISTEN job_runnable;

-- name: claim
-- Claim up to limit runnable jobs of the given types (list of job type
-- names, or None for all) for owner, with a lease (timedelta).
SELECT j.*,
       t.name AS type_name
  FROM job_claim(%(owner)s, %(limit)s, %(lease)s::INTERVAL, %(types)s::TEXT[]) j
  JOIN job_type t ON t.id = j.type_id;

-- name: claim_to_run
-- The executor's claim: the same as claim, with only what running a job needs.
SELECT j.id,
       t.name AS type_name,
       j.data,
       j.attempts,
       j.max_attempts,
       j.created_date
  FROM job_claim(%(owner)s, %(limit)s, %(lease)s::INTERVAL, %(types)s::TEXT[]) j
  JOIN job_type t ON t.id = j.type_id;

-- name: heartbeat
-- Extend the leases owner still holds; returns how many were extended.
SELECT job_heartbeat(%(owner)s, %(job_ids)s::UUID[], %(lease)s::INTERVAL) AS extended;

-- name: complete
-- TRUE when completed; FALSE when owner no longer holds the lease.
SELECT job_complete(%(job_id)s::UUID, %(owner)s, %(result)s::JSONB, %(message)s) AS completed;

-- name: fail
-- Returns 'retry', 'failed' or 'lost'.
SELECT job_fail(%(job_id)s::UUID, %(owner)s, %(message)s, %(data)s::JSONB, %(retryable)s::BOOLEAN,
                %(backoff_base)s::INTERVAL, %(backoff_max)s::INTERVAL) AS outcome;

-- name: reclaim_expired
-- Take back jobs whose lease expired; returns how many.
SELECT job_reclaim_expired(%(backoff_base)s::INTERVAL) AS reclaimed;

-- name: get
SELECT j.*,
       t.name AS type_name,
       s.name AS status_name
  FROM job j
  JOIN job_type t ON t.id = j.type_id
  JOIN job_status s ON s.id = j.status_id
 WHERE j.id = %(job_id)s::UUID;

-- name: get_by_reference
-- The job(s) of a provision row.
SELECT j.*,
       t.name AS type_name,
       s.name AS status_name
  FROM job j
  JOIN job_type t ON t.id = j.type_id
  JOIN job_status s ON s.id = j.status_id
 WHERE j.reference_id = %(reference_id)s::UUID
 ORDER BY j.created_date;

-- name: next_start_date
-- When the next queued job becomes runnable (None when there is none):
-- executors sleep until then or until a NOTIFY, whichever comes first.
SELECT min(j.start_date) AS next_start_date
  FROM job j
 WHERE j.status_id = tc_id_from_name('job_status', 'queued');

-- name: count_by_status
SELECT t.name AS type_name,
       s.name AS status_name,
       count(*) AS jobs
  FROM job j
  JOIN job_type t ON t.id = j.type_id
  JOIN job_status s ON s.id = j.status_id
 GROUP BY t.name, s.name
 ORDER BY t.name, s.name;

-- name: complete_many
-- Complete several jobs in one round trip and one UPDATE, as River batches
-- completions: one row per job in the order given; completed = FALSE where
-- owner no longer holds the lease. One refused result fails the whole
-- statement: the caller then completes them one by one.
SELECT c.job_id AS id, c.completed
  FROM job_complete_many(%(owner)s, %(job_ids)s::UUID[], %(results)s::JSONB[]) c;
