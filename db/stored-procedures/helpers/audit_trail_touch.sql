-- BEFORE UPDATE trigger for every table inheriting class.audit_trail:
-- maintains updated_date/updated_by and keeps created_* unchanged.
CREATE OR REPLACE FUNCTION audit_trail_touch()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.created_date := OLD.created_date;
    NEW.created_by := OLD.created_by;
    NEW.updated_date := now();
    NEW.updated_by := session_user;
    RETURN NEW;
END;
$$;
