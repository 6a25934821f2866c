-- BEFORE INSERT on provision_domain (create): name syntax, TLD served,
-- registration_period within the TLD's rules, name neither registered nor
-- pending, auth code, contacts known, nameservers valid.
-- Derives accreditation_tld_id; NULL registration_period means 1, NULL pw a
-- generated one.
CREATE OR REPLACE FUNCTION provision_domain_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_at      v_accreditation_tld;
    v_held    domain;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    NEW.accreditation_tld_id := v_at.id;

    NEW.registration_period := COALESCE(NEW.registration_period, 1);
    PERFORM provision_check_period(NEW.registration_period, 'registration_period',
        v_at.registration_period_min, LEAST(v_at.registration_period_max, v_at.max_years_to_expiry),
        v_at.tld_name);

    -- one probe of the live name: held → refused, unless a redemption that is over
    -- (then it ends here and frees the name)
    SELECT * INTO v_held FROM domain WHERE name = NEW.name AND status <> 'deleted';
    IF FOUND THEN
        IF v_held.status = 'redemption' AND v_held.redemption_end_date <= now() THEN
            PERFORM domain_end_redemption(NEW.name);
        ELSE
            RAISE EXCEPTION 'domain % (name) is already registered', quote_literal(NEW.name)
                USING ERRCODE = 'PV005', COLUMN = 'name', TABLE = TG_TABLE_NAME;
        END IF;
    END IF;
    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);

    NEW.pw := provision_check_pw(COALESCE(NEW.pw, tc_gen_password(16)), 'pw');
    NEW.registrant := provision_check_contact(NEW.registrant, 'registrant', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.admin_contact := provision_check_contact(NEW.admin_contact, 'admin_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.tech_contact := provision_check_contact(NEW.tech_contact, 'tech_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.billing_contact := provision_check_contact(NEW.billing_contact, 'billing_contact', NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.nameservers := provision_check_nameservers(COALESCE(NEW.nameservers, '{}'), 'nameservers',
        v_at.nameservers_min, v_at.nameservers_max, v_at.tld_name);
    RETURN NEW;
END;
$$;
