-- Named queries for the outbox (used by the relay).
-- Per-key order: rows are published in id order. Run one active relay at a
-- time (try_lock_relay in each batch transaction; the others stand by), or
-- several copies each taking a disjoint share of message keys.

-- name: listen
LISTEN outbox;

-- name: try_lock_relay
-- TRUE when this transaction is the active relay (until it ends).
SELECT pg_try_advisory_xact_lock(hashtext('outbox_relay')) AS locked;

-- name: fetch_unsent
SELECT id,
       event_id,
       request_id,
       provision_id,
       action,
       status,
       order_item_plan_ids,
       result_message,
       result_data,
       message_key,
       traceparent,
       created_date
  FROM outbox
 WHERE sent_date IS NULL
 ORDER BY id
 LIMIT %(limit)s
   FOR UPDATE SKIP LOCKED;

-- name: mark_sent
UPDATE outbox
   SET sent_date = now()
 WHERE id = ANY (%(ids)s::BIGINT[])
   AND sent_date IS NULL;

-- name: count_unsent
SELECT count(*) AS unsent FROM outbox WHERE sent_date IS NULL;

-- name: get_by_request_id
SELECT *
  FROM outbox
 WHERE request_id = %(request_id)s::UUID
 ORDER BY id;
