-- The keys every job's data carries:
--   provision_id, provision_table, request_id, action, object,
--   accreditation (name), accreditation_id, tenant_customer_id,
--   order_metadata, traceparent.
-- Each <table>_job_data(row) adds its own keys to these. A single expression
-- with no subquery, so that the planner inlines it into its callers.
DROP FUNCTION IF EXISTS provision_job_base(TEXT, JSONB, TEXT, TEXT);
DROP FUNCTION IF EXISTS provision_job_base(TEXT, TEXT, TEXT, UUID, UUID, UUID, UUID, JSONB, TEXT);
CREATE OR REPLACE FUNCTION provision_job_base(
    p_table              TEXT,
    p_action             TEXT,
    p_object             TEXT,
    p_provision_id       UUID,
    p_request_id         UUID,
    p_accreditation      TEXT,
    p_accreditation_id   UUID,
    p_tenant_customer_id UUID,
    p_order_metadata     JSONB,
    p_traceparent        TEXT
)
RETURNS JSONB
LANGUAGE sql
STABLE
AS $$
    SELECT jsonb_build_object(
        'provision_id',       p_provision_id,
        'provision_table',    p_table,
        'request_id',         p_request_id,
        'action',             p_action,
        'object',             p_object,
        'accreditation',      p_accreditation,
        'accreditation_id',   p_accreditation_id,
        'tenant_customer_id', p_tenant_customer_id,
        'order_metadata',     COALESCE(p_order_metadata, 'null'::JSONB),
        'traceparent',        to_jsonb(p_traceparent))
$$;
