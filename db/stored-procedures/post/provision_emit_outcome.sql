-- AFTER UPDATE OF status_id on every provision table: when the provision
-- reaches a final status (completed or failed), or pending_action (the
-- registry answered "pending": not final, the order keeps waiting), writes
-- its outcome to the outbox in the same transaction (at most one per
-- provision and status). What it writes
-- is bounded, so every outcome can be published: the message at most 2000
-- characters, result data over 64 KiB replaced by a note of its size.
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
    IF NOT v_status.is_final AND v_status.name <> 'pending_action' THEN
        RETURN NULL;
    END IF;
    INSERT INTO outbox (request_id, provision_id, action, status, order_item_plan_ids,
                        result_message, result_data, message_key, traceparent)
    VALUES (NEW.request_id, NEW.id, TG_TABLE_NAME, v_status.name, NEW.order_item_plan_ids,
            left(NEW.result_message, 2000),
            CASE WHEN octet_length(NEW.result_data::TEXT) > 65536
                 THEN jsonb_build_object('truncated', TRUE, 'bytes', octet_length(NEW.result_data::TEXT))
                 ELSE NEW.result_data END,
            provision_message_key(TG_TABLE_NAME, to_jsonb(NEW)),
            NEW.traceparent)
    ON CONFLICT (provision_id, status) WHERE provision_id IS NOT NULL DO NOTHING;
    RETURN NULL;
END;
$$;
