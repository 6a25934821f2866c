-- BEFORE INSERT on provision_contact_delete: the contact must exist at the
-- accreditation and be held by the tenant_customer (PV006), with no other
-- pending request (PV005), and no live domain of the accreditation may name
-- it in any role (PV007, naming up to three of them). Derives contact_id.
CREATE OR REPLACE FUNCTION provision_contact_delete_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_contact contact;
    v_users   TEXT[];
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
    v_users := provision_contact_users(NEW.accreditation_id, NEW.handle);
    IF cardinality(v_users) > 0 THEN
        RAISE EXCEPTION 'contact handle % is in use: domain % names it as a contact',
            quote_literal(NEW.handle), array_to_string(v_users, ', ')
            USING ERRCODE = 'PV007', COLUMN = 'handle', TABLE = TG_TABLE_NAME;
    END IF;
    NEW.contact_id := v_contact.id;
    RETURN NEW;
END;
$$;
