-- BEFORE UPDATE on the orders tables: maintains updated_date.
CREATE OR REPLACE FUNCTION orders.touch_updated_date()
RETURNS TRIGGER
LANGUAGE plpgsql
SET search_path = orders, public, pg_temp
AS $$
BEGIN
    NEW.updated_date := now();
    NEW.created_date := OLD.created_date;
    RETURN NEW;
END;
$$;
