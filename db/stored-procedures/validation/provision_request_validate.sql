-- BEFORE INSERT trigger on every provision table, first in the chain
-- (trg_10_request_validate; the table's own provision_*_validate follows):
--   1. a request_id already recorded (request_ids: as a provision of any
--      table, or rejected by provision_reject) is a duplicate: SQLSTATE 23505
--      (unique_violation), never a validation failure;
--   2. columns the system owns (id, status, job, result, audit) are reset,
--      and the row gets the id of the job created after the statement; the
--      id is the backend's idempotency key, so no requester may choose it;
--   3. tenant_customer and accreditation are checked (PV002),
--      order_metadata must be a JSON object (PV008), an invalid
--      traceparent is dropped (W3C: ignore, do not fail).
CREATE OR REPLACE FUNCTION provision_request_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_table  TEXT;
    v_event  UUID;
    v_pending UUID;
BEGIN
    IF NEW.request_id IS NULL THEN
        RAISE EXCEPTION 'request_id is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME;
    END IF;
    -- request_id is the idempotency key of a request, whatever its action:
    -- recording it in request_ids is the check. A concurrent insert of the same
    -- request waits here until the first commits, and then finds it.
    INSERT INTO request_ids (request_id, recorded_as) VALUES (NEW.request_id, TG_TABLE_NAME)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT i.recorded_as INTO v_table FROM request_ids i WHERE i.request_id = NEW.request_id;
        IF v_table = 'rejection' THEN
            SELECT r.event_id INTO v_event FROM provision_rejection r WHERE r.request_id = NEW.request_id;
            RAISE EXCEPTION 'duplicate request: request_id % was already rejected (event_id %)', NEW.request_id, v_event
                USING ERRCODE = 'unique_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME,
                      CONSTRAINT = 'provision_rejection_pkey';
        END IF;
        RAISE EXCEPTION 'duplicate request: request_id % already exists in %', NEW.request_id, v_table
            USING ERRCODE = 'unique_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME,
                  CONSTRAINT = TG_TABLE_NAME || '_request_id_idx';
    END IF;
    SELECT s.id INTO v_pending FROM provision_status s WHERE s.name = 'pending';

    -- keys that are not columns of this table are ignored
    -- System columns start from scratch whatever the inserter sent. Direct
    -- assignments: PL/pgSQL compiles a trigger function per table, so a branch
    -- naming a column another table lacks is never run for that table.
    NEW.id               := gen_random_uuid();
    NEW.status_id        := v_pending;
    -- the job provision_create_jobs inserts after the statement
    NEW.job_id           := gen_random_uuid();
    NEW.provisioned_date := NULL;
    NEW.roid             := NULL;
    NEW.result_message   := NULL;
    NEW.result_data      := NULL;
    NEW.attempt_count    := 0;
    NEW.created_date     := now();
    NEW.created_by       := session_user;
    NEW.updated_date     := now();
    NEW.updated_by       := session_user;
    CASE TG_TABLE_NAME
        WHEN 'provision_domain' THEN
            NEW.is_complete := FALSE;
            NEW.ry_created_date := NULL;
            NEW.ry_expiry_date := NULL;
        WHEN 'provision_domain_renew', 'provision_domain_restore' THEN
            NEW.ry_expiry_date := NULL;
        WHEN 'provision_domain_transfer' THEN
            NEW.ry_created_date := NULL;
            NEW.ry_expiry_date := NULL;
            NEW.ry_transfered_date := NULL;
        WHEN 'provision_domain_delete' THEN
            NEW.redemption_end_date := NULL;
        WHEN 'provision_contact' THEN
            NEW.contact_id := NULL;
        WHEN 'provision_host' THEN
            NEW.host_id := NULL;
        WHEN 'provision_ssl' THEN
            NEW.certificate_id := NULL;
        ELSE
            NULL;
    END CASE;

    PERFORM provision_check_parties(
        NEW.tenant_customer_id,
        NEW.accreditation_id,
        CASE WHEN TG_TABLE_NAME = 'provision_ssl' THEN 'certificate_authority' ELSE 'registry' END,
        TG_TABLE_NAME);

    IF NEW.order_metadata IS NOT NULL AND jsonb_typeof(NEW.order_metadata) <> 'object' THEN
        RAISE EXCEPTION 'order_metadata must be a JSON object, not %', jsonb_typeof(NEW.order_metadata)
            USING ERRCODE = 'PV008', COLUMN = 'order_metadata', TABLE = TG_TABLE_NAME;
    END IF;
    IF NEW.order_item_plan_ids IS NOT NULL AND array_position(NEW.order_item_plan_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'order_item_plan_ids must not contain NULL'
            USING ERRCODE = 'PV008', COLUMN = 'order_item_plan_ids', TABLE = TG_TABLE_NAME;
    END IF;
    IF NEW.traceparent IS NOT NULL
       AND NEW.traceparent !~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' THEN
        NEW.traceparent := NULL;
    END IF;
    RETURN NEW;
END;
$$;
