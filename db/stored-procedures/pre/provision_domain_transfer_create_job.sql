-- AFTER INSERT on provision_domain_transfer: job provision_domain_transfer
-- with {..base, name, tld, period, auth_info}.
CREATE OR REPLACE FUNCTION provision_domain_transfer_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'transfer_in', 'domain') || jsonb_build_object(
            'name',      NEW.name,
            'tld',       (SELECT tld_name FROM v_accreditation_tld WHERE id = NEW.accreditation_tld_id),
            'period',    NEW.period,
            'auth_info', NEW.pw));
    RETURN NEW;
END;
$$;
