-- Triggers on outbox.
--   trg_10_notify   AFTER INSERT   NOTIFY outbox (wakes the relay)

CREATE OR REPLACE TRIGGER trg_10_notify AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_notify();
