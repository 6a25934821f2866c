-- The keys every job's data carries:
--   provision_id, provision_table, request_id, action, object,
--   accreditation (name), accreditation_id, tenant_customer_id,
--   order_metadata, traceparent.
CREATE OR REPLACE FUNCTION provision_job_base(
    p_table  TEXT,
    p_row    JSONB,
    p_action TEXT,
    p_object TEXT
)
RETURNS JSONB
LANGUAGE plpgsql
STABLE
AS $$
BEGIN
    RETURN jsonb_build_object(
        'provision_id',       p_row -> 'id',
        'provision_table',    p_table,
        'request_id',         p_row -> 'request_id',
        'action',             p_action,
        'object',             p_object,
        'accreditation',      (SELECT name FROM accreditation WHERE id = (p_row ->> 'accreditation_id')::UUID),
        'accreditation_id',   p_row -> 'accreditation_id',
        'tenant_customer_id', p_row -> 'tenant_customer_id',
        'order_metadata',     COALESCE(p_row -> 'order_metadata', 'null'::JSONB),
        'traceparent',        COALESCE(p_row -> 'traceparent', 'null'::JSONB));
END;
$$;
