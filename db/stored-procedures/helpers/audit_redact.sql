-- A row as the audit log keeps it: the value of every secret column (auth
-- codes: `pw` on requests, `auth_info` on objects) replaced by 'redacted', or
-- by 'redacted (changed)' when p_before (the row before an UPDATE) held
-- another value, so a change stays visible without the secret. A row without
-- such a column is returned as it is. SQL without SET options, so the planner
-- inlines it into the audit triggers' statements (which fix the search_path).
CREATE OR REPLACE FUNCTION audit_redact(p_row JSONB, p_before JSONB DEFAULT NULL)
RETURNS JSONB
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT CASE
        WHEN NOT (p_row ?| ARRAY['pw', 'auth_info']) THEN p_row
        ELSE p_row || COALESCE(
            (SELECT jsonb_object_agg(
                        k,
                        CASE WHEN p_before IS NOT NULL
                                  AND (p_before -> k) IS DISTINCT FROM (p_row -> k)
                             THEN 'redacted (changed)' ELSE 'redacted' END)
               FROM unnest(ARRAY['pw', 'auth_info']) AS k
              WHERE p_row ->> k IS NOT NULL),
            '{}')
    END
$$;
