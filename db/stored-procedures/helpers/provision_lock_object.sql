-- Serialises concurrent requests for the same object (e.g. two creates of
-- one domain name in different transactions) until the end of the
-- transaction, so the "already exists / already pending" checks see each
-- other's committed rows.
CREATE OR REPLACE FUNCTION provision_lock_object(p_kind TEXT, p_key TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('provision:' || p_kind), hashtext(p_key));
END;
$$;
