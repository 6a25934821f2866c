-- The accreditation_tld (with its rules) under which p_name falls for the
-- accreditation: the longest TLD that is a suffix of p_name.
-- p_registrable: p_name must be exactly one label under the TLD (PV001).
-- p_required: raise PV003 when the accreditation does not serve the TLD;
-- otherwise return NULL.
CREATE OR REPLACE FUNCTION provision_find_accreditation_tld(
    p_accreditation_id UUID,
    p_name             TEXT,
    p_column           TEXT DEFAULT 'name',
    p_registrable      BOOLEAN DEFAULT TRUE,
    p_required         BOOLEAN DEFAULT TRUE
)
RETURNS v_accreditation_tld
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_at   v_accreditation_tld;
    v_acc  TEXT;
    v_head TEXT;
    v_suffix TEXT;
BEGIN
    -- Every proper suffix of p_name, longest first, is a candidate TLD, looked
    -- up by equality (through the unique index on tld.name): the cost does not
    -- grow with the number of TLDs an accreditation serves, and the first found
    -- is the longest.
    FOREACH v_suffix IN ARRAY tc_name_suffixes(p_name) LOOP
        SELECT * INTO v_at
          FROM v_accreditation_tld
         WHERE accreditation_id = p_accreditation_id
           AND tld_name = v_suffix;
        EXIT WHEN FOUND;
    END LOOP;
    -- (FOUND is no use here: FOREACH sets it when the loop ends)
    IF v_at.id IS NULL OR NOT v_at.is_active THEN
        IF NOT p_required THEN
            RETURN NULL;
        END IF;
        SELECT name INTO v_acc FROM accreditation WHERE id = p_accreditation_id;
        RAISE EXCEPTION 'TLD .% of % % is not served by accreditation %',
            COALESCE(v_at.tld_name, regexp_replace(p_name, '^.*\.', '')),
            p_column, quote_literal(p_name), quote_literal(v_acc)
            USING ERRCODE = 'PV003', COLUMN = p_column;
    END IF;
    IF p_registrable THEN
        v_head := left(p_name, length(p_name) - length(v_at.tld_name) - 1);
        IF position('.' IN v_head) > 0 THEN
            RAISE EXCEPTION '% % is not a registrable name: expected one label before .%',
                p_column, quote_literal(p_name), v_at.tld_name
                USING ERRCODE = 'PV001', COLUMN = p_column;
        END IF;
    END IF;
    RETURN v_at;
END;
$$;
