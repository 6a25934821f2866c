-- BEFORE INSERT on provision_contact: handle syntax (PV008) and not already
-- used or pending at the accreditation (PV005); the fields as
-- provision_check_contact_field has them (PV008). NULL handle means a
-- generated one, NULL pw a generated one.
CREATE OR REPLACE FUNCTION provision_contact_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    NEW.handle := COALESCE(NULLIF(btrim(NEW.handle), ''), 'c' || substr(md5(gen_random_uuid()::TEXT), 1, 15));
    IF NEW.handle !~ '^[A-Za-z0-9][A-Za-z0-9_-]{2,15}$' THEN
        RAISE EXCEPTION 'handle % must be 3 to 16 letters, digits, ''-'' or ''_'' (starting with a letter or digit)',
            quote_literal(NEW.handle)
            USING ERRCODE = 'PV008', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;
    PERFORM provision_lock_object('contact', NEW.accreditation_id::TEXT || ':' || NEW.handle);
    IF EXISTS (SELECT 1 FROM contact WHERE accreditation_id = NEW.accreditation_id AND handle = NEW.handle) THEN
        RAISE EXCEPTION 'contact handle % already exists at this accreditation', quote_literal(NEW.handle)
            USING ERRCODE = 'PV005', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;
    PERFORM provision_check_contact_free(NEW.accreditation_id, NEW.handle, TG_TABLE_NAME);

    NEW.name           := provision_check_contact_field('name', NEW.name, TG_TABLE_NAME);
    NEW.organization   := provision_check_contact_field('organization', NEW.organization, TG_TABLE_NAME);
    NEW.email          := provision_check_contact_field('email', NEW.email, TG_TABLE_NAME);
    NEW.phone          := provision_check_contact_field('phone', NEW.phone, TG_TABLE_NAME);
    NEW.fax            := provision_check_contact_field('fax', NEW.fax, TG_TABLE_NAME);
    NEW.street1        := provision_check_contact_field('street1', NEW.street1, TG_TABLE_NAME);
    NEW.street2        := provision_check_contact_field('street2', NEW.street2, TG_TABLE_NAME);
    NEW.street3        := provision_check_contact_field('street3', NEW.street3, TG_TABLE_NAME);
    NEW.city           := provision_check_contact_field('city', NEW.city, TG_TABLE_NAME);
    NEW.state_province := provision_check_contact_field('state_province', NEW.state_province, TG_TABLE_NAME);
    NEW.postal_code    := provision_check_contact_field('postal_code', NEW.postal_code, TG_TABLE_NAME);
    NEW.country_code   := provision_check_contact_field('country_code', NEW.country_code, TG_TABLE_NAME);
    NEW.pw := provision_check_pw(COALESCE(NULLIF(NEW.pw, ''), tc_gen_password(16)), 'pw');
    RETURN NEW;
END;
$$;
