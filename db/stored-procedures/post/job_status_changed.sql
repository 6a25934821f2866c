-- AFTER UPDATE OF status_id on job. When a job reaches a final status:
--   completed -> <job_type.completion_function>(job) completes the provision
--                and creates/changes the object;
--   failed    -> provision_fail(job_type.reference_table, job).
-- Either way the provision's status change writes the outbox row
-- (provision_emit_outcome).
--
-- A child job (parent_id set; its reference_id is the parent's provision, its
-- completion function applies its own step's change to the objects) rolls up
-- into its parent (docs/executors.md, "Child jobs"):
--   hard failure (child_failure 'hard', the default): the provision fails with
--     the child's step and reason, and the queued parent fails without running;
--   soft failure (child_failure 'soft'): recorded on the child only; the
--     provision and the parent go on as if it had completed;
--   once no child is unfinished, the parent becomes runnable (NOTIFY), or, for
--   a no-op parent (is_noop), completes at once, which runs its completion.
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
    v_parent_noop BOOLEAN;
    v_failed      job;
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
                WHEN 'provision_host_update_complete' THEN PERFORM provision_host_update_complete(NEW);
                WHEN 'provision_host_delete_complete' THEN PERFORM provision_host_delete_complete(NEW);
                WHEN 'provision_contact_update_complete' THEN PERFORM provision_contact_update_complete(NEW);
                WHEN 'provision_contact_delete_complete' THEN PERFORM provision_contact_delete_complete(NEW);
                WHEN 'domain_delete_host_complete' THEN PERFORM domain_delete_host_complete(NEW);
                WHEN 'domain_delete_unlink_hosts_complete' THEN PERFORM domain_delete_unlink_hosts_complete(NEW);
                WHEN 'domain_update_host_complete' THEN PERFORM domain_update_host_complete(NEW);
                ELSE EXECUTE format('SELECT %I($1)', v_type.completion_function) USING NEW;
            END CASE;
        ELSIF NEW.parent_id IS NULL THEN
            PERFORM provision_fail(v_type.reference_table, NEW);
        ELSIF NEW.child_failure = 'hard' THEN
            -- the provision says which step failed, and why
            v_failed := NEW;
            v_failed.result_message := format('%s failed: %s',
                COALESCE(NEW.data ->> 'step', v_type.descr), COALESCE(NEW.result_message, 'job failed'));
            PERFORM provision_fail(v_type.reference_table, v_failed);
        END IF;
    END IF;

    IF NEW.parent_id IS NOT NULL THEN
        IF NOT v_status.is_success AND NEW.child_failure = 'hard' THEN
            UPDATE job
               SET status_id = tc_id_from_name('job_status', 'failed'),
                   result_message = format('child job %s (%s) failed: %s', NEW.id, v_type.name, NEW.result_message),
                   lease_expires_at = NULL,
                   end_date = now()
             WHERE id = NEW.parent_id
               AND status_id = tc_id_from_name('job_status', 'queued');
        ELSE
            -- Siblings finishing at once take turns on the parent's row; the
            -- check below is a new statement, so the later one sees the
            -- earlier one's committed status and acts for both.
            PERFORM 1 FROM job p WHERE p.id = NEW.parent_id FOR UPDATE;
            IF EXISTS (SELECT 1
                         FROM job c
                         JOIN job_status s ON s.id = c.status_id
                        WHERE c.parent_id = NEW.parent_id
                          AND NOT s.is_final) THEN
                RETURN NULL;
            END IF;
            SELECT t.name, p.is_noop INTO v_parent_type, v_parent_noop
              FROM job p
              JOIN job_type t ON t.id = p.type_id
             WHERE p.id = NEW.parent_id
               AND p.status_id = tc_id_from_name('job_status', 'queued');
            IF FOUND AND v_parent_noop THEN
                UPDATE job
                   SET status_id = tc_id_from_name('job_status', 'completed'),
                       result_data = '{}'::JSONB,
                       lease_expires_at = NULL,
                       end_date = now()
                 WHERE id = NEW.parent_id;
            ELSIF FOUND THEN
                PERFORM pg_notify('job_runnable', v_parent_type);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
