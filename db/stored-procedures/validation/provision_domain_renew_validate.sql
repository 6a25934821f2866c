-- BEFORE INSERT on provision_domain_renew: the domain must be held by the
-- tenant_customer (PV006), in status ok without clientRenewProhibited
-- (PV007), without another pending request (PV005); period within the
-- TLD's renewal rules and the new expiry within max_years_to_expiry (PV004);
-- current_expiry_date, when given, must match the domain's expiry date (UTC
-- date) (PV007). Derives domain_id, accreditation_tld_id, and
-- current_expiry_date when NULL; NULL period means 1.
CREATE OR REPLACE FUNCTION provision_domain_renew_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_at         v_accreditation_tld;
    v_domain     domain;
    v_expiry     DATE;
    v_new_expiry TIMESTAMPTZ;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.domain_id := v_domain.id;
    NEW.accreditation_tld_id := v_domain.accreditation_tld_id;

    PERFORM provision_check_domain_state(v_domain, 'a renew', 'clientRenewProhibited', TG_TABLE_NAME);
    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);

    NEW.period := COALESCE(NEW.period, 1);
    PERFORM provision_check_period(NEW.period, 'period', v_at.renewal_period_min, v_at.renewal_period_max, v_at.tld_name);

    v_expiry := (v_domain.ry_expiry_date AT TIME ZONE 'UTC')::DATE;
    IF NEW.current_expiry_date IS NULL THEN
        NEW.current_expiry_date := v_expiry;
    ELSIF NEW.current_expiry_date IS DISTINCT FROM v_expiry THEN
        RAISE EXCEPTION 'current_expiry_date % does not match the expiry date % of domain %',
            NEW.current_expiry_date, v_expiry, quote_literal(NEW.name)
            USING ERRCODE = 'PV007', COLUMN = 'current_expiry_date', TABLE = TG_TABLE_NAME;
    END IF;

    v_new_expiry := v_domain.ry_expiry_date + make_interval(years => NEW.period);
    IF v_new_expiry > now() + make_interval(years => v_at.max_years_to_expiry) THEN
        RAISE EXCEPTION 'period % would move the expiry of % to %, more than % years from now (the limit for .%)',
            NEW.period, quote_literal(NEW.name), (v_new_expiry AT TIME ZONE 'UTC')::DATE,
            v_at.max_years_to_expiry, v_at.tld_name
            USING ERRCODE = 'PV004', COLUMN = 'period', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
