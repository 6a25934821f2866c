-- Named queries for the order service (schema orders).

-- name: apply_outcome
-- applied: TRUE when applied now, FALSE when the event was applied before;
-- refused: the named plans that did not ask for this request (left unchanged).
SELECT a.applied, a.refused
  FROM orders.apply_outcome(%(event_id)s::UUID, %(request_id)s::UUID, %(plan_ids)s::UUID[],
                            %(status)s, %(message)s, %(data)s::JSONB) AS a;

-- name: create_order
-- id: optional (the caller may choose it, e.g. to reference it in requests).
INSERT INTO orders."order" (id, tenant_customer_id, metadata)
VALUES (COALESCE(%(id)s::UUID, gen_random_uuid()), %(tenant_customer_id)s::UUID,
        COALESCE(%(metadata)s::JSONB, '{}'))
RETURNING id;

-- name: create_order_item
-- created_date: the clock, not the transaction's start, so an order's items keep
-- the order they were placed in (order_status and the order-status event list them so).
INSERT INTO orders.order_item (id, order_id, product, action, object_name, created_date)
VALUES (COALESCE(%(id)s::UUID, gen_random_uuid()), %(order_id)s::UUID, %(product)s, %(action)s,
        %(object_name)s, clock_timestamp())
RETURNING id;

-- name: create_order_item_plan
INSERT INTO orders.order_item_plan (id, order_item_id, action, request_id, stage, position, request,
                                    message_key)
VALUES (COALESCE(%(id)s::UUID, gen_random_uuid()), %(order_item_id)s::UUID, %(action)s,
        %(request_id)s::UUID, COALESCE(%(stage)s::INT, 1), COALESCE(%(position)s::INT, 0),
        %(request)s::JSONB, %(message_key)s)
RETURNING id;

-- name: release_plans
-- Put the item's first stage (or the next, when the one before completed) into
-- the request outbox; returns how many requests were written.
SELECT orders.release_plans(%(order_item_id)s::UUID) AS released;

-- name: get_order_status
SELECT o.id,
       s.name AS status,
       o.created_date,
       o.updated_date
  FROM orders."order" o
  JOIN orders.order_status s ON s.id = o.status_id
 WHERE o.id = %(order_id)s::UUID;

-- name: get_order_items
SELECT i.id,
       i.product,
       i.action,
       i.object_name,
       s.name AS status
  FROM orders.order_item i
  JOIN orders.order_item_status s ON s.id = i.status_id
 WHERE i.order_id = %(order_id)s::UUID
 ORDER BY i.created_date, i.id;

-- name: get_order_item_plans
SELECT p.id,
       p.order_item_id,
       p.action,
       p.request_id,
       p.stage,
       p.requested_date,
       s.name AS status,
       p.result_message,
       p.result_data
  FROM orders.order_item_plan p
  JOIN orders.order_item_plan_status s ON s.id = p.status_id
  JOIN orders.order_item i ON i.id = p.order_item_id
 WHERE i.order_id = %(order_id)s::UUID
 ORDER BY i.created_date, i.id, p.position, p.created_date, p.id;

-- name: apply_outcomes
-- A batch of outcomes, in offset order (`ord`); one row per outcome: applied
-- now (TRUE) or before (FALSE), and the plans refused (see orders.apply_outcome).
-- %(rows)s: JSON array of {ord, event_id, request_id, plan_ids, status, message, data}.
SELECT r.event_id, r.request_id, a.applied, a.refused
  FROM (SELECT *
          FROM jsonb_to_recordset(%(rows)s::JSONB)
            AS x(ord INT, event_id UUID, request_id UUID, plan_ids UUID[], status TEXT,
                 message TEXT, data JSONB)
         ORDER BY x.ord) AS r
  CROSS JOIN LATERAL orders.apply_outcome(r.event_id, r.request_id, r.plan_ids, r.status,
                                          r.message, r.data) AS a


-- name: unavailable_domains
-- The names of %(names)s that cannot be registered now, with the reason (held,
-- pending, or being registered by another order).
SELECT u.name, u.reason FROM orders.unavailable_domains(%(names)s::TEXT[]) AS u;

-- name: fail_unrequested
-- Fail the order's plans not yet requested, with %(message)s as the reason.
SELECT orders.fail_unrequested(%(order_id)s::UUID, %(message)s) AS failed;

-- name: get_order_status_event
-- The order's OrderStatus event, once it was written (orders.emit_order_status).
SELECT event_id, order_id, event, created_date, sent_date
  FROM orders.status_outbox
 WHERE order_id = %(order_id)s::UUID;
