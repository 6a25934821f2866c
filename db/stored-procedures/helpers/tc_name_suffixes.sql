-- The proper suffixes of a dotted name, longest first: 'a.b.co.uk' gives
-- {b.co.uk, co.uk, uk}. The candidates for the TLD under which the name falls,
-- each looked up by equality (and so through an index) instead of comparing
-- the name with every TLD.
CREATE OR REPLACE FUNCTION tc_name_suffixes(p_name TEXT)
RETURNS TEXT[]
LANGUAGE plpgsql
IMMUTABLE
STRICT
PARALLEL SAFE
AS $$
DECLARE
    v_rest TEXT := p_name;
    v_dot  INT;
    v_out  TEXT[] := '{}';
BEGIN
    LOOP
        v_dot := strpos(v_rest, '.');
        EXIT WHEN v_dot = 0;
        v_rest := substr(v_rest, v_dot + 1);
        v_out := v_out || v_rest;
    END LOOP;
    RETURN v_out;
END;
$$;
