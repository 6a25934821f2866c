-- BEFORE INSERT on provision_domain_transfer (transfer in): name syntax,
-- TLD served (PV003), period within the TLD's transfer rules (PV004), auth
-- code present (PV008), the domain not already held by this tenant_customer
-- through this accreditation and no pending request (PV005), not in
-- redemption nor transfer-locked when known here (PV007).
-- Derives accreditation_tld_id and domain_id (when the name is known);
-- NULL period means the TLD's transfer_period_min.
CREATE OR REPLACE FUNCTION provision_domain_transfer_validate()
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

    NEW.period := COALESCE(NEW.period, v_at.transfer_period_min);
    PERFORM provision_check_period(NEW.period, 'period', v_at.transfer_period_min, v_at.transfer_period_max, v_at.tld_name);

    IF NULLIF(NEW.pw, '') IS NULL THEN
        RAISE EXCEPTION 'pw (the auth code) is required for a transfer'
            USING ERRCODE = 'PV008', COLUMN = 'pw', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.pw := provision_check_pw(NEW.pw, 'pw');

    PERFORM domain_end_redemption(NEW.name);  -- a redemption that is over frees the name
    SELECT * INTO v_domain FROM domain WHERE name = NEW.name AND status <> 'deleted';
    IF FOUND THEN
        IF v_domain.tenant_customer_id = NEW.tenant_customer_id
           AND v_domain.accreditation_tld_id = v_at.id THEN
            RAISE EXCEPTION 'domain % (name) is already held by this tenant_customer', quote_literal(NEW.name)
                USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = TG_TABLE_NAME;
        END IF;
        PERFORM provision_check_domain_state(v_domain, 'a transfer', 'clientTransferProhibited', TG_TABLE_NAME);
        NEW.domain_id := v_domain.id;
    ELSE
        NEW.domain_id := NULL;
    END IF;

    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);
    RETURN NEW;
END;
$$;
