-- Shared by the benchmarks that run every component (bench/components.py).

-- name: unfinished
-- Orders whose metadata names the run and that are not final yet.
SELECT count(*) AS n
  FROM orders."order" o
  JOIN orders.order_status s ON s.id = o.status_id
 WHERE o.metadata ->> 'run' = %(run)s AND NOT s.is_final
