-- Fails every plan of the order that was never requested (status new, not in
-- the request outbox), with p_message as its reason: they never will be. Used
-- when a plan of the order failed (orders.order_item_plan_advance) and when an
-- order fails at placing, before anything was requested (producers/orders.py).
-- Plans already requested keep going and get their own outcome. Returns how
-- many plans it failed; the roll-up fails their items and the order.
CREATE OR REPLACE FUNCTION orders.fail_unrequested(p_order_id UUID, p_message TEXT)
RETURNS INT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_failed INT;
BEGIN
    UPDATE orders.order_item_plan p
       SET status_id = tc_id_from_name('orders.order_item_plan_status', 'failed'),
           result_message = p_message
      FROM orders.order_item i
     WHERE i.id = p.order_item_id
       AND i.order_id = p_order_id
       AND p.requested_date IS NULL
       AND p.status_id = tc_id_from_name('orders.order_item_plan_status', 'new');
    GET DIAGNOSTICS v_failed = ROW_COUNT;
    RETURN v_failed;
END;
$$;

REVOKE ALL ON FUNCTION orders.fail_unrequested(UUID, TEXT) FROM PUBLIC;
