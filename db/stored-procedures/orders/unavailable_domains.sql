-- The names of p_names that cannot be registered now, each with the reason:
-- held in the database (by anyone, in any status but deleted - a domain in
-- redemption is held), a request for it still pending, or another order not
-- yet final registering it. What placing an order checks before recording a
-- domain create (producers/orders.py), so the order fails before its contacts
-- and hosts are created; validation checks the same again when the request
-- arrives. p_names are normalised (lower case, no trailing dot).
CREATE OR REPLACE FUNCTION orders.unavailable_domains(p_names TEXT[])
RETURNS TABLE (name TEXT, reason TEXT)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = orders, public, pg_temp
AS $$
DECLARE
    v_name    TEXT;
    v_pending TEXT;
    v_order   UUID;
BEGIN
    FOREACH v_name IN ARRAY COALESCE(p_names, '{}') LOOP
        v_name := rtrim(lower(btrim(v_name)), '.');
        IF EXISTS (SELECT 1 FROM public.domain d WHERE d.name = v_name AND d.status <> 'deleted') THEN
            name := v_name;
            reason := format('domain %s is not available: it is registered', v_name);
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_pending := provision_domain_pending(v_name);
        IF v_pending IS NOT NULL THEN
            name := v_name;
            reason := format('domain %s is not available: a %s request for it is pending', v_name, v_pending);
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT o.id INTO v_order
          FROM orders.order_item i
          JOIN orders."order" o ON o.id = i.order_id
          JOIN orders.order_status s ON s.id = o.status_id
         WHERE i.object_name = v_name AND i.product = 'domain' AND i.action = 'create'
           AND NOT s.is_final
         LIMIT 1;
        IF v_order IS NOT NULL THEN
            name := v_name;
            reason := format('domain %s is not available: order %s is registering it', v_name, v_order);
            RETURN NEXT;
        END IF;
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION orders.unavailable_domains(TEXT[]) FROM PUBLIC;
