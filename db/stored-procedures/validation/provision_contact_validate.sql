-- BEFORE INSERT on provision_contact: handle syntax (PV008) and not already
-- used or pending at the accreditation (PV005); name, email and city
-- required; email, phone/fax (+CC.NUMBER) and country_code (ISO 3166-1
-- alpha-2, upper-cased here) syntax; field lengths (PV008). NULL handle
-- means a generated one, NULL pw a generated one.
CREATE OR REPLACE FUNCTION provision_contact_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_pending BOOLEAN;
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
    SELECT EXISTS (
        SELECT 1
          FROM provision_contact pc
          JOIN provision_status s ON s.id = pc.status_id
         WHERE pc.accreditation_id = NEW.accreditation_id
           AND pc.handle = NEW.handle
           AND NOT s.is_final) INTO v_pending;
    IF v_pending THEN
        RAISE EXCEPTION 'contact handle % already has a pending provision_contact request', quote_literal(NEW.handle)
            USING ERRCODE = 'PV005', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;

    NEW.name := NULLIF(btrim(NEW.name), '');
    IF NEW.name IS NULL THEN
        RAISE EXCEPTION 'name is required' USING ERRCODE = 'PV008', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    IF length(NEW.name) > 255 THEN
        RAISE EXCEPTION 'name is longer than 255 characters' USING ERRCODE = 'PV008', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.organization := NULLIF(btrim(NEW.organization), '');
    IF length(NEW.organization) > 255 THEN
        RAISE EXCEPTION 'organization is longer than 255 characters'
            USING ERRCODE = 'PV008', COLUMN = 'organization', TABLE = TG_TABLE_NAME;
    END IF;

    NEW.email := NULLIF(btrim(NEW.email), '');
    IF NEW.email IS NULL THEN
        RAISE EXCEPTION 'email is required' USING ERRCODE = 'PV008', COLUMN = 'email', TABLE = TG_TABLE_NAME;
    END IF;
    IF length(NEW.email) > 254
       OR NEW.email !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$' THEN
        RAISE EXCEPTION 'email % is not a valid address', quote_literal(NEW.email)
            USING ERRCODE = 'PV008', COLUMN = 'email', TABLE = TG_TABLE_NAME;
    END IF;

    NEW.phone := NULLIF(regexp_replace(NEW.phone, '\s', '', 'g'), '');
    IF NEW.phone !~ '^\+[0-9]{1,3}\.[0-9]{1,14}(x[0-9]{1,6})?$' THEN
        RAISE EXCEPTION 'phone % must look like +CC.NUMBER (e.g. +1.5555550100)', quote_literal(NEW.phone)
            USING ERRCODE = 'PV008', COLUMN = 'phone', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.fax := NULLIF(regexp_replace(NEW.fax, '\s', '', 'g'), '');
    IF NEW.fax !~ '^\+[0-9]{1,3}\.[0-9]{1,14}(x[0-9]{1,6})?$' THEN
        RAISE EXCEPTION 'fax % must look like +CC.NUMBER (e.g. +1.5555550101)', quote_literal(NEW.fax)
            USING ERRCODE = 'PV008', COLUMN = 'fax', TABLE = TG_TABLE_NAME;
    END IF;

    NEW.street1 := NULLIF(btrim(NEW.street1), '');
    NEW.street2 := NULLIF(btrim(NEW.street2), '');
    NEW.street3 := NULLIF(btrim(NEW.street3), '');
    IF length(NEW.street1) > 255 OR length(NEW.street2) > 255 OR length(NEW.street3) > 255 THEN
        RAISE EXCEPTION 'street1/street2/street3 may each hold at most 255 characters'
            USING ERRCODE = 'PV008', COLUMN = 'street1', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.city := NULLIF(btrim(NEW.city), '');
    IF NEW.city IS NULL THEN
        RAISE EXCEPTION 'city is required' USING ERRCODE = 'PV008', COLUMN = 'city', TABLE = TG_TABLE_NAME;
    END IF;
    IF length(NEW.city) > 255 THEN
        RAISE EXCEPTION 'city is longer than 255 characters' USING ERRCODE = 'PV008', COLUMN = 'city', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.state_province := NULLIF(btrim(NEW.state_province), '');
    IF length(NEW.state_province) > 255 THEN
        RAISE EXCEPTION 'state_province is longer than 255 characters'
            USING ERRCODE = 'PV008', COLUMN = 'state_province', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.postal_code := NULLIF(btrim(NEW.postal_code), '');
    IF length(NEW.postal_code) > 16 THEN
        RAISE EXCEPTION 'postal_code % is longer than 16 characters', quote_literal(NEW.postal_code)
            USING ERRCODE = 'PV008', COLUMN = 'postal_code', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.country_code := upper(btrim(NEW.country_code));
    IF NEW.country_code IS NULL OR NEW.country_code !~ '^[A-Z]{2}$' THEN
        RAISE EXCEPTION 'country_code % must be an ISO 3166-1 alpha-2 code (two letters)',
            COALESCE(quote_literal(NEW.country_code), 'NULL')
            USING ERRCODE = 'PV008', COLUMN = 'country_code', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.pw := provision_check_pw(COALESCE(NULLIF(NEW.pw, ''), tc_gen_password(16)), 'pw');
    RETURN NEW;
END;
$$;
