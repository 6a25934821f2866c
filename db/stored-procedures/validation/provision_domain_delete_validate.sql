-- BEFORE INSERT on provision_domain_delete: the domain must be held by the
-- tenant_customer (PV006), in status ok without clientDeleteProhibited
-- (PV007), without another pending request (PV005). The hosts under it
-- (deleted first, by child jobs: provision_create_child_jobs) may be named
-- by no other live domain (PV007).
-- Derives domain_id and accreditation_tld_id.
CREATE OR REPLACE FUNCTION provision_domain_delete_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_domain  domain;
    v_host    TEXT;
    v_users   TEXT[];
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    PERFORM provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.domain_id := v_domain.id;
    NEW.accreditation_tld_id := v_domain.accreditation_tld_id;

    PERFORM provision_check_domain_state(v_domain, 'a delete', 'clientDeleteProhibited', TG_TABLE_NAME);
    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);
    FOR v_host IN SELECT h.name FROM host h
                   WHERE h.domain_id = v_domain.id AND h.tenant_customer_id = NEW.tenant_customer_id
                   ORDER BY h.name LOOP
        v_users := provision_host_users(NEW.accreditation_id, v_host, v_domain.id);
        IF cardinality(v_users) > 0 THEN
            RAISE EXCEPTION 'domain % has the host % under it, which domain % names as a name server',
                quote_literal(NEW.name), quote_literal(v_host), array_to_string(v_users, ', ')
                USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;
