-- Records a request that failed validation (a PV% error on insert) as a
-- failed outcome in the outbox (provision_id NULL), so the requester - e.g.
-- the order service - learns about it. Idempotent by request_id: a second
-- call writes nothing and returns the first event_id. For a request_id that
-- was accepted as a provision, writes nothing and returns that provision's
-- outcome event_id (NULL while it is not final).
-- message_key: order_metadata->>'order_id' when present, else p_message_key,
-- else '<action>:<request_id>'. p_tenant_customer_id: the tenant_customer the
-- request named (not checked: it may be why the request failed); the order
-- service applies the outcome only to that tenant's plans.
CREATE OR REPLACE FUNCTION provision_reject(
    p_request_id          UUID,
    p_tenant_customer_id  UUID,
    p_action              TEXT,
    p_message             TEXT,
    p_sqlstate            TEXT,
    p_message_key         TEXT,
    p_order_item_plan_ids UUID[],
    p_order_metadata      JSONB,
    p_traceparent         TEXT
)
RETURNS UUID
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_event_id UUID := gen_random_uuid();
    -- bounded, like every outcome (provision_emit_outcome)
    v_message  TEXT := left(COALESCE(NULLIF(p_message, ''), 'request failed validation'), 2000);
    v_key      TEXT;
BEGIN
    IF p_request_id IS NULL THEN
        RAISE EXCEPTION 'provision_reject: p_request_id is required'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NULLIF(p_action, '') IS NULL THEN
        RAISE EXCEPTION 'provision_reject: p_action is required'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- recorded before: as a rejection, its event; as a provision, its outcome's
    INSERT INTO request_ids (request_id, recorded_as) VALUES (p_request_id, 'rejection')
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        IF (SELECT recorded_as FROM request_ids WHERE request_id = p_request_id) = 'rejection' THEN
            RETURN (SELECT event_id FROM provision_rejection WHERE request_id = p_request_id);
        END IF;
        RETURN (SELECT event_id FROM outbox WHERE request_id = p_request_id ORDER BY id LIMIT 1);
    END IF;

    INSERT INTO provision_rejection (request_id, tenant_customer_id, action, event_id, sqlstate, message)
    VALUES (p_request_id, p_tenant_customer_id, p_action, v_event_id, p_sqlstate, v_message)
    ON CONFLICT (request_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN (SELECT event_id FROM provision_rejection WHERE request_id = p_request_id);
    END IF;

    v_key := left(COALESCE(NULLIF(p_order_metadata ->> 'order_id', ''),
                           NULLIF(p_message_key, ''),
                           p_action || ':' || p_request_id::TEXT), 1000);
    INSERT INTO outbox (event_id, request_id, provision_id, action, status, order_item_plan_ids,
                        result_message, result_data, message_key, traceparent)
    VALUES (v_event_id, p_request_id, NULL, p_action, 'failed', p_order_item_plan_ids,
            v_message,
            jsonb_build_object('reason', 'validation', 'sqlstate', p_sqlstate, 'message', v_message),
            v_key, p_traceparent);
    RETURN v_event_id;
END;
$$;

REVOKE ALL ON FUNCTION provision_reject(UUID, UUID, TEXT, TEXT, TEXT, TEXT, UUID[], JSONB, TEXT) FROM PUBLIC;
