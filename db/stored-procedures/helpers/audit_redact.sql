-- A row as the audit log keeps it: the value of every secret column (auth
-- codes: `pw` on requests, `auth_info` on objects) replaced by 'redacted', or
-- by 'redacted (changed)' when p_before (the row before an UPDATE) held
-- another value, so a change stays visible without the secret. A row without
-- such a column is returned as it is. PL/pgSQL of simple expressions: a few
-- microseconds a row (a SQL function with a subquery is never inlined, and
-- cost 26 us a call).
CREATE OR REPLACE FUNCTION audit_redact(p_row JSONB, p_before JSONB DEFAULT NULL)
RETURNS JSONB
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_row IS NULL OR NOT (p_row ?| ARRAY['pw', 'auth_info']) THEN
        RETURN p_row;
    END IF;
    IF p_row ->> 'pw' IS NOT NULL THEN
        p_row := p_row || jsonb_build_object('pw',
            CASE WHEN p_before IS NOT NULL AND (p_before -> 'pw') IS DISTINCT FROM (p_row -> 'pw')
                 THEN 'redacted (changed)' ELSE 'redacted' END);
    END IF;
    IF p_row ->> 'auth_info' IS NOT NULL THEN
        p_row := p_row || jsonb_build_object('auth_info',
            CASE WHEN p_before IS NOT NULL
                      AND (p_before -> 'auth_info') IS DISTINCT FROM (p_row -> 'auth_info')
                 THEN 'redacted (changed)' ELSE 'redacted' END);
    END IF;
    RETURN p_row;
END;
$$;
