-- Checks a list of nameserver host names: each a valid host name (PV001),
-- no duplicates and a count within the TLD's bounds (PV008). Returns the
-- normalised list; NULL stays NULL.
CREATE OR REPLACE FUNCTION provision_check_nameservers(
    p_values TEXT[],
    p_column TEXT,
    p_min    INT,
    p_max    INT,
    p_tld    TEXT
)
RETURNS TEXT[]
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    v_result TEXT[] := '{}';
    v_name   TEXT;
    i        INT;
BEGIN
    IF p_values IS NULL THEN
        RETURN NULL;
    END IF;
    FOR i IN 1..COALESCE(array_length(p_values, 1), 0) LOOP
        v_name := tc_normalize_fqdn(p_values[i], format('%s[%s]', p_column, i));
        IF v_name = ANY (v_result) THEN
            RAISE EXCEPTION '% lists % twice', p_column, quote_literal(v_name)
                USING ERRCODE = 'PV008', COLUMN = p_column;
        END IF;
        v_result := v_result || v_name;
    END LOOP;
    IF cardinality(v_result) < p_min OR cardinality(v_result) > p_max THEN
        RAISE EXCEPTION '% has % entries; .% needs %..%', p_column, cardinality(v_result), p_tld, p_min, p_max
            USING ERRCODE = 'PV008', COLUMN = p_column;
    END IF;
    RETURN v_result;
END;
$$;
