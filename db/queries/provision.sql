-- Named queries for the provision tables (used by ingest).
-- Each insert names the accreditation as requests do (accreditation_id_from_name
-- raises PV002 for an unknown one). NULL parameters take the documented
-- defaults (see docs/database.md). An insert fails with SQLSTATE 23505 for a
-- duplicate request_id and with PV0xx for a request that fails validation;
-- record the latter with reject. Run each insert in a savepoint.

-- name: insert_domain
INSERT INTO provision_domain (
    request_id, tenant_customer_id, accreditation_id, name, registration_period, pw,
    registrant, admin_contact, tech_contact, billing_contact, nameservers,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(registration_period)s::INT, %(pw)s,
    %(registrant)s, %(admin_contact)s, %(tech_contact)s, %(billing_contact)s, %(nameservers)s::TEXT[],
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_domain_renew
INSERT INTO provision_domain_renew (
    request_id, tenant_customer_id, accreditation_id, name, period, current_expiry_date,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(period)s::INT, %(current_expiry_date)s::DATE,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_domain_transfer
INSERT INTO provision_domain_transfer (
    request_id, tenant_customer_id, accreditation_id, name, pw, period,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(pw)s, %(period)s::INT,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_domain_restore
INSERT INTO provision_domain_restore (
    request_id, tenant_customer_id, accreditation_id, name, restore_report,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(restore_report)s::JSONB,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_domain_delete
INSERT INTO provision_domain_delete (
    request_id, tenant_customer_id, accreditation_id, name,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_domain_update
INSERT INTO provision_domain_update (
    request_id, tenant_customer_id, accreditation_id, name, nameservers,
    registrant, admin_contact, tech_contact, billing_contact, pw, add_locks, remove_locks,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(nameservers)s::TEXT[],
    %(registrant)s, %(admin_contact)s, %(tech_contact)s, %(billing_contact)s, %(pw)s,
    COALESCE(%(add_locks)s::TEXT[], '{}'), COALESCE(%(remove_locks)s::TEXT[], '{}'),
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_contact
INSERT INTO provision_contact (
    request_id, tenant_customer_id, accreditation_id, handle, name, organization, email,
    phone, fax, street1, street2, street3, city, state_province, postal_code, country_code, pw,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(handle)s, %(name)s, %(organization)s, %(email)s,
    %(phone)s, %(fax)s, %(street1)s, %(street2)s, %(street3)s, %(city)s, %(state_province)s,
    %(postal_code)s, %(country_code)s, %(pw)s,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_host
INSERT INTO provision_host (
    request_id, tenant_customer_id, accreditation_id, name, addresses,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(name)s, %(addresses)s::INET[],
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: insert_ssl
INSERT INTO provision_ssl (
    request_id, tenant_customer_id, accreditation_id, common_name, sans, csr_pem, key_type,
    validity_days, validation_method,
    order_item_plan_ids, order_metadata, traceparent)
VALUES (
    %(request_id)s::UUID, %(tenant_customer_id)s::UUID, accreditation_id_from_name(%(accreditation)s),
    %(common_name)s, %(sans)s::TEXT[], %(csr_pem)s, %(key_type)s,
    %(validity_days)s::INT, %(validation_method)s,
    %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)
RETURNING id;

-- name: reject
-- Record a request that failed validation as a failed outcome; idempotent by
-- request_id; returns the outcome's event_id.
SELECT provision_reject(%(request_id)s::UUID, %(action)s, %(message)s, %(sqlstate)s, %(message_key)s,
                        %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s) AS event_id;

-- name: get_by_request_id
-- The provision row (any provision table) of a request, with its status.
SELECT p.tableoid::REGCLASS::TEXT AS action,
       p.id,
       p.request_id,
       p.tenant_customer_id,
       p.accreditation_id,
       s.name AS status,
       p.job_id,
       p.attempt_count,
       p.roid,
       p.provisioned_date,
       p.result_message,
       p.result_data,
       p.order_item_plan_ids,
       p.order_metadata,
       p.traceparent
  FROM class.provision p
  JOIN provision_status s ON s.id = p.status_id
 WHERE p.request_id = %(request_id)s::UUID;

-- name: get_rejection
SELECT * FROM provision_rejection WHERE request_id = %(request_id)s::UUID;
