-- AFTER INSERT on provision_host: job provision_host with
-- {..base, name, addresses[] (text), domain (superordinate domain name or
-- null for a host outside the accreditation's TLDs)}.
CREATE OR REPLACE FUNCTION provision_host_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'create', 'host') || jsonb_build_object(
            'name',      NEW.name,
            'addresses', to_jsonb(ARRAY(SELECT host(a) FROM unnest(NEW.addresses) a)),
            'domain',    (SELECT name FROM domain WHERE id = NEW.domain_id)));
    RETURN NEW;
END;
$$;
