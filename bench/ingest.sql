-- The ingest benchmark's ceiling: the same rows COPYed into a table without triggers.

-- name: create_plain_table
CREATE TABLE bench_plain_domain (
    request_id UUID, tenant_customer_id UUID, accreditation TEXT, name TEXT,
    registration_period INT, nameservers TEXT[], order_metadata JSONB, traceparent TEXT)

-- name: copy_plain
COPY bench_plain_domain (request_id, tenant_customer_id, accreditation, name,
                         registration_period, nameservers, order_metadata, traceparent) FROM STDIN

-- name: count_provisions
SELECT count(*) FROM provision_domain
