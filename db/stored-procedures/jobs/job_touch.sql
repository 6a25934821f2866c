-- BEFORE UPDATE on job: maintains updated_date.
CREATE OR REPLACE FUNCTION job_touch()
RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_date := now();
    NEW.created_date := OLD.created_date;
    RETURN NEW;
END;
$$;
