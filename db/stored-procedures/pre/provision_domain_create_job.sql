-- AFTER INSERT on provision_domain: job provision_domain with
-- {..base, name, tld, period, auth_info, contacts{registrant, admin, tech,
-- billing}, nameservers[]}.
CREATE OR REPLACE FUNCTION provision_domain_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'create', 'domain') || jsonb_build_object(
            'name',        NEW.name,
            'tld',         (SELECT tld_name FROM v_accreditation_tld WHERE id = NEW.accreditation_tld_id),
            'period',      NEW.registration_period,
            'auth_info',   NEW.pw,
            'contacts',    jsonb_build_object(
                               'registrant', NEW.registrant,
                               'admin',      NEW.admin_contact,
                               'tech',       NEW.tech_contact,
                               'billing',    NEW.billing_contact),
            'nameservers', to_jsonb(NEW.nameservers)));
    RETURN NEW;
END;
$$;
