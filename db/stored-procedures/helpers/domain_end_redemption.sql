-- Domains leave redemption when it ends, as the registry purges them: the
-- name is free again (create and transfer accepted), a restore is refused.
--
-- domain_end_redemption(name): the one domain p_name, when its redemption is
-- over (an index lookup by name); the validation of a create or a transfer
-- calls it, so the name is free at once, before the sweep comes by.
-- domain_redemption_sweep(limit): up to p_limit domains whose redemption is
-- over (domain_redemption_end_idx); the executors run it every
-- executor_registry_poll_seconds. Returns how many it ended.
CREATE OR REPLACE FUNCTION domain_end_redemption(p_name TEXT)
RETURNS VOID
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE domain
       SET status = 'deleted',
           ry_updated_date = redemption_end_date
     WHERE name = p_name COLLATE "default"
       AND status = 'redemption'
       AND redemption_end_date <= now();
END;
$$;

CREATE OR REPLACE FUNCTION domain_redemption_sweep(p_limit INT DEFAULT 1000)
RETURNS INT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_ended INT;
BEGIN
    WITH due AS (
        SELECT id
          FROM domain
         WHERE status = 'redemption'
           AND redemption_end_date <= now()
         ORDER BY redemption_end_date
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    )
    UPDATE domain d
       SET status = 'deleted',
           ry_updated_date = d.redemption_end_date
      FROM due
     WHERE d.id = due.id;
    GET DIAGNOSTICS v_ended = ROW_COUNT;
    RETURN v_ended;
END;
$$;

REVOKE ALL ON FUNCTION domain_redemption_sweep(INT) FROM PUBLIC;
