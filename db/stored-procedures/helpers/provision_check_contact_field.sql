-- One field of a contact (provision_contact, provision_contact_update),
-- trimmed and checked by its column name: name, email, city and
-- country_code are required (an empty value is refused), email, phone/fax
-- (+CC.NUMBER) and country_code (ISO 3166-1 alpha-2, upper-cased) syntax,
-- field lengths (PV008). Returns the normalised value; an optional field
-- given empty becomes NULL.
CREATE OR REPLACE FUNCTION provision_check_contact_field(p_column TEXT, p_value TEXT, p_table TEXT)
RETURNS TEXT
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    v_value TEXT;
BEGIN
    IF p_column IN ('phone', 'fax') THEN
        v_value := NULLIF(regexp_replace(p_value, '\s', '', 'g'), '');
    ELSIF p_column = 'country_code' THEN
        v_value := NULLIF(upper(btrim(p_value)), '');
    ELSE
        v_value := NULLIF(btrim(p_value), '');
    END IF;

    IF v_value IS NULL THEN
        IF p_column IN ('name', 'email', 'city') THEN
            RAISE EXCEPTION '% is required', p_column USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
        ELSIF p_column = 'country_code' THEN
            RAISE EXCEPTION 'country_code NULL must be an ISO 3166-1 alpha-2 code (two letters)'
                USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
        END IF;
        RETURN NULL;
    END IF;

    CASE p_column
        WHEN 'email' THEN
            IF length(v_value) > 254
               OR v_value !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$' THEN
                RAISE EXCEPTION 'email % is not a valid address', quote_literal(v_value)
                    USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
            END IF;
        WHEN 'phone', 'fax' THEN
            IF v_value !~ '^\+[0-9]{1,3}\.[0-9]{1,14}(x[0-9]{1,6})?$' THEN
                RAISE EXCEPTION '% % must look like +CC.NUMBER (e.g. +1.%)', p_column, quote_literal(v_value),
                    CASE p_column WHEN 'phone' THEN '5555550100' ELSE '5555550101' END
                    USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
            END IF;
        WHEN 'country_code' THEN
            IF v_value !~ '^[A-Z]{2}$' THEN
                RAISE EXCEPTION 'country_code % must be an ISO 3166-1 alpha-2 code (two letters)', quote_literal(v_value)
                    USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
            END IF;
        WHEN 'postal_code' THEN
            IF length(v_value) > 16 THEN
                RAISE EXCEPTION 'postal_code % is longer than 16 characters', quote_literal(v_value)
                    USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
            END IF;
        WHEN 'street1', 'street2', 'street3' THEN
            IF length(v_value) > 255 THEN
                RAISE EXCEPTION 'street1/street2/street3 may each hold at most 255 characters'
                    USING ERRCODE = 'PV008', COLUMN = 'street1', TABLE = p_table;
            END IF;
        ELSE
            IF length(v_value) > 255 THEN
                RAISE EXCEPTION '% is longer than 255 characters', p_column
                    USING ERRCODE = 'PV008', COLUMN = p_column, TABLE = p_table;
            END IF;
    END CASE;
    RETURN v_value;
END;
$$;
