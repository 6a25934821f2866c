-- BEFORE INSERT on provision_host: host name syntax (PV001); not already
-- existing or pending at the accreditation (PV005); addresses must be
-- single, distinct, usable host addresses (PV008). A host under a TLD the
-- accreditation serves (in-zone) needs its superordinate domain held by the
-- tenant_customer (PV006) and at least one address (PV008); a host outside
-- those TLDs must have no address (PV008). Derives domain_id.
CREATE OR REPLACE FUNCTION provision_host_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_at      v_accreditation_tld;
    v_parent  TEXT;
    v_domain  domain;
    v_acc     TEXT;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('host', NEW.accreditation_id::TEXT || ':' || NEW.name);
    IF EXISTS (SELECT 1 FROM host WHERE accreditation_id = NEW.accreditation_id AND name = NEW.name) THEN
        RAISE EXCEPTION 'host % (name) already exists at this accreditation', quote_literal(NEW.name)
            USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    PERFORM provision_check_host_free(NEW.accreditation_id, NEW.name, TG_TABLE_NAME);

    NEW.addresses := provision_check_host_addresses(NEW.addresses, TG_TABLE_NAME);

    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name, 'name', FALSE, FALSE);
    IF v_at.id IS NOT NULL THEN
        -- in-zone: the superordinate domain is the label just above the TLD
        v_parent := left(NEW.name, length(NEW.name) - length(v_at.tld_name) - 1);
        v_parent := regexp_replace(v_parent, '^.*\.', '') || '.' || v_at.tld_name;
        SELECT * INTO v_domain FROM domain WHERE name = v_parent AND status <> 'deleted';
        IF NOT FOUND OR v_domain.tenant_customer_id <> NEW.tenant_customer_id THEN
            RAISE EXCEPTION 'host % (name) is under domain %, which is not held by tenant_customer_id %',
                quote_literal(NEW.name), quote_literal(v_parent), NEW.tenant_customer_id
                USING ERRCODE = 'PV006', COLUMN = 'name', TABLE = TG_TABLE_NAME;
        END IF;
        IF cardinality(NEW.addresses) = 0 THEN
            RAISE EXCEPTION 'addresses: host % is under .%, served by this accreditation, so it needs at least one address',
                quote_literal(NEW.name), v_at.tld_name
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = TG_TABLE_NAME;
        END IF;
        NEW.domain_id := v_domain.id;
    ELSE
        IF cardinality(NEW.addresses) > 0 THEN
            SELECT name INTO v_acc FROM accreditation WHERE id = NEW.accreditation_id;
            RAISE EXCEPTION 'addresses must be empty: host % is outside the TLDs of accreditation %',
                quote_literal(NEW.name), quote_literal(v_acc)
                USING ERRCODE = 'PV008', COLUMN = 'addresses', TABLE = TG_TABLE_NAME;
        END IF;
        NEW.domain_id := NULL;
    END IF;
    RETURN NEW;
END;
$$;
