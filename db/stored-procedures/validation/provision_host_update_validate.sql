-- BEFORE INSERT on provision_host_update: the host must exist at the
-- accreditation and be held by the tenant_customer (PV006), with no other
-- pending request (PV005); the new addresses as for a create (PV008): an
-- in-zone host (one with a superordinate domain) needs at least one, a host
-- outside the accreditation's TLDs none. Derives host_id.
CREATE OR REPLACE FUNCTION provision_host_update_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_host host;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('host', NEW.accreditation_id::TEXT || ':' || NEW.name);
    v_host := provision_find_host(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id, TG_TABLE_NAME);
    PERFORM provision_check_host_free(NEW.accreditation_id, NEW.name, TG_TABLE_NAME);
    NEW.host_id := v_host.id;

    NEW.addresses := provision_check_host_addresses(NEW.addresses, TG_TABLE_NAME);
    IF v_host.domain_id IS NOT NULL AND cardinality(NEW.addresses) = 0 THEN
        RAISE EXCEPTION 'addresses: host % is in-zone (under a domain of this accreditation), so it needs at least one address',
            quote_literal(NEW.name)
            USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = TG_TABLE_NAME;
    END IF;
    IF v_host.domain_id IS NULL AND cardinality(NEW.addresses) > 0 THEN
        RAISE EXCEPTION 'addresses must be empty: host % is outside the TLDs of this accreditation',
            quote_literal(NEW.name)
            USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
