-- Completion of a provision_domain_delete job: the domain goes into
-- redemption until now() + redemption_period_days, or is deleted at once
-- when the TLD has no redemption period or the result says purged; the
-- provision is completed. Reads from the job result: purged (boolean),
-- redemption_end_date.
CREATE OR REPLACE FUNCTION provision_domain_delete_complete(p_job job)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    v_p      provision_domain_delete;
    v_at     v_accreditation_tld;
    v_r      JSONB := COALESCE(p_job.result_data, '{}');
    v_purged BOOLEAN;
    v_end    TIMESTAMPTZ;
    v_roid   TEXT;
BEGIN
    SELECT * INTO v_p FROM provision_domain_delete WHERE id = p_job.reference_id FOR UPDATE;
    IF NOT FOUND OR (SELECT is_final FROM provision_status WHERE id = v_p.status_id) THEN
        RETURN;
    END IF;
    SELECT * INTO v_at FROM v_accreditation_tld WHERE id = v_p.accreditation_tld_id;
    v_purged := COALESCE((v_r ->> 'purged')::BOOLEAN, v_at.redemption_period_days = 0);

    IF v_purged THEN
        UPDATE domain
           SET status = 'deleted',
               deleted_date = now(),
               redemption_end_date = NULL,
               ry_updated_date = now()
         WHERE id = v_p.domain_id
        RETURNING roid INTO v_roid;
    ELSE
        v_end := COALESCE((v_r ->> 'redemption_end_date')::TIMESTAMPTZ,
                          now() + make_interval(days => v_at.redemption_period_days));
        UPDATE domain
           SET status = 'redemption',
               deleted_date = now(),
               redemption_end_date = v_end,
               ry_updated_date = now()
         WHERE id = v_p.domain_id
        RETURNING roid INTO v_roid;
    END IF;

    UPDATE provision_domain_delete
       SET status_id = tc_id_from_name('provision_status', 'completed'),
           provisioned_date = now(),
           roid = v_roid,
           redemption_end_date = v_end,
           result_message = p_job.result_message,
           result_data = p_job.result_data,
           attempt_count = GREATEST(attempt_count, p_job.attempts)
     WHERE id = v_p.id;
END;
$$;
