-- AFTER INSERT on provision_contact: job provision_contact with
-- {..base, handle, name, organization, email, phone, fax,
-- address{street[], city, state_province, postal_code, country_code},
-- auth_info}.
CREATE OR REPLACE FUNCTION provision_contact_create_job()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.job_id := provision_job_create(TG_TABLE_NAME, NEW.id,
        provision_job_base(TG_TABLE_NAME, to_jsonb(NEW), 'create', 'contact') || jsonb_build_object(
            'handle',       NEW.handle,
            'name',         NEW.name,
            'organization', NEW.organization,
            'email',        NEW.email,
            'phone',        NEW.phone,
            'fax',          NEW.fax,
            'address',      jsonb_build_object(
                                'street',         to_jsonb(ARRAY(SELECT s FROM unnest(ARRAY[NEW.street1, NEW.street2, NEW.street3]) s
                                                                 WHERE s IS NOT NULL)),
                                'city',           NEW.city,
                                'state_province', NEW.state_province,
                                'postal_code',    NEW.postal_code,
                                'country_code',   NEW.country_code),
            'auth_info',    NEW.pw));
    RETURN NEW;
END;
$$;
