-- AFTER INSERT on provision_domain_update: job provision_domain_update with
-- {..base, name, tld, roid, changes{nameservers?, contacts?{registrant?,
-- admin?, tech?, billing?}, auth_info?, add_locks?, remove_locks?}} where
-- only the requested changes are present.
CREATE OR REPLACE FUNCTION provision_domain_update_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_contacts JSONB;
    v_changes  JSONB;
BEGIN
    v_contacts := jsonb_strip_nulls(jsonb_build_object(
        'registrant', NEW.registrant,
        'admin',      NEW.admin_contact,
        'tech',       NEW.tech_contact,
        'billing',    NEW.billing_contact));
    v_changes := jsonb_strip_nulls(jsonb_build_object(
        'nameservers',  to_jsonb(NEW.nameservers),
        'contacts',     NULLIF(v_contacts, '{}'::JSONB),
        'auth_info',    NEW.pw,
        'add_locks',    CASE WHEN cardinality(NEW.add_locks) > 0 THEN to_jsonb(NEW.add_locks) END,
        'remove_locks', CASE WHEN cardinality(NEW.remove_locks) > 0 THEN to_jsonb(NEW.remove_locks) END));
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'update', 'domain') || jsonb_build_object(
            'name',    NEW.name,
            'tld',     (SELECT tld_name FROM v_accreditation_tld WHERE id = NEW.accreditation_tld_id),
            'roid',    (SELECT roid FROM domain WHERE id = NEW.domain_id),
            'changes', v_changes));
    RETURN NEW;
END;
$$;
