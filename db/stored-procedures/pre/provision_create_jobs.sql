-- AFTER INSERT ... FOR EACH STATEMENT (REFERENCING NEW TABLE AS new_rows) on
-- every provision table: creates the jobs of the inserted rows with one
-- INSERT ... SELECT, complete (queued, max_attempts of its type: job_set_defaults
-- has nothing to do), the data of each built by
-- <table>_job_data(row, accreditation name, TLD name or NULL).
--
-- provision_request_validate gave each row its job_id before the row was
-- written; the foreign key to job is checked at commit (DEFERRABLE INITIALLY
-- DEFERRED, db/tables/97_hot_path.sql), by when the job exists. A statement
-- that fails takes its jobs with it. One statement per batch instead of one
-- INSERT (with its triggers) per row: the largest share of the chain's cost.
CREATE OR REPLACE FUNCTION provision_create_jobs()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_tld TEXT := 'LEFT JOIN tld t ON FALSE';
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute
                WHERE attrelid = TG_RELID AND attname = 'accreditation_tld_id' AND NOT attisdropped) THEN
        v_tld := 'LEFT JOIN accreditation_tld at ON at.id = n.accreditation_tld_id
                  LEFT JOIN tld t ON t.id = at.tld_id';
    END IF;
    EXECUTE format(
        'INSERT INTO job (id, type_id, status_id, max_attempts, reference_id, data)
         SELECT n.job_id, jt.id, $2, jt.max_attempts, n.id, %I(n, a.name, t.name)
           FROM new_rows n
           JOIN job_type jt ON jt.name = $1
           JOIN accreditation a ON a.id = n.accreditation_id
           %s', TG_TABLE_NAME || '_job_data', v_tld)
      USING TG_TABLE_NAME::TEXT, tc_id_from_name('job_status', 'queued');
    RETURN NULL;
END;
$$;
