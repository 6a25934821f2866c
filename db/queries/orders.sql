-- Named queries for the order service (schema orders).

-- name: apply_outcome
-- TRUE when applied now, FALSE when the event was applied before.
SELECT orders.apply_outcome(%(event_id)s::UUID, %(plan_ids)s::UUID[], %(status)s,
                            %(message)s, %(data)s::JSONB) AS applied;

-- name: create_order
INSERT INTO orders."order" (tenant_customer_id, metadata)
VALUES (%(tenant_customer_id)s::UUID, COALESCE(%(metadata)s::JSONB, '{}'))
RETURNING id;

-- name: create_order_item
INSERT INTO orders.order_item (order_id, product, action, object_name)
VALUES (%(order_id)s::UUID, %(product)s, %(action)s, %(object_name)s)
RETURNING id;

-- name: create_order_item_plan
INSERT INTO orders.order_item_plan (order_item_id, action, request_id)
VALUES (%(order_item_id)s::UUID, %(action)s, %(request_id)s::UUID)
RETURNING id;

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
       s.name AS status,
       p.result_message,
       p.result_data
  FROM orders.order_item_plan p
  JOIN orders.order_item_plan_status s ON s.id = p.status_id
  JOIN orders.order_item i ON i.id = p.order_item_id
 WHERE i.order_id = %(order_id)s::UUID
 ORDER BY p.created_date, p.id;
