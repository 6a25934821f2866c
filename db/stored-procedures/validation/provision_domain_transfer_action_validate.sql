-- BEFORE INSERT on provision_domain_transfer_action: op is cancel or reject
-- (PV008); name syntax and TLD served (PV003).
--   cancel: a transfer in of the name by this tenant_customer through this
--           accreditation waits in pending_action (PV007 otherwise); derives
--           transfer_id.
--   reject: the domain is held by the tenant_customer through the
--           accreditation (PV006) in status ok (PV007); derives domain_id.
-- Whether the registry has a transfer pending is the registry's to say (a
-- reject of nothing fails at the job). Derives accreditation_tld_id.
CREATE OR REPLACE FUNCTION provision_domain_transfer_action_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_at      v_accreditation_tld;
    v_domain  domain;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    NEW.accreditation_tld_id := v_at.id;
    NEW.transfer_id := NULL;
    NEW.domain_id := NULL;

    IF NEW.op IS NULL OR NEW.op NOT IN ('cancel', 'reject') THEN
        RAISE EXCEPTION 'op must be cancel or reject, not %', quote_nullable(NEW.op)
            USING ERRCODE = 'PV008', COLUMN = 'op', TABLE = TG_TABLE_NAME;
    END IF;

    IF NEW.op = 'cancel' THEN
        SELECT p.id INTO NEW.transfer_id
          FROM provision_domain_transfer p
         WHERE p.name = NEW.name
           AND p.tenant_customer_id = NEW.tenant_customer_id
           AND p.accreditation_id = NEW.accreditation_id
           AND p.status_id = tc_id_from_name('provision_status', 'pending_action')
         ORDER BY p.created_date DESC
         LIMIT 1;
        IF NEW.transfer_id IS NULL THEN
            RAISE EXCEPTION 'no transfer of % (name) by this tenant_customer is pending', quote_literal(NEW.name)
                USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
        END IF;
    ELSE
        v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
        PERFORM provision_check_domain_state(v_domain, 'a transfer reject', NULL, TG_TABLE_NAME);
        NEW.domain_id := v_domain.id;
    END IF;
    RETURN NEW;
END;
$$;
