-- AFTER INSERT on outbox: wakes the relay (LISTEN outbox). The payload is
-- empty, so notifications of one transaction collapse into one.
CREATE OR REPLACE FUNCTION outbox_notify()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;
