-- AFTER INSERT on provision_ssl: job provision_ssl with
-- {..base, common_name, sans[], csr_pem, key_type, validity_days,
-- validation_method}.
CREATE OR REPLACE FUNCTION provision_ssl_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'create', 'ssl') || jsonb_build_object(
            'common_name',       NEW.common_name,
            'sans',              to_jsonb(NEW.sans),
            'csr_pem',           NEW.csr_pem,
            'key_type',          NEW.key_type,
            'validity_days',     NEW.validity_days,
            'validation_method', NEW.validation_method));
    RETURN NEW;
END;
$$;
