-- Writes the order's OrderStatus event into orders.status_outbox once the
-- order is final (successful or failed) and none of its plans is still
-- running: a plan requested before another one failed still gets its
-- outcome, and the event waits for it so that it reports how every plan
-- ended. At most once per order (UNIQUE order_id): returns TRUE when it wrote
-- the event now. Locks the order first, so the transactions finishing an
-- order's last plans check one after the other and the last one sees them all.
CREATE OR REPLACE FUNCTION orders.emit_order_status(p_order_id UUID)
RETURNS BOOLEAN
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_order  orders."order";
    v_status orders.order_status;
BEGIN
    SELECT * INTO v_order FROM orders."order" WHERE id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    SELECT * INTO v_status FROM orders.order_status WHERE id = v_order.status_id;
    IF NOT v_status.is_final THEN
        RETURN FALSE;
    END IF;
    IF EXISTS (SELECT 1
                 FROM orders.order_item_plan p
                 JOIN orders.order_item i ON i.id = p.order_item_id
                 JOIN orders.order_item_plan_status s ON s.id = p.status_id
                WHERE i.order_id = p_order_id AND NOT s.is_final) THEN
        RETURN FALSE;
    END IF;
    INSERT INTO orders.status_outbox (order_id, message_key, event, traceparent)
    SELECT v_order.id,
           v_order.id::TEXT,
           jsonb_build_object(
               'tenant_customer_id', v_order.tenant_customer_id,
               'status', v_status.name,
               'metadata', v_order.metadata,
               'plans', COALESCE((
                   SELECT jsonb_agg(jsonb_build_object(
                              'plan_id', p.id,
                              'order_item_id', i.id,
                              'product', i.product,
                              'item_action', i.action,
                              'object_name', i.object_name,
                              'action', p.action,
                              'stage', p.stage,
                              'status', s.name,
                              'request_id', CASE WHEN p.requested_date IS NOT NULL THEN p.request_id END,
                              'message', p.result_message)
                            ORDER BY i.created_date, i.id, p.position, p.id)
                     FROM orders.order_item_plan p
                     JOIN orders.order_item i ON i.id = p.order_item_id
                     JOIN orders.order_item_plan_status s ON s.id = p.status_id
                    WHERE i.order_id = v_order.id), '[]'::JSONB)),
           (SELECT p.request ->> 'traceparent'
              FROM orders.order_item_plan p
              JOIN orders.order_item i ON i.id = p.order_item_id
             WHERE i.order_id = v_order.id AND p.request ->> 'traceparent' IS NOT NULL
             LIMIT 1)
    ON CONFLICT (order_id) DO NOTHING;
    IF NOT FOUND THEN
        RETURN FALSE;
    END IF;
    PERFORM pg_notify('order_status_outbox', p_order_id::TEXT);
    RETURN TRUE;
END;
$$;

REVOKE ALL ON FUNCTION orders.emit_order_status(UUID) FROM PUBLIC;
