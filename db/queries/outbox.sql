-- Named queries for the outbox (used by the relay).
-- Per-key order: rows are published in id order. One relay is active at a
-- time (try_lock_relay in each window's transaction; the others stand by).

-- name: listen
LISTEN outbox;

-- name: notify
-- Wakes the relay (`provisioning outbox retry|drop` released a row).
NOTIFY outbox;

-- name: try_lock_relay
-- TRUE when this transaction is the active relay (until it ends).
SELECT pg_try_advisory_xact_lock(hashtext('outbox_relay')) AS locked;

-- name: fetch_unsent
-- The next unsent rows after the id given as "after" (NULL: from the start). No
-- row locks: the active relay holds try_lock_relay's lock, and only it marks rows
-- sent.
-- Ids and result_data as text: the message carries them as strings, and the
-- relay need not parse them into Python objects to turn them back. A parked row
-- and the later rows of its key are left out (outbox_parked).
SELECT id,
       event_id::TEXT AS event_id,
       request_id::TEXT AS request_id,
       provision_id::TEXT AS provision_id,
       action,
       status,
       order_item_plan_ids::TEXT[] AS order_item_plan_ids,
       result_message,
       result_data::TEXT AS result_data,
       message_key,
       traceparent,
       created_date
  FROM outbox o
 WHERE sent_date IS NULL
   AND id > COALESCE(%(after)s, 0)
   AND NOT EXISTS (SELECT 1 FROM outbox_parked p
                    WHERE p.outbox = 'outcomes' AND p.parked_date IS NOT NULL
                      AND p.message_key = o.message_key AND p.row_id <= o.id)
 ORDER BY id
 LIMIT %(limit)s;

-- name: mark_sent
UPDATE outbox
   SET sent_date = now()
 WHERE id = ANY (%(ids)s::BIGINT[])
   AND sent_date IS NULL;

-- name: mark_dropped
-- An operator gave up on a parked row (`provisioning outbox drop`): it counts as sent.
UPDATE outbox SET sent_date = now() WHERE id = %(id)s AND sent_date IS NULL RETURNING id;

-- name: count_unsent
SELECT count(*) AS unsent FROM outbox WHERE sent_date IS NULL;

-- name: get_by_request_id
SELECT *
  FROM outbox
 WHERE request_id = %(request_id)s::UUID
 ORDER BY id;
