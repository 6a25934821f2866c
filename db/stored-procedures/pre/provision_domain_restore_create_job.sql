-- AFTER INSERT on provision_domain_restore: job provision_domain_restore
-- with {..base, name, tld, roid, restore_report (object or null)}.
CREATE OR REPLACE FUNCTION provision_domain_restore_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'restore', 'domain') || jsonb_build_object(
            'name',           NEW.name,
            'tld',            (SELECT tld_name FROM v_accreditation_tld WHERE id = NEW.accreditation_tld_id),
            'roid',           (SELECT roid FROM domain WHERE id = NEW.domain_id),
            'restore_report', COALESCE(NEW.restore_report, 'null'::JSONB)));
    RETURN NEW;
END;
$$;
