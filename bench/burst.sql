-- The burst benchmark's baseline (bench/burst.py): how far the run's domain
-- creates got.

-- name: provisions
-- Completed and failed provisions of the requests whose metadata names the run.
SELECT count(*) FILTER (WHERE s.name = 'completed') AS completed,
       count(*) FILTER (WHERE s.name = 'failed') AS failed
  FROM provision_domain p
  JOIN provision_status s ON s.id = p.status_id
 WHERE p.order_metadata ->> 'run' = %(run)s
