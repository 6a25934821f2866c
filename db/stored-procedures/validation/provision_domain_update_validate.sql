-- BEFORE INSERT on provision_domain_update: the domain must be held by the
-- tenant_customer (PV006), in status ok (PV007), without another pending
-- request (PV005); at least one change; nameservers, contacts, pw and locks
-- valid (PV001/PV006/PV008); a domain with clientUpdateProhibited can only
-- be changed by a request that removes that lock (PV007).
-- new_hosts (glue: {"ns1.<name>": ["192.0.2.1", ...]}) names hosts under the
-- domain that nameservers lists and that do not exist yet, each with its
-- addresses (PV005/PV008); child jobs create them before the update.
-- NULL columns mean "unchanged". Derives domain_id and accreditation_tld_id.
CREATE OR REPLACE FUNCTION provision_domain_update_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    c_locks   CONSTANT TEXT[] := ARRAY['clientTransferProhibited', 'clientUpdateProhibited',
                                       'clientDeleteProhibited', 'clientRenewProhibited', 'clientHold'];
    v_at      v_accreditation_tld;
    v_domain  domain;
    v_bad     TEXT;
    v_glue    JSONB := '{}';
    g         RECORD;
    v_host    TEXT;
    v_addrs   INET[];
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.domain_id := v_domain.id;
    NEW.accreditation_tld_id := v_domain.accreditation_tld_id;

    PERFORM provision_check_domain_state(v_domain, 'an update', NULL, TG_TABLE_NAME);
    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);

    NEW.add_locks := COALESCE(NEW.add_locks, '{}');
    NEW.remove_locks := COALESCE(NEW.remove_locks, '{}');
    NEW.pw := provision_check_pw(NULLIF(NEW.pw, ''), 'pw');
    NEW.registrant := provision_check_contact(NEW.registrant, 'registrant', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.admin_contact := provision_check_contact(NEW.admin_contact, 'admin_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.tech_contact := provision_check_contact(NEW.tech_contact, 'tech_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.billing_contact := provision_check_contact(NEW.billing_contact, 'billing_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.nameservers := provision_check_nameservers(NEW.nameservers, 'nameservers',
        v_at.nameservers_min, v_at.nameservers_max, v_at.tld_name);

    IF NEW.new_hosts IS NOT NULL AND NEW.new_hosts <> '{}'::JSONB THEN
        IF jsonb_typeof(NEW.new_hosts) <> 'object' THEN
            RAISE EXCEPTION 'new_hosts must be an object of host name to addresses'
                USING ERRCODE = 'PV008', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
        END IF;
        FOR g IN SELECT key, value FROM jsonb_each(NEW.new_hosts) LOOP
            v_host := tc_normalize_fqdn(g.key, 'new_hosts');
            IF NEW.nameservers IS NULL OR NOT (v_host = ANY (NEW.nameservers)) THEN
                RAISE EXCEPTION 'new_hosts: % is not among nameservers', quote_literal(v_host)
                    USING ERRCODE = 'PV008', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
            END IF;
            IF right(v_host, length(NEW.name) + 1) <> '.' || NEW.name THEN
                RAISE EXCEPTION 'new_hosts: % is not under domain %', quote_literal(v_host), quote_literal(NEW.name)
                    USING ERRCODE = 'PV008', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
            END IF;
            PERFORM provision_lock_object('host', NEW.accreditation_id::TEXT || ':' || v_host);
            IF EXISTS (SELECT 1 FROM host WHERE accreditation_id = NEW.accreditation_id AND name = v_host COLLATE "default") THEN
                RAISE EXCEPTION 'new_hosts: host % already exists at this accreditation', quote_literal(v_host)
                    USING ERRCODE = 'PV005', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
            END IF;
            PERFORM provision_check_host_free(NEW.accreditation_id, v_host, TG_TABLE_NAME);
            IF jsonb_typeof(g.value) <> 'array' OR jsonb_array_length(g.value) = 0 THEN
                RAISE EXCEPTION 'new_hosts: host % needs a list of at least one address', quote_literal(v_host)
                    USING ERRCODE = 'PV008', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
            END IF;
            BEGIN
                v_addrs := ARRAY(SELECT jsonb_array_elements_text(g.value))::INET[];
            EXCEPTION WHEN invalid_text_representation THEN
                RAISE EXCEPTION 'new_hosts: host % has an address that is not an IP address', quote_literal(v_host)
                    USING ERRCODE = 'PV008', COLUMN = 'new_hosts', TABLE = TG_TABLE_NAME;
            END;
            v_addrs := provision_check_host_addresses(v_addrs, TG_TABLE_NAME);
            v_glue := v_glue || jsonb_build_object(v_host, to_jsonb(ARRAY(SELECT host(a) FROM unnest(v_addrs) a)));
        END LOOP;
    END IF;
    NEW.new_hosts := NULLIF(v_glue, '{}'::JSONB);

    IF NEW.nameservers IS NULL AND NEW.registrant IS NULL AND NEW.admin_contact IS NULL
       AND NEW.tech_contact IS NULL AND NEW.billing_contact IS NULL AND NEW.pw IS NULL
       AND cardinality(NEW.add_locks) = 0 AND cardinality(NEW.remove_locks) = 0 THEN
        RAISE EXCEPTION 'no change requested: give nameservers, a contact, pw, add_locks or remove_locks'
            USING ERRCODE = 'PV008', TABLE = TG_TABLE_NAME;
    END IF;

    SELECT string_agg(quote_literal(l), ', ') INTO v_bad FROM unnest(NEW.add_locks) l WHERE l IS NULL OR l <> ALL (c_locks);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'add_locks: % not one of %', v_bad, array_to_string(c_locks, ', ')
            USING ERRCODE = 'PV008', COLUMN = 'add_locks', TABLE = TG_TABLE_NAME;
    END IF;
    SELECT string_agg(quote_literal(l), ', ') INTO v_bad FROM unnest(NEW.remove_locks) l WHERE l IS NULL OR l <> ALL (c_locks);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'remove_locks: % not one of %', v_bad, array_to_string(c_locks, ', ')
            USING ERRCODE = 'PV008', COLUMN = 'remove_locks', TABLE = TG_TABLE_NAME;
    END IF;
    IF NEW.add_locks && NEW.remove_locks THEN
        RAISE EXCEPTION 'add_locks and remove_locks both name %',
            array_to_string(ARRAY(SELECT unnest(NEW.add_locks) INTERSECT SELECT unnest(NEW.remove_locks)), ', ')
            USING ERRCODE = 'PV008', COLUMN = 'add_locks', TABLE = TG_TABLE_NAME;
    END IF;
    IF 'clientUpdateProhibited' = ANY (v_domain.locks)
       AND NOT ('clientUpdateProhibited' = ANY (NEW.remove_locks)) THEN
        RAISE EXCEPTION 'domain % has the lock clientUpdateProhibited; remove it (remove_locks) to change the domain',
            quote_literal(NEW.name)
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
