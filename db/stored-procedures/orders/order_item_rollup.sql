-- AFTER INSERT OR UPDATE OF status_id on orders.order_item: derives the
-- order's status from its items - any item failed -> failed; all complete
-- -> successful; any processing or complete -> processing; else created.
-- Locks the order first (see order_item_plan_rollup).
CREATE OR REPLACE FUNCTION orders.order_item_rollup()
RETURNS TRIGGER
LANGUAGE plpgsql
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_total      INT;
    v_failed     INT;
    v_complete   INT;
    v_processing INT;
    v_status     TEXT;
BEGIN
    PERFORM 1 FROM orders."order" WHERE id = NEW.order_id FOR UPDATE;
    SELECT count(*),
           count(*) FILTER (WHERE s.name = 'failed'),
           count(*) FILTER (WHERE s.name = 'complete'),
           count(*) FILTER (WHERE s.name = 'processing')
      INTO v_total, v_failed, v_complete, v_processing
      FROM orders.order_item i
      JOIN orders.order_item_status s ON s.id = i.status_id
     WHERE i.order_id = NEW.order_id;
    v_status := CASE
        WHEN v_failed > 0 THEN 'failed'
        WHEN v_complete = v_total THEN 'successful'
        WHEN v_processing + v_complete > 0 THEN 'processing'
        ELSE 'created'
    END;
    UPDATE orders."order"
       SET status_id = tc_id_from_name('orders.order_status', v_status)
     WHERE id = NEW.order_id
       AND status_id <> tc_id_from_name('orders.order_status', v_status);
    RETURN NULL;
END;
$$;
