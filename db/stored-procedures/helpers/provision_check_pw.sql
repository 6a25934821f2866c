-- Checks an auth code (EPP authInfo): 6..64 printable characters without
-- white space. Returns it unchanged (NULL stays NULL); raises PV008.
CREATE OR REPLACE FUNCTION provision_check_pw(p_value TEXT, p_column TEXT DEFAULT 'pw')
RETURNS TEXT
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(p_value) < 6 OR length(p_value) > 64 OR p_value !~ '^[[:graph:]]+$' THEN
        RAISE EXCEPTION '% must be 6 to 64 printable characters without spaces', p_column
            USING ERRCODE = 'PV008', COLUMN = p_column;
    END IF;
    RETURN p_value;
END;
$$;
