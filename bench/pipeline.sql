-- The end-to-end benchmark's polls: which orders (candidate) and which domain
-- provisions (baseline) are final. Each round has its own database, so every
-- final row is one the round placed (the poller leaves out the warm-up).

-- name: final_orders
-- Orders whose status is final (successful or failed), with that status.
SELECT o.id::TEXT AS id, s.name AS status
  FROM orders."order" o
  JOIN orders.order_status s ON s.id = o.status_id
 WHERE s.is_final

-- name: final_provisions
-- Domain provisions whose status is final (completed or failed), by request_id.
SELECT p.request_id::TEXT AS id, s.name AS status
  FROM provision_domain p
  JOIN provision_status s ON s.id = p.status_id
 WHERE s.is_final
