-- Named queries for the provision tables. The inserts are ingest's batch
-- statements (db/queries/ingest.sql); a request that fails validation is recorded
-- with reject.

-- name: reject
-- Record a request that failed validation as a failed outcome; idempotent by
-- request_id; returns the outcome's event_id.
SELECT provision_reject(%(request_id)s::UUID, %(tenant_customer_id)s::UUID, %(action)s, %(message)s, %(sqlstate)s, %(message_key)s,
                        %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s) AS event_id;

-- name: get_by_request_id
-- The provision row (any provision table) of a request, with its status.
SELECT p.tableoid::REGCLASS::TEXT AS action,
       p.id,
       p.request_id,
       p.tenant_customer_id,
       p.accreditation_id,
       s.name AS status,
       p.job_id,
       p.attempt_count,
       p.roid,
       p.provisioned_date,
       p.result_message,
       p.result_data,
       p.order_item_plan_ids,
       p.order_metadata,
       p.traceparent
  FROM class.provision p
  JOIN provision_status s ON s.id = p.status_id
 WHERE p.request_id = %(request_id)s::UUID;

-- name: get_rejection
SELECT * FROM provision_rejection WHERE request_id = %(request_id)s::UUID;
