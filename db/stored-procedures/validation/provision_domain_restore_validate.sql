-- BEFORE INSERT on provision_domain_restore: the domain must be held by the
-- tenant_customer (PV006), in redemption and before redemption_end_date
-- (PV007), without another pending request (PV005); restore_report is
-- required when the TLD says so and must then be a JSON object with
-- pre_data, post_data, delete_time, restore_time and reason (PV008).
-- Derives domain_id and accreditation_tld_id.
CREATE OR REPLACE FUNCTION provision_domain_restore_validate()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_at      v_accreditation_tld;
    v_domain  domain;
    v_missing TEXT;
BEGIN
    NEW.name := tc_normalize_fqdn(NEW.name, 'name');
    PERFORM provision_lock_object('domain', NEW.name);
    v_at := provision_find_accreditation_tld(NEW.accreditation_id, NEW.name);
    v_domain := provision_find_domain(NEW.name, NEW.tenant_customer_id, NEW.accreditation_id);
    NEW.domain_id := v_domain.id;
    NEW.accreditation_tld_id := v_domain.accreditation_tld_id;

    IF v_domain.status <> 'redemption' THEN
        RAISE EXCEPTION 'domain % is not in redemption (status %); only a domain in redemption can be restored',
            quote_literal(NEW.name), v_domain.status
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    IF v_domain.redemption_end_date IS NOT NULL AND v_domain.redemption_end_date <= now() THEN
        RAISE EXCEPTION 'the redemption period of domain % ended at %', quote_literal(NEW.name), v_domain.redemption_end_date
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = TG_TABLE_NAME;
    END IF;
    PERFORM provision_check_domain_free(NEW.name, TG_TABLE_NAME);

    IF NEW.restore_report IS NULL THEN
        IF v_at.restore_requires_report THEN
            RAISE EXCEPTION 'restore_report is required to restore a domain under .%', v_at.tld_name
                USING ERRCODE = 'PV008', COLUMN = 'restore_report', TABLE = TG_TABLE_NAME;
        END IF;
    ELSE
        IF jsonb_typeof(NEW.restore_report) <> 'object' THEN
            RAISE EXCEPTION 'restore_report must be a JSON object, not %', jsonb_typeof(NEW.restore_report)
                USING ERRCODE = 'PV008', COLUMN = 'restore_report', TABLE = TG_TABLE_NAME;
        END IF;
        SELECT string_agg(k, ', ') INTO v_missing
          FROM unnest(ARRAY['pre_data', 'post_data', 'delete_time', 'restore_time', 'reason']) AS k
         WHERE NULLIF(NEW.restore_report ->> k, '') IS NULL;
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'restore_report lacks %', v_missing
                USING ERRCODE = 'PV008', COLUMN = 'restore_report', TABLE = TG_TABLE_NAME;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
