-- AFTER UPDATE OF status_id on every provision table: when the provision
-- reaches a final status (completed or failed), writes its outcome to the
-- outbox in the same transaction (at most one per provision).
CREATE OR REPLACE FUNCTION provision_emit_outcome()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_status provision_status;
BEGIN
    SELECT * INTO v_status FROM provision_status WHERE id = NEW.status_id;
    IF NOT v_status.is_final THEN
        RETURN NULL;
    END IF;
    INSERT INTO outbox (request_id, provision_id, action, status, order_item_plan_ids,
                        result_message, result_data, message_key, traceparent)
    VALUES (NEW.request_id, NEW.id, TG_TABLE_NAME, v_status.name, NEW.order_item_plan_ids,
            NEW.result_message, NEW.result_data, provision_message_key(TG_TABLE_NAME, to_jsonb(NEW)),
            NEW.traceparent)
    ON CONFLICT (provision_id) WHERE provision_id IS NOT NULL DO NOTHING;
    RETURN NULL;
END;
$$;
