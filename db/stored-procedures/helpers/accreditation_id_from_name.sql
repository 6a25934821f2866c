-- The id of the accreditation called p_name; raises PV002 when there is none.
-- Lets an insert name the accreditation as requests do:
--   accreditation_id = accreditation_id_from_name('alpha-registry')
CREATE OR REPLACE FUNCTION accreditation_id_from_name(p_name TEXT)
RETURNS UUID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_id UUID;
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' THEN
        RAISE EXCEPTION 'accreditation is required'
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    SELECT id INTO v_id FROM accreditation WHERE name = p_name;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'accreditation % does not exist', quote_literal(p_name)
            USING ERRCODE = 'PV002', COLUMN = 'accreditation_id';
    END IF;
    RETURN v_id;
END;
$$;
