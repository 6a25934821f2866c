-- Named queries of the order-status outbox (orders.status_outbox): one
-- OrderStatus event per order that reached a final status, published to the
-- order-status topic by the relay (producers/relay.py) in id order. Same shape
-- as db/queries/outbox.sql.

-- name: listen
LISTEN order_status_outbox;

-- name: notify
-- Wakes the relay (`provisioning outbox retry|drop` released a row).
NOTIFY order_status_outbox;

-- name: try_lock_relay
-- TRUE when this transaction is the active relay of this outbox (until it ends).
SELECT pg_try_advisory_xact_lock(hashtext('order_status_outbox_relay')) AS locked;

-- name: fetch_unsent
-- The next unsent rows after the id given as "after" (NULL: from the start). No
-- row locks: the active relay holds try_lock_relay's lock, and only it marks rows
-- sent. A parked row and the later rows of its key are left out (outbox_parked).
SELECT id, event_id, order_id, message_key, event, traceparent, created_date
  FROM orders.status_outbox o
 WHERE sent_date IS NULL
   AND id > COALESCE(%(after)s, 0)
   AND NOT EXISTS (SELECT 1 FROM outbox_parked p
                    WHERE p.outbox = 'order-status' AND p.parked_date IS NOT NULL
                      AND p.message_key = o.message_key AND p.row_id <= o.id)
 ORDER BY id
 LIMIT %(limit)s;

-- name: mark_sent
UPDATE orders.status_outbox
   SET sent_date = now()
 WHERE id = ANY (%(ids)s::BIGINT[])
   AND sent_date IS NULL;

-- name: mark_dropped
-- An operator gave up on a parked row (`provisioning outbox drop`): it counts as sent.
UPDATE orders.status_outbox SET sent_date = now() WHERE id = %(id)s AND sent_date IS NULL
RETURNING id;

-- name: count_unsent
SELECT count(*) AS unsent FROM orders.status_outbox WHERE sent_date IS NULL;
