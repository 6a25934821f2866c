-- BEFORE INSERT on provision_ssl: common_name and each of sans a host name,
-- optionally with a leading '*.' wildcard label (PV001); sans distinct and
-- at most 100 (PV008); validity_days within 1..398 (PV004); either csr_pem
-- (a PEM certificate request) or key_type, not both (PV008); a wildcard needs
-- validation_method dns (PV008). NULL key_type without CSR means
-- ecdsa-p256, NULL validity_days 365, NULL validation_method dns.
-- Every name (common_name and sans, a wildcard's '*.' left out) must be the
-- tenant_customer's: a domain it holds here (status ok) or a name under one
-- (PV006). The certificate authorities served today prove no domain control,
-- so a name held elsewhere cannot be certified.
CREATE OR REPLACE FUNCTION provision_ssl_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    c_key_types CONSTANT TEXT[] := ARRAY['rsa2048', 'rsa3072', 'rsa4096', 'ecdsa-p256', 'ecdsa-p384'];
    v_sans     TEXT[] := '{}';
    v_name     TEXT;
    v_wildcard BOOLEAN;
    i          INT;
BEGIN
    v_name := lower(btrim(NEW.common_name));
    v_wildcard := left(v_name, 2) = '*.';
    NEW.common_name := CASE WHEN v_wildcard
                            THEN '*.' || tc_normalize_fqdn(substr(v_name, 3), 'common_name')
                            ELSE tc_normalize_fqdn(v_name, 'common_name') END;

    NEW.sans := COALESCE(NEW.sans, '{}');
    IF cardinality(NEW.sans) > 100 THEN
        RAISE EXCEPTION 'sans has % entries; the limit is 100', cardinality(NEW.sans)
            USING ERRCODE = 'PV008', COLUMN = 'sans', TABLE = TG_TABLE_NAME;
    END IF;
    FOR i IN 1..COALESCE(array_length(NEW.sans, 1), 0) LOOP
        v_name := lower(btrim(NEW.sans[i]));
        IF left(v_name, 2) = '*.' THEN
            v_wildcard := TRUE;
            v_name := '*.' || tc_normalize_fqdn(substr(v_name, 3), format('sans[%s]', i));
        ELSE
            v_name := tc_normalize_fqdn(v_name, format('sans[%s]', i));
        END IF;
        IF v_name = ANY (v_sans) THEN
            RAISE EXCEPTION 'sans lists % twice', quote_literal(v_name)
                USING ERRCODE = 'PV008', COLUMN = 'sans', TABLE = TG_TABLE_NAME;
        END IF;
        v_sans := v_sans || v_name;
    END LOOP;
    NEW.sans := v_sans;

    NEW.validity_days := COALESCE(NEW.validity_days, 365);
    IF NEW.validity_days < 1 OR NEW.validity_days > 398 THEN
        RAISE EXCEPTION 'validity_days % is outside 1..398', NEW.validity_days
            USING ERRCODE = 'PV004', COLUMN = 'validity_days', TABLE = TG_TABLE_NAME;
    END IF;

    NEW.csr_pem := NULLIF(btrim(NEW.csr_pem, E' \t\r\n'), '');
    NEW.key_type := NULLIF(lower(btrim(NEW.key_type)), '');
    IF NEW.csr_pem IS NOT NULL AND NEW.key_type IS NOT NULL THEN
        RAISE EXCEPTION 'give either csr_pem or key_type, not both'
            USING ERRCODE = 'PV008', COLUMN = 'key_type', TABLE = TG_TABLE_NAME;
    END IF;
    IF NEW.csr_pem IS NOT NULL
       AND NEW.csr_pem !~ '^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\s+[A-Za-z0-9+/=\s]+-----END (NEW )?CERTIFICATE REQUEST-----$' THEN
        RAISE EXCEPTION 'csr_pem is not a PEM certificate request'
            USING ERRCODE = 'PV008', COLUMN = 'csr_pem', TABLE = TG_TABLE_NAME;
    END IF;
    IF NEW.csr_pem IS NULL THEN
        NEW.key_type := COALESCE(NEW.key_type, 'ecdsa-p256');
        IF NEW.key_type <> ALL (c_key_types) THEN
            RAISE EXCEPTION 'key_type % is not one of %', quote_literal(NEW.key_type), array_to_string(c_key_types, ', ')
                USING ERRCODE = 'PV008', COLUMN = 'key_type', TABLE = TG_TABLE_NAME;
        END IF;
    END IF;

    NEW.validation_method := COALESCE(NULLIF(lower(btrim(NEW.validation_method)), ''), 'dns');
    IF NEW.validation_method NOT IN ('dns', 'http', 'email') THEN
        RAISE EXCEPTION 'validation_method % is not one of dns, http, email', quote_literal(NEW.validation_method)
            USING ERRCODE = 'PV008', COLUMN = 'validation_method', TABLE = TG_TABLE_NAME;
    END IF;
    IF v_wildcard AND NEW.validation_method <> 'dns' THEN
        RAISE EXCEPTION 'a wildcard name needs validation_method dns, not %', NEW.validation_method
            USING ERRCODE = 'PV008', COLUMN = 'validation_method', TABLE = TG_TABLE_NAME;
    END IF;

    SELECT c.name INTO v_name
      FROM unnest(array_prepend(NEW.common_name, NEW.sans)) WITH ORDINALITY AS c(name, position)
     WHERE NOT EXISTS (
           SELECT 1
             FROM domain d
            WHERE d.name = ANY (array_prepend(regexp_replace(c.name, '^\*\.', ''),
                                              tc_name_suffixes(regexp_replace(c.name, '^\*\.', ''))))
              AND d.status <> 'deleted'
              AND d.status = 'ok'
              AND d.tenant_customer_id = NEW.tenant_customer_id)
     ORDER BY c.position
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% is neither a domain this tenant_customer holds nor a name under one', quote_literal(v_name)
            USING ERRCODE = 'PV006', COLUMN = 'common_name', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;
