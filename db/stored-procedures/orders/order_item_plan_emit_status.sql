-- AFTER UPDATE OF status_id on orders.order_item_plan, after the roll-up: a
-- plan that reached a final status may have been the order's last one
-- (orders.emit_order_status writes its event, once).
CREATE OR REPLACE FUNCTION orders.order_item_plan_emit_status()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM orders.order_item_plan_status WHERE id = NEW.status_id AND is_final) THEN
        PERFORM orders.emit_order_status(i.order_id)
           FROM orders.order_item i
          WHERE i.id = NEW.order_item_id;
    END IF;
    RETURN NULL;
END;
$$;
