-- Creates the job (type named after the provision table) for provision row
-- p_provision_id of p_table with p_data, and sets the row's job_id.
-- Runs inside the SECURITY DEFINER pre/ triggers.
CREATE OR REPLACE FUNCTION provision_job_create(
    p_table        TEXT,
    p_provision_id UUID,
    p_data         JSONB
)
RETURNS UUID
LANGUAGE plpgsql
AS $$
DECLARE
    v_job_id UUID;
BEGIN
    INSERT INTO job (type_id, reference_id, data)
    VALUES (tc_id_from_name('job_type', p_table), p_provision_id, p_data)
    RETURNING id INTO v_job_id;
    RETURN v_job_id;
END;
$$;
