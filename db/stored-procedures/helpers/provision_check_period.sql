-- Raises PV004 unless p_min <= p_value <= p_max, e.g.
-- "registration_period 11 is outside 1..10 for .com".
CREATE OR REPLACE FUNCTION provision_check_period(
    p_value  INT,
    p_column TEXT,
    p_min    INT,
    p_max    INT,
    p_tld    TEXT
)
RETURNS VOID
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_value IS NULL OR p_value < p_min OR p_value > p_max THEN
        RAISE EXCEPTION '% % is outside %..% for .%', p_column, COALESCE(p_value::TEXT, 'NULL'), p_min, p_max, p_tld
            USING ERRCODE = 'PV004', COLUMN = p_column;
    END IF;
END;
$$;
