-- AFTER INSERT on provision_domain_renew: job provision_domain_renew with
-- {..base, name, tld, roid, period, current_expiry_date (YYYY-MM-DD)}.
CREATE OR REPLACE FUNCTION provision_domain_renew_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'renew', 'domain') || jsonb_build_object(
            'name',                NEW.name,
            'tld',                 (SELECT tld_name FROM v_accreditation_tld WHERE id = NEW.accreditation_tld_id),
            'roid',                (SELECT roid FROM domain WHERE id = NEW.domain_id),
            'period',              NEW.period,
            'current_expiry_date', to_char(NEW.current_expiry_date, 'YYYY-MM-DD')));
    RETURN NEW;
END;
$$;
