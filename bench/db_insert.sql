-- The trigger chain's cost: the same rows into provision_domain (validation, job
-- creation, audit, foreign keys) and into a plain copy of its columns.

-- name: create_plain_tables
-- Untriggered copies (no foreign keys either) of the three tables a request writes.
CREATE TABLE bench_plain_domain (LIKE provision_domain INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE bench_plain_job (LIKE job INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE bench_plain_audit (LIKE audit_trail_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)

-- name: target_ids
SELECT tc.id AS tenant_customer_id, a.id AS accreditation_id, atld.id AS accreditation_tld_id,
       (SELECT id FROM job_type WHERE name = 'provision_domain') AS job_type_id,
       (SELECT id FROM job_status WHERE name = 'queued') AS job_status_id,
       (SELECT id FROM provision_status WHERE name = 'pending') AS provision_status_id
  FROM tenant_customer tc, accreditation a
  JOIN accreditation_tld atld ON atld.accreditation_id = a.id
  JOIN tld ON tld.id = atld.tld_id
 WHERE tc.id = '30000000-0000-4000-8000-000000000001' AND a.name = 'alpha-registry' AND tld.name = 'com'

-- name: insert_triggered
INSERT INTO provision_domain
       (request_id, tenant_customer_id, accreditation_id, accreditation_tld_id, name, registration_period)
SELECT request_id, %(tenant_customer_id)s, %(accreditation_id)s, %(accreditation_tld_id)s, name, 1
  FROM unnest(%(request_ids)s::UUID[], %(names)s::TEXT[]) AS r(request_id, name)

-- name: insert_plain
INSERT INTO bench_plain_domain
       (request_id, tenant_customer_id, accreditation_id, accreditation_tld_id, name, registration_period,
        status_id)
SELECT request_id, %(tenant_customer_id)s, %(accreditation_id)s, %(accreditation_tld_id)s, name, 1,
       %(provision_status_id)s
  FROM unnest(%(request_ids)s::UUID[], %(names)s::TEXT[]) AS r(request_id, name)

-- name: insert_plain_writes
-- What the trigger chain writes for each request, written by the client with
-- plain multi-row INSERTs and no function of ours: the provision row (the
-- values the validation would set given), its job row with the same data, and
-- its audit row. Every column whose default calls a function of ours is given
-- (the CHECK constraints stay: both sides pay them).
WITH p AS (
    INSERT INTO bench_plain_domain
           (request_id, tenant_customer_id, accreditation_id, accreditation_tld_id, name,
            registration_period, pw, job_id, status_id)
    SELECT request_id, %(tenant_customer_id)s, %(accreditation_id)s, %(accreditation_tld_id)s, name,
           1, pw, job_id, %(provision_status_id)s
      FROM unnest(%(request_ids)s::UUID[], %(names)s::TEXT[], %(pws)s::TEXT[], %(job_ids)s::UUID[])
           AS r(request_id, name, pw, job_id)
    RETURNING *
), j AS (
    INSERT INTO bench_plain_job (id, type_id, status_id, reference_id, max_attempts, data)
    SELECT p.job_id, %(job_type_id)s, %(job_status_id)s, p.id, 5, jsonb_build_object(
               'provision_id', p.id, 'provision_table', 'provision_domain', 'request_id', p.request_id,
               'action', 'create', 'object', 'domain', 'accreditation', 'alpha-registry',
               'accreditation_id', p.accreditation_id, 'tenant_customer_id', p.tenant_customer_id,
               'order_metadata', p.order_metadata, 'traceparent', p.traceparent,
               'name', p.name, 'tld', 'com', 'period', p.registration_period, 'auth_info', p.pw,
               'contacts', jsonb_build_object('registrant', p.registrant, 'admin', p.admin_contact,
                                              'tech', p.tech_contact, 'billing', p.billing_contact),
               'nameservers', to_jsonb(p.nameservers))
      FROM p
)
INSERT INTO bench_plain_audit (table_name, operation, object_id, new_value)
SELECT 'provision_domain', 'INSERT', p.id, to_jsonb(p) FROM p

-- name: write_cost
-- What the database holds and has written so far: rows of the tables a request
-- writes, and the WAL position (bench/flat.py measures the difference over a batch).
SELECT (SELECT count(*) FROM class.provision) + (SELECT count(*) FROM job)
       + (SELECT count(*) FROM audit_trail_log) + (SELECT count(*) FROM outbox) AS rows,
       pg_current_wal_lsn() - '0/0'::PG_LSN AS wal_bytes
