-- BEFORE INSERT on provision_contact_update: the contact must exist at the
-- accreditation and be held by the tenant_customer (PV006), with no other
-- pending request (PV005); each field given (NULL: unchanged) checked as for
-- a create (provision_check_contact_field, PV008; a required field may not be
-- emptied); a new pw 6..64 printable characters (PV008). At least one change
-- (PV008). Derives contact_id.
CREATE OR REPLACE FUNCTION provision_contact_update_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_contact contact;
BEGIN
    NEW.handle := btrim(NEW.handle);
    IF NEW.handle IS NULL OR NEW.handle !~ '^[A-Za-z0-9][A-Za-z0-9_-]{2,15}$' THEN
        RAISE EXCEPTION 'handle % is not a contact handle (3 to 16 letters, digits, ''-'' or ''_'')',
            COALESCE(quote_literal(NEW.handle), 'NULL')
            USING ERRCODE = 'PV008', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;
    PERFORM provision_lock_object('contact', NEW.accreditation_id::TEXT || ':' || NEW.handle);
    v_contact := provision_find_contact(NEW.handle, NEW.tenant_customer_id, NEW.accreditation_id, TG_TABLE_NAME);
    PERFORM provision_check_contact_free(NEW.accreditation_id, NEW.handle, TG_TABLE_NAME);
    NEW.contact_id := v_contact.id;

    IF num_nulls(NEW.name, NEW.organization, NEW.email, NEW.phone, NEW.fax, NEW.street1, NEW.street2,
                 NEW.street3, NEW.city, NEW.state_province, NEW.postal_code, NEW.country_code, NEW.pw) = 13 THEN
        RAISE EXCEPTION 'a contact update must change at least one field'
            USING ERRCODE = 'PV008', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;
    -- A field given empty clears an optional field; NULL leaves it unchanged.
    IF NEW.name IS NOT NULL THEN
        NEW.name := provision_check_contact_field('name', NEW.name, TG_TABLE_NAME);
    END IF;
    IF NEW.organization IS NOT NULL THEN
        NEW.organization := COALESCE(provision_check_contact_field('organization', NEW.organization, TG_TABLE_NAME), '');
    END IF;
    IF NEW.email IS NOT NULL THEN
        NEW.email := provision_check_contact_field('email', NEW.email, TG_TABLE_NAME);
    END IF;
    IF NEW.phone IS NOT NULL THEN
        NEW.phone := COALESCE(provision_check_contact_field('phone', NEW.phone, TG_TABLE_NAME), '');
    END IF;
    IF NEW.fax IS NOT NULL THEN
        NEW.fax := COALESCE(provision_check_contact_field('fax', NEW.fax, TG_TABLE_NAME), '');
    END IF;
    IF NEW.street1 IS NOT NULL THEN
        NEW.street1 := COALESCE(provision_check_contact_field('street1', NEW.street1, TG_TABLE_NAME), '');
    END IF;
    IF NEW.street2 IS NOT NULL THEN
        NEW.street2 := COALESCE(provision_check_contact_field('street2', NEW.street2, TG_TABLE_NAME), '');
    END IF;
    IF NEW.street3 IS NOT NULL THEN
        NEW.street3 := COALESCE(provision_check_contact_field('street3', NEW.street3, TG_TABLE_NAME), '');
    END IF;
    IF NEW.city IS NOT NULL THEN
        NEW.city := provision_check_contact_field('city', NEW.city, TG_TABLE_NAME);
    END IF;
    IF NEW.state_province IS NOT NULL THEN
        NEW.state_province := COALESCE(provision_check_contact_field('state_province', NEW.state_province, TG_TABLE_NAME), '');
    END IF;
    IF NEW.postal_code IS NOT NULL THEN
        NEW.postal_code := COALESCE(provision_check_contact_field('postal_code', NEW.postal_code, TG_TABLE_NAME), '');
    END IF;
    IF NEW.country_code IS NOT NULL THEN
        NEW.country_code := provision_check_contact_field('country_code', NEW.country_code, TG_TABLE_NAME);
    END IF;
    NEW.pw := provision_check_pw(NULLIF(NEW.pw, ''), 'pw');
    RETURN NEW;
END;
$$;
