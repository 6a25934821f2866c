-- BEFORE INSERT trigger on every provision table, first in the chain
-- (trg_10_request_validate; the table's own provision_*_validate follows):
--   1. a request_id already recorded in this table, or already rejected by
--      provision_reject, is a duplicate: SQLSTATE 23505 (unique_violation),
--      never a validation failure;
--   2. columns the system owns (status, job, result, audit) are reset;
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
    v_exists BOOLEAN;
    v_event  UUID;
BEGIN
    IF NEW.request_id IS NULL THEN
        RAISE EXCEPTION 'request_id is required'
            USING ERRCODE = 'not_null_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME;
    END IF;
    -- a concurrent insert of the same request waits here until the first
    -- commits, and then sees it (READ COMMITTED: each statement a new snapshot)
    PERFORM provision_lock_object('request', NEW.request_id::TEXT);
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE request_id = $1)', TG_TABLE_SCHEMA, TG_TABLE_NAME)
       INTO v_exists
      USING NEW.request_id;
    IF v_exists THEN
        RAISE EXCEPTION 'duplicate request: request_id % already exists in %', NEW.request_id, TG_TABLE_NAME
            USING ERRCODE = 'unique_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME,
                  CONSTRAINT = TG_TABLE_NAME || '_request_id_idx';
    END IF;
    SELECT event_id INTO v_event FROM provision_rejection WHERE request_id = NEW.request_id;
    IF FOUND THEN
        RAISE EXCEPTION 'duplicate request: request_id % was already rejected (event_id %)', NEW.request_id, v_event
            USING ERRCODE = 'unique_violation', COLUMN = 'request_id', TABLE = TG_TABLE_NAME,
                  CONSTRAINT = 'provision_rejection_pkey';
    END IF;

    -- keys that are not columns of this table are ignored
    NEW := jsonb_populate_record(NEW, jsonb_build_object(
        'status_id',           tc_id_from_name('provision_status', 'pending'),
        'job_id',              NULL,
        'provisioned_date',    NULL,
        'roid',                NULL,
        'result_message',      NULL,
        'result_data',         NULL,
        'attempt_count',       0,
        'created_date',        now(),
        'created_by',          session_user,
        'updated_date',        now(),
        'updated_by',          session_user,
        'is_complete',         FALSE,
        'ry_created_date',     NULL,
        'ry_expiry_date',      NULL,
        'ry_transfered_date',  NULL,
        'redemption_end_date', NULL,
        'contact_id',          NULL,
        'host_id',             NULL,
        'certificate_id',      NULL
    ));

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
