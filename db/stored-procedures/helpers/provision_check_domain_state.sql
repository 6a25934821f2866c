-- The domain must be in status ok (PV007, "a renew needs status ok") and, when
-- p_lock is given, must not carry that lock (PV007), e.g. clientRenewProhibited.
CREATE OR REPLACE FUNCTION provision_check_domain_state(
    p_domain domain,
    p_action TEXT,   -- as the message says it: 'a renew', 'an update', ...
    p_lock   TEXT,
    p_table  TEXT
)
RETURNS VOID
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_domain.status <> 'ok' THEN
        RAISE EXCEPTION 'domain % is in status %; % needs status ok', quote_literal(p_domain.name), p_domain.status, p_action
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = p_table;
    END IF;
    IF p_lock IS NOT NULL AND p_lock = ANY (p_domain.locks) THEN
        RAISE EXCEPTION 'domain % has the lock %', quote_literal(p_domain.name), p_lock
            USING ERRCODE = 'PV007', COLUMN = 'name', TABLE = p_table;
    END IF;
END;
$$;
