-- Completion of a provision_contact_delete job: the contact row is deleted
-- (the audit log keeps it; contact_id of the provisions that named it
-- becomes NULL); the provision is completed.
CREATE OR REPLACE FUNCTION provision_contact_delete_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p    provision_contact_delete;
    v_roid TEXT;
BEGIN
    SELECT * INTO v_p FROM provision_contact_delete WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    DELETE FROM contact WHERE id = v_p.contact_id RETURNING roid INTO v_roid;
    UPDATE provision_contact_delete
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = v_roid,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;
