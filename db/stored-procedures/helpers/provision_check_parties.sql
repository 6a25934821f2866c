-- Checks who asks and through what: the tenant_customer and the
-- accreditation must exist, belong to the same tenant, the accreditation must
-- be active and of the right service type. Raises PV002.
CREATE OR REPLACE FUNCTION provision_check_parties(
    p_tenant_customer_id UUID,
    p_accreditation_id   UUID,
    p_service_type       TEXT,
    p_action             TEXT
)
RETURNS VOID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_tc_tenant  UUID;
    v_acc_tenant UUID;
    v_acc_name   TEXT;
    v_acc_active BOOLEAN;
    v_acc_type   TEXT;
BEGIN
    IF p_tenant_customer_id IS NULL THEN
        RAISE EXCEPTION 'tenant_customer_id is required'
            USING ERRCODE = 'PV002', COLUMN = 'tenant_customer_id';
    END IF;
    -- both rows in one statement (each by its primary key)
    SELECT tc.tenant_id, a.tenant_id, a.name, a.is_active, a.service_type
      INTO v_tc_tenant, v_acc_tenant, v_acc_name, v_acc_active, v_acc_type
      FROM (SELECT 1) AS one
      LEFT JOIN tenant_customer tc ON tc.id = p_tenant_customer_id
      LEFT JOIN accreditation a ON a.id = p_accreditation_id;
    IF v_tc_tenant IS NULL THEN
        RAISE EXCEPTION 'tenant_customer_id % does not exist', p_tenant_customer_id
            USING ERRCODE = 'PV002', COLUMN = 'tenant_customer_id';
    END IF;
    IF p_accreditation_id IS NULL THEN
        RAISE EXCEPTION 'accreditation_id is required'
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF v_acc_name IS NULL THEN
        RAISE EXCEPTION 'accreditation_id % does not exist', p_accreditation_id
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF v_acc_tenant <> v_tc_tenant THEN
        RAISE EXCEPTION 'accreditation % does not belong to the tenant of tenant_customer_id %',
            quote_literal(v_acc_name), p_tenant_customer_id
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF NOT v_acc_active THEN
        RAISE EXCEPTION 'accreditation % is not active', quote_literal(v_acc_name)
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    IF v_acc_type <> p_service_type THEN
        RAISE EXCEPTION 'accreditation % is a % accreditation; % needs a % accreditation',
            quote_literal(v_acc_name), v_acc_type, p_action, p_service_type
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
END;
$$;
