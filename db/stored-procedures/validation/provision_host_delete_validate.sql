-- BEFORE INSERT on provision_host_delete: the host must exist at the
-- accreditation and be held by the tenant_customer (PV006), with no other
-- pending request (PV005), and no live domain of the accreditation may name
-- it as a name server (PV007, naming up to three of them). Derives host_id.
CREATE OR REPLACE FUNCTION provision_host_delete_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_host  host;
    v_users TEXT[];
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('host', NEW.accreditation_id::TEXT || ':' || NEW.name);
    v_host := provision_find_host(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id, TG_TABLE_NAME);
    PERFORM provision_check_host_free(NEW.accreditation_id, NEW.name, TG_TABLE_NAME);
    v_users := provision_host_users(NEW.accreditation_id, NEW.name);
    IF cardinality(v_users) > 0 THEN
        RAISE EXCEPTION 'host % (name) is in use: domain % names it as a name server',
            quote_literal(NEW.name), array_to_string(v_users, ', ')
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.host_id := v_host.id;
    RETURN NEW;
END;
$$;
