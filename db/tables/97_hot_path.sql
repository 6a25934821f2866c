-- The hot path (issue 13): what the set-based trigger chain needs of the tables.

-- Jobs are created after the INSERT statement, for all its rows at once
-- (provision_create_jobs); each row already names its job, so the foreign key
-- is checked at commit.
DO $$
DECLARE
    c RECORD;
BEGIN
    FOR c IN SELECT con.conrelid::REGCLASS AS tbl, con.conname
               FROM pg_constraint con
               JOIN pg_inherits i ON i.inhrelid = con.conrelid
              WHERE i.inhparent = 'class.provision'::REGCLASS
                AND con.contype = 'f'
                AND con.confrelid = 'job'::REGCLASS LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I DEFERRABLE INITIALLY DEFERRED', c.tbl, c.conname);
    END LOOP;
END;
$$;

-- The request validation sets status_id on every row; the default only cost a
-- lookup per row before being overwritten.
ALTER TABLE class.provision ALTER COLUMN status_id DROP DEFAULT;

-- job_claim takes the oldest runnable jobs ORDER BY start_date, created_date.
-- The jobs of one batch share both (one transaction's now()), and the old index
-- (status_id, start_date) left that tie to a sort of the whole batch's queued jobs
-- on every claim; with created_date in the index the scan stops at the LIMIT.
CREATE INDEX job_claim_order_idx ON job (status_id, start_date, created_date);
DROP INDEX job_claim_idx;
