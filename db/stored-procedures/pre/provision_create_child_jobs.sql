-- Child jobs: the registry calls a provision needs before its own.
--
-- AFTER INSERT ... FOR EACH STATEMENT on provision_domain_delete and
-- provision_domain_update (trg_45_create_child_jobs, after trg_40_create_jobs
-- has inserted the parents' jobs). A child's reference_id is the parent's
-- provision; its data carries the parent's base keys, `step` (what it does,
-- for the outcome when it fails) and `client_ref`: md5(provision id, step)
-- as a UUID, stable across retries, the backend's idempotency key.
--
-- provision_domain_delete: the hosts under the domain held by the same
-- tenant_customer are deleted first, one after the other (a chain: each host
-- job is the parent of the next), and when the domain names some of them as
-- its own name servers the deepest child removes them from it first
-- (a registry refuses to delete a host a domain names).
--
-- provision_domain_update: each host of new_hosts (in-zone name servers that
-- do not exist yet, with their addresses) is created by its own child, side
-- by side, before the update.
CREATE OR REPLACE FUNCTION provision_create_child_jobs()
RETURNS TRIGGER
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_queued UUID := tc_id_from_name('job_status', 'queued');
    r        RECORD;
    h        RECORD;
    v_parent UUID;
    v_job    UUID;
    v_base   JSONB;
    v_step   TEXT;
    v_unlink TEXT[];
BEGIN
    IF TG_TABLE_NAME = 'provision_domain_delete' THEN
        FOR r IN SELECT n.*, a.name AS accreditation_name, d.nameservers AS domain_nameservers
                   FROM new_rows n
                   JOIN accreditation a ON a.id = n.accreditation_id
                   JOIN domain d ON d.id = n.domain_id
                  WHERE EXISTS (SELECT 1 FROM host x
                                 WHERE x.domain_id = n.domain_id
                                   AND x.tenant_customer_id = n.tenant_customer_id) LOOP
            v_base := provision_job_base('provision_domain_delete', 'delete', 'host', r.id, r.request_id,
                          r.accreditation_name, r.accreditation_id, r.tenant_customer_id,
                          r.order_metadata, r.traceparent);
            v_parent := r.job_id;
            v_unlink := '{}';
            FOR h IN SELECT x.id, x.name::TEXT AS name
                       FROM host x
                      WHERE x.domain_id = r.domain_id
                        AND x.tenant_customer_id = r.tenant_customer_id
                      ORDER BY x.name LOOP
                v_step := 'delete host ' || h.name;
                INSERT INTO job (type_id, status_id, max_attempts, reference_id, parent_id, data)
                SELECT t.id, v_queued, t.max_attempts, r.id, v_parent,
                       v_base || jsonb_build_object('step', v_step, 'name', h.name, 'host_id', h.id,
                                                    'client_ref', provision_child_job_ref(r.id, v_step))
                  FROM job_type t WHERE t.name = 'domain_delete_host'
                RETURNING id INTO v_parent;
                IF h.name = ANY (r.domain_nameservers) THEN
                    v_unlink := v_unlink || h.name;
                END IF;
            END LOOP;
            IF cardinality(v_unlink) > 0 THEN
                v_step := 'remove hosts ' || array_to_string(v_unlink, ', ') || ' from the name servers of ' || r.name;
                INSERT INTO job (type_id, status_id, max_attempts, reference_id, parent_id, data)
                SELECT t.id, v_queued, t.max_attempts, r.id, v_parent,
                       v_base || jsonb_build_object(
                           'action', 'update', 'object', 'domain',
                           'step', v_step, 'name', r.name, 'domain_id', r.domain_id,
                           'nameservers', to_jsonb(ARRAY(SELECT ns FROM unnest(r.domain_nameservers) ns
                                                          WHERE ns <> ALL (v_unlink))),
                           'client_ref', provision_child_job_ref(r.id, v_step))
                  FROM job_type t WHERE t.name = 'domain_delete_unlink_hosts';
            END IF;
        END LOOP;
    ELSIF TG_TABLE_NAME = 'provision_domain_update' THEN
        FOR r IN SELECT n.*, a.name AS accreditation_name
                   FROM new_rows n
                   JOIN accreditation a ON a.id = n.accreditation_id
                  WHERE n.new_hosts IS NOT NULL AND n.new_hosts <> '{}'::JSONB LOOP
            v_base := provision_job_base('provision_domain_update', 'create', 'host', r.id, r.request_id,
                          r.accreditation_name, r.accreditation_id, r.tenant_customer_id,
                          r.order_metadata, r.traceparent);
            INSERT INTO job (type_id, status_id, max_attempts, reference_id, parent_id, data)
            SELECT t.id, v_queued, t.max_attempts, r.id, r.job_id,
                   v_base || jsonb_build_object('step', 'create host ' || g.key, 'name', g.key,
                                                'addresses', g.value, 'domain_id', r.domain_id,
                                                'client_ref', provision_child_job_ref(r.id, 'create host ' || g.key))
              FROM jsonb_each(r.new_hosts) g
              JOIN job_type t ON t.name = 'domain_update_host'
             ORDER BY g.key;
        END LOOP;
    END IF;
    RETURN NULL;
END;
$$;
