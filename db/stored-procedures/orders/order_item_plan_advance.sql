-- AFTER UPDATE OF status_id on orders.order_item_plan: a completed plan may
-- release the item's next stage; a failed plan means the item's plans not yet
-- requested never will be, so they fail too, naming the plan that failed.
CREATE OR REPLACE FUNCTION orders.order_item_plan_advance()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_status TEXT;
BEGIN
    SELECT name INTO v_status FROM orders.order_item_plan_status WHERE id = NEW.status_id;
    IF v_status NOT IN ('completed', 'failed') THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM orders.order_item WHERE id = NEW.order_item_id FOR UPDATE;
    IF v_status = 'completed' THEN
        PERFORM orders.release_plans(NEW.order_item_id);
    ELSE
        UPDATE orders.order_item_plan p
           SET status_id = tc_id_from_name('orders.order_item_plan_status', 'failed'),
               result_message = format('not requested: plan %s (%s) failed', NEW.id, NEW.action)
         WHERE p.order_item_id = NEW.order_item_id
           AND p.requested_date IS NULL
           AND p.request IS NOT NULL
           AND p.status_id = tc_id_from_name('orders.order_item_plan_status', 'new');
    END IF;
    RETURN NULL;
END;
$$;
