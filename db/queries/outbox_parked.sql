-- Outbox rows the relay could not publish for a reason of their own
-- (producers/relay.py, producers/parked.py). %(outbox)s: 'outcomes',
-- 'order-requests' or 'action-requests'.

-- name: record_failure
-- One more failed attempt of a row; parked once it reached %(max_attempts)s.
INSERT INTO outbox_parked AS p (outbox, row_id, message_key, attempts, reason, parked_date)
VALUES (%(outbox)s, %(row_id)s, %(message_key)s, 1, %(reason)s,
        CASE WHEN %(max_attempts)s <= 1 THEN now() END)
ON CONFLICT (outbox, row_id) DO UPDATE
   SET attempts = p.attempts + 1,
       reason = EXCLUDED.reason,
       last_failed_date = now(),
       parked_date = COALESCE(p.parked_date,
                              CASE WHEN p.attempts + 1 >= %(max_attempts)s THEN now() END)
RETURNING attempts, parked_date IS NOT NULL AS parked;

-- name: forget
-- A row that was published after failing before: its failures no longer matter.
DELETE FROM outbox_parked WHERE outbox = %(outbox)s AND row_id = ANY (%(row_ids)s::BIGINT[]);

-- name: list
-- Parked rows (and, with %(all)s, rows that failed without being parked yet), with
-- the number of later rows of the same key waiting behind each.
SELECT p.outbox, p.row_id, p.message_key, p.attempts, p.reason, p.first_failed_date,
       p.last_failed_date, p.parked_date
  FROM outbox_parked p
 WHERE (p.parked_date IS NOT NULL OR %(all)s)
   AND (p.outbox = %(outbox)s OR %(outbox)s IS NULL)
 ORDER BY p.outbox, p.row_id;

-- name: release
-- `provisioning outbox retry|drop`: the row is no longer parked (and its count starts over).
DELETE FROM outbox_parked
 WHERE outbox = %(outbox)s AND row_id = %(row_id)s AND parked_date IS NOT NULL
RETURNING row_id;

-- name: count_parked
SELECT count(*) AS parked FROM outbox_parked WHERE outbox = %(outbox)s AND parked_date IS NOT NULL;
