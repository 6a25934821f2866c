-- The demo's progress and summary (provisioning/demo.py), for one run's orders
-- and requests.

-- name: orders_by_status
SELECT s.name AS status, count(*) AS orders
  FROM orders."order" o
  JOIN orders.order_status s ON s.id = o.status_id
 WHERE o.id = ANY(%(order_ids)s::UUID[])
 GROUP BY s.name
 ORDER BY s.name

-- name: provisions_by_type_and_status
SELECT p.tableoid::regclass::TEXT AS provision, s.name AS status, count(*) AS provisions
  FROM class.provision p
  JOIN provision_status s ON s.id = p.status_id
 WHERE p.request_id = ANY(%(request_ids)s::UUID[])
 GROUP BY 1, 2
 UNION ALL
SELECT r.action, 'rejected', count(*)
  FROM provision_rejection r
 WHERE r.request_id = ANY(%(request_ids)s::UUID[])
 GROUP BY 1, 2
 ORDER BY 1, 2

-- name: unfinished_requests
-- Requests of the run not yet final: neither rejected nor a provision in a final status.
SELECT count(*) AS unfinished
  FROM unnest(%(request_ids)s::UUID[]) AS r(request_id)
 WHERE NOT EXISTS (SELECT 1 FROM provision_rejection x WHERE x.request_id = r.request_id)
   AND NOT EXISTS (SELECT 1
                     FROM class.provision p
                     JOIN provision_status s ON s.id = p.status_id
                    WHERE p.request_id = r.request_id AND s.is_final)

-- name: order_request_ids
SELECT p.request_id
  FROM orders.order_item_plan p
  JOIN orders.order_item i ON i.id = p.order_item_id
 WHERE i.order_id = ANY(%(order_ids)s::UUID[])
