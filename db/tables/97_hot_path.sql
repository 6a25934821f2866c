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
