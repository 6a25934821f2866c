-- The trigger chain's cost: the same rows into provision_domain (validation, job
-- creation, audit, foreign keys) and into a plain copy of its columns.

-- name: create_plain_table
CREATE TABLE bench_plain_domain (LIKE provision_domain INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)

-- name: target_ids
SELECT tc.id AS tenant_customer_id, a.id AS accreditation_id, atld.id AS accreditation_tld_id
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
       (request_id, tenant_customer_id, accreditation_id, accreditation_tld_id, name, registration_period)
SELECT request_id, %(tenant_customer_id)s, %(accreditation_id)s, %(accreditation_tld_id)s, name, 1
  FROM unnest(%(request_ids)s::UUID[], %(names)s::TEXT[]) AS r(request_id, name)

-- name: write_cost
-- What the database holds and has written so far: rows of the tables a request
-- writes, and the WAL position (bench/flat.py measures the difference over a batch).
SELECT (SELECT count(*) FROM class.provision) + (SELECT count(*) FROM job)
       + (SELECT count(*) FROM audit_trail_log) + (SELECT count(*) FROM outbox) AS rows,
       pg_current_wal_lsn() - '0/0'::PG_LSN AS wal_bytes
