-- AFTER UPDATE OF status_id on orders.order_item_plan: a completed plan may
-- release the item's next stage; a failed plan fails the whole order, so the
-- order's plans not yet requested (of every item) never will be: they fail
-- too, naming the plan that failed and its reason (orders.fail_unrequested).
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
        -- the whole order fails: no plan of it not yet requested ever will be
        PERFORM orders.fail_unrequested(
            (SELECT order_id FROM orders.order_item WHERE id = NEW.order_item_id),
            format('not requested: plan %s (%s) failed', NEW.id, NEW.action)
                || COALESCE(': ' || NEW.result_message, ''));
    END IF;
    RETURN NULL;
END;
$$;
