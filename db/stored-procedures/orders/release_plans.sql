-- Put the next stage of an item's plans into the request outbox (and mark them
-- processing, which rolls up into the item and the order): the lowest
-- stage with plans not yet requested, once every plan of the stages before it
-- completed. Returns how many requests it wrote. Callers lock the item first
-- (order placement owns it; orders.order_item_plan_advance takes FOR UPDATE),
-- so two plans completing at once release the next stage once. Plans without a
-- request are published by whoever created them, and are left alone; so are
-- plans that failed without being requested (their order failed).
CREATE OR REPLACE FUNCTION orders.release_plans(p_order_item_id UUID)
RETURNS INT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_stage    INT;
    v_released INT;
BEGIN
    SELECT min(p.stage) INTO v_stage
      FROM orders.order_item_plan p
     WHERE p.order_item_id = p_order_item_id AND p.requested_date IS NULL AND p.request IS NOT NULL
       AND p.status_id = tc_id_from_name('orders.order_item_plan_status', 'new');
    IF v_stage IS NULL THEN
        RETURN 0;
    END IF;
    IF EXISTS (SELECT 1
                 FROM orders.order_item_plan p
                 JOIN orders.order_item_plan_status s ON s.id = p.status_id
                WHERE p.order_item_id = p_order_item_id
                  AND p.stage < v_stage
                  AND s.name <> 'completed') THEN
        RETURN 0;
    END IF;
    INSERT INTO orders.request_outbox (request_id, order_item_plan_id, message_key, request, traceparent)
    SELECT p.request_id, p.id, p.message_key, p.request, p.request ->> 'traceparent'
      FROM orders.order_item_plan p
     WHERE p.order_item_id = p_order_item_id
       AND p.stage = v_stage
       AND p.requested_date IS NULL
       AND p.request IS NOT NULL
       AND p.status_id = tc_id_from_name('orders.order_item_plan_status', 'new')
     ORDER BY p.position, p.created_date, p.id;
    GET DIAGNOSTICS v_released = ROW_COUNT;
    UPDATE orders.order_item_plan
       SET requested_date = now(),
           status_id = tc_id_from_name('orders.order_item_plan_status', 'processing')
     WHERE order_item_id = p_order_item_id AND stage = v_stage AND requested_date IS NULL
       AND request IS NOT NULL
       AND status_id = tc_id_from_name('orders.order_item_plan_status', 'new');
    IF v_released > 0 THEN
        PERFORM pg_notify('order_request_outbox', p_order_item_id::TEXT);
    END IF;
    RETURN v_released;
END;
$$;
