-- The registry's answer to a pending transfer, read from the poll queue of
-- accreditation p_accreditation by an executor: the transfer in of p_name
-- that is pending_action under that accreditation is completed (p_status
-- 'approved': p_result is the domain as the registry now has it, its new
-- auth_info included, and provision_domain_transfer_complete runs on it) or
-- failed with p_message ('rejected', 'cancelled'). Either way its final
-- outcome is written. Returns the provision's new status, or NULL when no
-- transfer of that name was waiting (a message about another registrar's
-- transfer, or one already resolved: idempotent).
CREATE OR REPLACE FUNCTION provision_domain_transfer_resolve(
    p_accreditation TEXT,
    p_name          TEXT,
    p_status        TEXT,
    p_result        JSONB,
    p_message       TEXT
)
RETURNS TEXT
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_p   provision_domain_transfer;
    v_job job;
BEGIN
    IF p_status NOT IN ('approved', 'rejected', 'cancelled') THEN
        RAISE EXCEPTION 'provision_domain_transfer_resolve: unknown status %', quote_nullable(p_status)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.* INTO v_p
      FROM provision_domain_transfer p
      JOIN accreditation a ON a.id = p.accreditation_id
     WHERE p.name = p_name COLLATE "default"
       AND a.name = p_accreditation
       AND p.status_id = tc_id_from_name('provision_status', 'pending_action')
     ORDER BY p.created_date
     LIMIT 1
       FOR UPDATE OF p;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF p_status = 'approved' THEN
        SELECT * INTO v_job FROM job WHERE id = v_p.job_id;
        v_job.result_data := (COALESCE(v_p.result_data, '{}') - 'pending') || COALESCE(p_result, '{}');
        v_job.result_message := p_message;
        PERFORM provision_domain_transfer_complete(v_job);
        RETURN 'completed';
    END IF;

    UPDATE provision_domain_transfer
       SET status_id = tc_id_from_name('provision_status', 'failed'),
           result_message = COALESCE(p_message, format('transfer %s', p_status)),
           result_data = (COALESCE(result_data, '{}') - 'pending')
                         || (COALESCE(p_result, '{}') - 'auth_info')
     WHERE id = v_p.id;
    RETURN 'failed';
END;
$$;

REVOKE ALL ON FUNCTION provision_domain_transfer_resolve(TEXT, TEXT, TEXT, JSONB, TEXT) FROM PUBLIC;
