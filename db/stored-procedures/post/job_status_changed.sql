-- AFTER UPDATE OF status_id on job. When a job reaches a final status:
--   completed -> <job_type.completion_function>(job) completes the provision
--                and creates/changes the object;
--   failed    -> provision_fail(job_type.reference_table, job).
-- Either way the provision's status change writes the outbox row
-- (provision_emit_outcome). For a child job: a failed child fails its queued
-- parent; the last successful child makes the parent runnable (NOTIFY).
CREATE OR REPLACE FUNCTION job_status_changed()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_status      job_status;
    v_type        job_type;
    v_parent_type TEXT;
BEGIN
    SELECT * INTO v_status FROM job_status WHERE id = NEW.status_id;
    IF NOT v_status.is_final THEN
        RETURN NULL;
    END IF;
    SELECT * INTO v_type FROM job_type WHERE id = NEW.type_id;

    IF v_type.reference_table IS NOT NULL AND NEW.reference_id IS NOT NULL THEN
        IF v_status.is_success THEN
            -- static calls for the completion functions of db/ (their plans are
            -- cached); dynamic SQL, parsed and planned each time, for any other
            CASE v_type.completion_function
                WHEN 'provision_domain_complete' THEN PERFORM provision_domain_complete(NEW);
                WHEN 'provision_domain_renew_complete' THEN PERFORM provision_domain_renew_complete(NEW);
                WHEN 'provision_domain_transfer_complete' THEN PERFORM provision_domain_transfer_complete(NEW);
                WHEN 'provision_domain_restore_complete' THEN PERFORM provision_domain_restore_complete(NEW);
                WHEN 'provision_domain_delete_complete' THEN PERFORM provision_domain_delete_complete(NEW);
                WHEN 'provision_domain_update_complete' THEN PERFORM provision_domain_update_complete(NEW);
                WHEN 'provision_contact_complete' THEN PERFORM provision_contact_complete(NEW);
                WHEN 'provision_host_complete' THEN PERFORM provision_host_complete(NEW);
                WHEN 'provision_ssl_complete' THEN PERFORM provision_ssl_complete(NEW);
                ELSE EXECUTE format('SELECT %I($1)', v_type.completion_function) USING NEW;
            END CASE;
        ELSE
            PERFORM provision_fail(v_type.reference_table, NEW);
        END IF;
    END IF;

    IF NEW.parent_id IS NOT NULL THEN
        IF NOT v_status.is_success THEN
            UPDATE job
               SET status_id = tc_id_from_name('job_status', 'failed'),
                   result_message = format('child job %s (%s) failed: %s', NEW.id, v_type.name, NEW.result_message),
                   lease_expires_at = NULL,
                   end_date = now()
             WHERE id = NEW.parent_id
               AND status_id = tc_id_from_name('job_status', 'queued');
        ELSIF NOT EXISTS (SELECT 1
                            FROM job c
                            JOIN job_status s ON s.id = c.status_id
                           WHERE c.parent_id = NEW.parent_id
                             AND NOT s.is_final) THEN
            SELECT t.name INTO v_parent_type
              FROM job p
              JOIN job_type t ON t.id = p.type_id
             WHERE p.id = NEW.parent_id
               AND p.status_id = tc_id_from_name('job_status', 'queued');
            IF FOUND THEN
                PERFORM pg_notify('job_runnable', v_parent_type);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
