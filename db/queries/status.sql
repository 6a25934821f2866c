-- Named queries of `provisioning status` (provisioning/status.py): counts an
-- operator reads to see where work is waiting. Each scans its table once; on a
-- large history prefer the Prometheus metrics for dashboards and run these on
-- demand.

-- name: outbox_backlog
-- Unsent rows of every outbox (the partial indexes on id WHERE sent_date IS
-- NULL keep this cheap) and the age of the oldest one, in seconds.
-- parked: rows the relay gave up on (outbox_parked; `provisioning outbox list`).
SELECT 'outcomes' AS outbox,
       count(*) AS unsent,
       EXTRACT(EPOCH FROM now() - min(created_date))::DOUBLE PRECISION AS oldest_unsent_seconds,
       (SELECT count(*) FROM outbox_parked
         WHERE outbox = 'outcomes' AND parked_date IS NOT NULL) AS parked
  FROM outbox
 WHERE sent_date IS NULL
UNION ALL
SELECT 'order-requests',
       count(*),
       EXTRACT(EPOCH FROM now() - min(created_date))::DOUBLE PRECISION,
       (SELECT count(*) FROM outbox_parked
         WHERE outbox = 'order-requests' AND parked_date IS NOT NULL)
  FROM orders.request_outbox
 WHERE sent_date IS NULL
UNION ALL
SELECT 'action-requests',
       count(*),
       EXTRACT(EPOCH FROM now() - min(created_date))::DOUBLE PRECISION,
       (SELECT count(*) FROM outbox_parked
         WHERE outbox = 'action-requests' AND parked_date IS NOT NULL)
  FROM action_request_outbox
 WHERE sent_date IS NULL
UNION ALL
SELECT 'order-status',
       count(*),
       EXTRACT(EPOCH FROM now() - min(created_date))::DOUBLE PRECISION,
       (SELECT count(*) FROM outbox_parked
         WHERE outbox = 'order-status' AND parked_date IS NOT NULL)
  FROM orders.status_outbox
 WHERE sent_date IS NULL;

-- name: jobs_by_type_and_status
SELECT t.name AS type,
       s.name AS status,
       count(*) AS count
  FROM job j
  JOIN job_type t ON t.id = j.type_id
  JOIN job_status s ON s.id = j.status_id
 GROUP BY t.name, s.name
 ORDER BY t.name, s.name;

-- name: provisions_by_type_and_status
-- Every provision table at once, through their parent class.provision.
SELECT p.tableoid::REGCLASS::TEXT AS type,
       s.name AS status,
       count(*) AS count
  FROM class.provision p
  JOIN provision_status s ON s.id = p.status_id
 GROUP BY 1, 2
 ORDER BY 1, 2;

-- name: rejections_by_action
-- Requests refused by validation: they have no provision row, only a failed
-- outcome in the outbox.
SELECT action AS type,
       count(*) AS count
  FROM provision_rejection
 GROUP BY action
 ORDER BY action;

-- name: orders_by_status
SELECT s.name AS status,
       count(*) AS count
  FROM orders."order" o
  JOIN orders.order_status s ON s.id = o.status_id
 GROUP BY s.name
 ORDER BY s.name;
