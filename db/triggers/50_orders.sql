-- Triggers of the orders schema: plan status rolls up into the item, item
-- status into the order.
--   trg_20_touch     BEFORE UPDATE                       updated_date
--   trg_30_advance   AFTER UPDATE OF status_id (plans)   release the next stage / fail the unrequested
--   trg_40_rollup    AFTER INSERT OR UPDATE OF status_id roll the status up one level
--   trg_50_order_status AFTER UPDATE OF status_id (plans) the order-status event, once the order is final

CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON orders."order"
    FOR EACH ROW EXECUTE FUNCTION orders.touch_updated_date();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON orders.order_item
    FOR EACH ROW EXECUTE FUNCTION orders.touch_updated_date();
CREATE OR REPLACE TRIGGER trg_20_touch BEFORE UPDATE ON orders.order_item_plan
    FOR EACH ROW EXECUTE FUNCTION orders.touch_updated_date();

CREATE OR REPLACE TRIGGER trg_30_advance AFTER UPDATE OF status_id ON orders.order_item_plan
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION orders.order_item_plan_advance();
CREATE OR REPLACE TRIGGER trg_40_rollup AFTER INSERT OR UPDATE OF status_id ON orders.order_item_plan
    FOR EACH ROW EXECUTE FUNCTION orders.order_item_plan_rollup();
CREATE OR REPLACE TRIGGER trg_40_rollup AFTER INSERT OR UPDATE OF status_id ON orders.order_item
    FOR EACH ROW EXECUTE FUNCTION orders.order_item_rollup();
-- after the roll-up, so the order's status is already the plan's doing
CREATE OR REPLACE TRIGGER trg_50_order_status AFTER UPDATE OF status_id ON orders.order_item_plan
    FOR EACH ROW WHEN (OLD.status_id IS DISTINCT FROM NEW.status_id)
    EXECUTE FUNCTION orders.order_item_plan_emit_status();
