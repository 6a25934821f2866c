-- BEFORE INSERT on provision_domain_delete: the domain must be held by the
-- tenant_customer (PV006), in status ok without clientDeleteProhibited
-- (PV007), without another pending request (PV005).
-- Derives domain_id and accreditation_tld_id.
CREATE OR REPLACE FUNCTION provision_domain_delete_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_domain  domain;
    v_pending TEXT;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    PERFORM provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.domain_id := v_domain.id;
    NEW.accreditation_tld_id := v_domain.accreditation_tld_id;

    IF v_domain.status <> 'ok' THEN
        RAISE EXCEPTION 'domain % is in status %; a delete needs status ok', quote_literal(NEW.name), v_domain.status
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    IF 'clientDeleteProhibited' = ANY (v_domain.locks) THEN
        RAISE EXCEPTION 'domain % has the lock clientDeleteProhibited', quote_literal(NEW.name)
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    v_pending := provision_domain_pending(NEW.name);
    IF v_pending IS NOT NULL THEN
        RAISE EXCEPTION 'domain % (name) already has a pending % request', quote_literal(NEW.name), v_pending
            USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
