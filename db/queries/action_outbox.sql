-- Named queries of the request outbox of any component (action_request_outbox):
-- written by producers/outbox.py enqueue_request in the caller's transaction,
-- published to the actions topic by the relay (producers/relay.py) in id order.
-- Same shape as db/queries/order_outbox.sql.

-- name: enqueue
-- One request, in the caller's transaction. The same request_id twice is
-- written once (the first): the request_id is the request's idempotency key.
-- INSERT only (provisioning_requester may not read the table): no RETURNING, and
-- no conflict target, which would need SELECT on request_id (the one unique
-- column a writer sets).
INSERT INTO action_request_outbox (request_id, message_key, request, traceparent)
VALUES (%(request_id)s::UUID, %(message_key)s, %(request)s::JSONB, %(traceparent)s)
ON CONFLICT DO NOTHING;

-- name: listen
LISTEN action_request_outbox;

-- name: notify
-- Wakes the relay: sent by enqueue_request at the caller's commit (nothing on a
-- rollback), and by `provisioning outbox retry|drop` when it released a row.
NOTIFY action_request_outbox;

-- name: try_lock_relay
-- TRUE when this transaction is the active relay of this outbox (until it ends).
SELECT pg_try_advisory_xact_lock(hashtext('action_request_outbox_relay')) AS locked;

-- name: fetch_unsent
-- The next unsent rows after the id given as "after" (NULL: from the start). No
-- row locks: the active relay holds try_lock_relay's lock, and only it marks rows
-- sent. A parked row and the later rows of its key are left out (outbox_parked).
SELECT id, request_id, message_key, request, traceparent, created_date
  FROM action_request_outbox o
 WHERE sent_date IS NULL
   AND id > COALESCE(%(after)s, 0)
   AND NOT EXISTS (SELECT 1 FROM outbox_parked p
                    WHERE p.outbox = 'action-requests' AND p.parked_date IS NOT NULL
                      AND p.message_key = o.message_key AND p.row_id <= o.id)
 ORDER BY id
 LIMIT %(limit)s;

-- name: mark_sent
UPDATE action_request_outbox
   SET sent_date = now()
 WHERE id = ANY (%(ids)s::BIGINT[])
   AND sent_date IS NULL;

-- name: mark_dropped
-- An operator gave up on a parked row (`provisioning outbox drop`): it counts as sent.
UPDATE action_request_outbox SET sent_date = now() WHERE id = %(id)s AND sent_date IS NULL
RETURNING id;

-- name: count_unsent
SELECT count(*) AS unsent FROM action_request_outbox WHERE sent_date IS NULL;
