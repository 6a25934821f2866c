-- The addresses of a host (provision_host, provision_host_update): at most 13,
-- each a single usable unicast host address, none twice (PV008). Returns the
-- list; NULL gives the empty list.
CREATE OR REPLACE FUNCTION provision_check_host_addresses(p_addresses INET[], p_table TEXT)
RETURNS INET[]
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    v_addr INET;
    v_seen INET[] := '{}';
BEGIN
    IF cardinality(p_addresses) > 13 THEN
        RAISE EXCEPTION 'addresses has % entries; the limit is 13', cardinality(p_addresses)
            USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = p_table;
    END IF;
    FOREACH v_addr IN ARRAY COALESCE(p_addresses, '{}') LOOP
        IF v_addr IS NULL THEN
            RAISE EXCEPTION 'addresses must not contain NULL'
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = p_table;
        END IF;
        IF masklen(v_addr) <> (CASE family(v_addr) WHEN 4 THEN 32 ELSE 128 END) THEN
            RAISE EXCEPTION 'addresses: % is a network, not a single host address', v_addr::TEXT
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = p_table;
        END IF;
        IF host(v_addr) IN ('0.0.0.0', '::', '255.255.255.255')
           OR v_addr << '127.0.0.0/8'::INET OR v_addr = '::1'::INET
           OR v_addr << '224.0.0.0/4'::INET OR v_addr << 'ff00::/8'::INET THEN
            RAISE EXCEPTION 'addresses: % is not a usable unicast address', host(v_addr)
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = p_table;
        END IF;
        IF v_addr = ANY (v_seen) THEN
            RAISE EXCEPTION 'addresses lists % twice', host(v_addr)
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = p_table;
        END IF;
        v_seen := v_seen || v_addr;
    END LOOP;
    RETURN COALESCE(p_addresses, '{}');
END;
$$;
