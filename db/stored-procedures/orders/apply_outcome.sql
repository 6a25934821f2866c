-- Applies one outcome event to the order_item_plans it names, once:
-- idempotent by p_event_id (orders.processed_event). Returns applied = FALSE -
-- and changes nothing - when the event was already applied, TRUE otherwise.
-- p_status is the outcome's provision status: completed -> plan completed,
-- failed -> plan failed, pending/processing/pending_action -> plan
-- processing; plan status names are accepted too. Plans already final are
-- left alone. Plan changes roll up into the item and the order
-- (order_item_plan_rollup, order_item_rollup).
--
-- An outcome changes only the plans that asked for it: a named plan is
-- refused - returned in `refused`, never changed - unless its request_id is
-- the outcome's request_id and its order belongs to the tenant_customer the
-- request was recorded for (the provision's, or the rejection's). So a
-- request that names another order's plans cannot fail or complete them.
CREATE OR REPLACE FUNCTION orders.apply_outcome(
    p_event_id   UUID,
    p_request_id UUID,
    p_plan_ids   UUID[],
    p_status     TEXT,
    p_message    TEXT,
    p_data       JSONB,
    OUT applied  BOOLEAN,
    OUT refused  UUID[]
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_plan_status TEXT;
    v_plan_id     UUID;
    v_tenant      UUID;
BEGIN
    refused := '{}';
    IF p_event_id IS NULL THEN
        RAISE EXCEPTION 'apply_outcome: p_event_id is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_plan_status := CASE p_status
        WHEN 'completed'      THEN 'completed'
        WHEN 'failed'         THEN 'failed'
        WHEN 'pending'        THEN 'processing'
        WHEN 'processing'     THEN 'processing'
        WHEN 'pending_action' THEN 'processing'
    END;
    IF v_plan_status IS NULL THEN
        RAISE EXCEPTION 'apply_outcome: unknown status %', quote_nullable(p_status)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    INSERT INTO orders.processed_event (event_id, plan_ids, status)
    VALUES (p_event_id, COALESCE(p_plan_ids, '{}'), p_status)
    ON CONFLICT (event_id) DO NOTHING;
    IF NOT FOUND THEN
        applied := FALSE;
        RETURN;
    END IF;
    applied := TRUE;

    -- the tenant_customer the request was recorded for
    v_tenant := COALESCE(
        (SELECT pr.tenant_customer_id FROM class.provision pr WHERE pr.request_id = p_request_id LIMIT 1),
        (SELECT rj.tenant_customer_id FROM provision_rejection rj WHERE rj.request_id = p_request_id));

    SELECT COALESCE(array_agg(id ORDER BY id), '{}') INTO refused
      FROM (SELECT DISTINCT id FROM unnest(COALESCE(p_plan_ids, '{}')) AS id) named
     WHERE p_request_id IS NULL
        OR NOT EXISTS (
            SELECT 1
              FROM orders.order_item_plan p
              JOIN orders.order_item i ON i.id = p.order_item_id
              JOIN orders."order" o ON o.id = i.order_id
             WHERE p.id = named.id
               AND p.request_id = p_request_id
               -- NULL: a rejection recorded before rejections kept their tenant
               AND (v_tenant IS NULL OR o.tenant_customer_id = v_tenant));

    -- one plan at a time, in id order, so concurrent events lock rows in
    -- the same order
    FOR v_plan_id IN
        SELECT DISTINCT id FROM unnest(COALESCE(p_plan_ids, '{}')) AS id
         WHERE id <> ALL (refused)
         ORDER BY id
    LOOP
        UPDATE orders.order_item_plan p
           SET status_id = tc_id_from_name('orders.order_item_plan_status', v_plan_status),
               result_message = COALESCE(p_message, p.result_message),
               result_data = COALESCE(p_data, p.result_data)
         WHERE p.id = v_plan_id
           AND p.status_id IN (SELECT id FROM orders.order_item_plan_status WHERE NOT is_final)
           AND p.status_id <> tc_id_from_name('orders.order_item_plan_status', v_plan_status);
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION orders.apply_outcome(UUID, UUID, UUID[], TEXT, TEXT, JSONB) FROM PUBLIC;
