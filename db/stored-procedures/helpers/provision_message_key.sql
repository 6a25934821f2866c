-- The outbox message key of a provision row (given as JSONB): the order id
-- from order_metadata when present, else the object key
-- (domain:<name>, contact:<handle>, host:<name>, ssl:<common_name>); at most
-- 1000 characters, so a requester's order_id cannot make the outcome too big
-- to publish.
CREATE OR REPLACE FUNCTION provision_message_key(p_action TEXT, p_row JSONB)
RETURNS TEXT
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    v_order_id TEXT := left(NULLIF(p_row -> 'order_metadata' ->> 'order_id', ''), 1000);
BEGIN
    IF v_order_id IS NOT NULL THEN
        RETURN v_order_id;
    END IF;
    RETURN left(CASE
        WHEN p_action LIKE 'provision\_domain%' THEN 'domain:' || (p_row ->> 'name')
        WHEN p_action LIKE 'provision\_contact%' THEN 'contact:' || (p_row ->> 'handle')
        WHEN p_action LIKE 'provision\_host%' THEN 'host:' || (p_row ->> 'name')
        WHEN p_action = 'provision_ssl' THEN 'ssl:' || (p_row ->> 'common_name')
        ELSE p_action || ':' || COALESCE(p_row ->> 'id', p_row ->> 'request_id')
    END, 1000);
END;
$$;
