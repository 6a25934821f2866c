-- Checks that p_value is a host name and returns it lower-cased, trimmed and
-- without a trailing dot. Raises PV001 with a message naming p_column:
-- labels of 1..63 letters, digits and hyphens, no leading/trailing hyphen,
-- at least two labels, at most 253 characters, a top-level label that is
-- not all digits.
CREATE OR REPLACE FUNCTION tc_normalize_fqdn(p_value TEXT, p_column TEXT DEFAULT 'name')
RETURNS TEXT
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    v_name   TEXT := lower(btrim(p_value));
    v_labels TEXT[];
    v_label  TEXT;
BEGIN
    IF v_name IS NULL OR v_name = '' THEN
        RAISE EXCEPTION '% is required', p_column
            USING ERRCODE = 'PV001', COLUMN = p_column;
    END IF;
    IF right(v_name, 1) = '.' THEN
        v_name := left(v_name, -1);
    END IF;
    IF length(v_name) > 253 THEN
        RAISE EXCEPTION '% %... is % characters long; the limit is 253',
            p_column, quote_literal(left(v_name, 40)), length(v_name)
            USING ERRCODE = 'PV001', COLUMN = p_column;
    END IF;
    v_labels := string_to_array(v_name, '.');
    -- '.' (the root) leaves '' and so no label at all: array_length is NULL then
    IF COALESCE(array_length(v_labels, 1), 0) < 2 THEN
        RAISE EXCEPTION '% % needs at least two labels (like example.com)',
            p_column, quote_literal(lower(btrim(p_value)))
            USING ERRCODE = 'PV001', COLUMN = p_column;
    END IF;
    FOREACH v_label IN ARRAY v_labels LOOP
        IF v_label = '' THEN
            RAISE EXCEPTION '% % has an empty label', p_column, quote_literal(v_name)
                USING ERRCODE = 'PV001', COLUMN = p_column;
        END IF;
        IF length(v_label) > 63 THEN
            RAISE EXCEPTION 'label %... of % % is % characters long; the limit is 63',
                quote_literal(left(v_label, 20)), p_column, quote_literal(left(v_name, 80)), length(v_label)
                USING ERRCODE = 'PV001', COLUMN = p_column;
        END IF;
        IF v_label !~ '^[a-z0-9-]+$' THEN
            RAISE EXCEPTION 'label % of % % may only contain letters, digits and hyphens',
                quote_literal(v_label), p_column, quote_literal(v_name)
                USING ERRCODE = 'PV001', COLUMN = p_column;
        END IF;
        IF left(v_label, 1) = '-' OR right(v_label, 1) = '-' THEN
            RAISE EXCEPTION 'label % of % % starts or ends with a hyphen',
                quote_literal(v_label), p_column, quote_literal(v_name)
                USING ERRCODE = 'PV001', COLUMN = p_column;
        END IF;
    END LOOP;
    IF v_labels[array_length(v_labels, 1)] ~ '^[0-9]+$' THEN
        RAISE EXCEPTION 'top-level label of % % is all digits', p_column, quote_literal(v_name)
            USING ERRCODE = 'PV001', COLUMN = p_column;
    END IF;
    RETURN v_name;
END;
$$;
