-- AFTER INSERT OR UPDATE OF status_id on orders.order_item_plan: derives the
-- item's status from its plans - any plan failed -> failed; all completed
-- -> complete; any processing or completed -> processing; else new. Locks
-- the item first so concurrent plan updates of one item serialise and the
-- last one sees all committed plan statuses.
CREATE OR REPLACE FUNCTION orders.order_item_plan_rollup()
RETURNS TRIGGER
LANGUAGE plpgsql
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_total      INT;
    v_failed     INT;
    v_completed  INT;
    v_processing INT;
    v_status     TEXT;
BEGIN
    PERFORM 1 FROM orders.order_item WHERE id = NEW.order_item_id FOR UPDATE;
    SELECT count(*),
           count(*) FILTER (WHERE s.name = 'failed'),
           count(*) FILTER (WHERE s.name = 'completed'),
           count(*) FILTER (WHERE s.name = 'processing')
      INTO v_total, v_failed, v_completed, v_processing
      FROM orders.order_item_plan p
      JOIN orders.order_item_plan_status s ON s.id = p.status_id
     WHERE p.order_item_id = NEW.order_item_id;
    v_status := CASE
        WHEN v_failed > 0 THEN 'failed'
        WHEN v_completed = v_total THEN 'complete'
        WHEN v_processing + v_completed > 0 THEN 'processing'
        ELSE 'new'
    END;
    UPDATE orders.order_item
       SET status_id = tc_id_from_name('orders.order_item_status', v_status)
     WHERE id = NEW.order_item_id
       AND status_id <> tc_id_from_name('orders.order_item_status', v_status);
    RETURN NULL;
END;
$$;
