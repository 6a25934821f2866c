-- The latency benchmark's figures (bench/latency.py), from the timestamps the
-- pipeline records: per hop and placed -> final, in ms, for the orders whose
-- metadata names the run.

-- name: hops
-- One row per plan of the run's orders: the instant of each hop (NULL where a
-- plan did not get that far). placed: the order's transaction; published: the
-- relay marked the request sent (Kafka acknowledged it); recorded: ingest's
-- transaction; claimed: the executor's claim; completed: the job's end;
-- outcome: the relay marked the outcome sent; applied: the order service
-- processed the outcome; final: the order's last update.
SELECT o.id AS order_id,
       p.stage,
       o.created_date                   AS placed,
       ro.sent_date                     AS published,
       pr.created_date                  AS recorded,
       j.claimed_date                   AS claimed,
       j.end_date                       AS completed,
       ob.sent_date                     AS outcome,
       pe.processed_date                AS applied,
       o.updated_date                   AS final
  FROM orders."order" o
  JOIN orders.order_item i        ON i.order_id = o.id
  JOIN orders.order_item_plan p   ON p.order_item_id = i.id
  LEFT JOIN orders.request_outbox ro ON ro.request_id = p.request_id
  LEFT JOIN (SELECT request_id, job_id, created_date FROM provision_domain
             UNION ALL
             SELECT request_id, job_id, created_date FROM provision_contact) pr
         ON pr.request_id = p.request_id
  LEFT JOIN job j                 ON j.id = pr.job_id
  LEFT JOIN outbox ob             ON ob.request_id = p.request_id
  LEFT JOIN orders.processed_event pe ON pe.event_id = ob.event_id
 WHERE o.metadata ->> 'run' = %(run)s
