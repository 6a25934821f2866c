-- Completion of a provision_domain_transfer_action job: the registry
-- accepted the decision; the provision is completed. A cancel also fails the
-- transfer in it cancelled (if still pending_action), whose final outcome
-- fails its order plan; a reject leaves the domain as it is (still ours).
-- Reads from the job result: status (the transfer's trStatus).
CREATE OR REPLACE FUNCTION provision_domain_transfer_action_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p provision_domain_transfer_action;
BEGIN
    SELECT * INTO v_p FROM provision_domain_transfer_action WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;

    IF v_p.op = 'cancel' AND v_p.transfer_id IS NOT NULL THEN
        UPDATE provision_domain_transfer
           SET status_id = tc_id_from_name('provision_status', 'failed'),
               result_message = format('transfer cancelled by request %s', v_p.request_id),
               result_data = (COALESCE(result_data, '{}') - 'pending')
                             || jsonb_build_object('transfer_status',
                                                   COALESCE(p_job.result_data ->> 'status', 'clientCancelled'))
         WHERE id = v_p.transfer_id
           AND status_id = tc_id_from_name('provision_status', 'pending_action');
    END IF;

    UPDATE provision_domain_transfer_action
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;
