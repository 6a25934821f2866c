-- Ingest (consumers/ingest.py): one statement per run of same-action requests.
-- %(rows)s is a JSON array of objects, one per request: the request's envelope
-- (ord, request_id, tenant_customer_id, accreditation, order_item_plan_ids,
-- order_metadata, traceparent) and its payload's fields. Rows are inserted in
-- `ord` order, which is the order of their Kafka offsets, so requests for the
-- same object apply in the order they were published. NULL fields take the
-- defaults the validation triggers set.

-- name: existing_request_ids
-- Which of these request_ids were already recorded (as a provision or a rejection).
SELECT request_id FROM request_ids WHERE request_id = ANY(%(request_ids)s::UUID[])

-- name: insert_provision_domain
INSERT INTO provision_domain (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, registration_period, pw, registrant, admin_contact, tech_contact, billing_contact, nameservers)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.registration_period, r.pw, r.registrant, r.admin_contact, r.tech_contact,
       r.billing_contact, COALESCE(r.nameservers, '{}')
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, registration_period INT, pw TEXT, registrant TEXT, admin_contact TEXT,
       tech_contact TEXT, billing_contact TEXT, nameservers TEXT[])
 ORDER BY r.ord

-- name: insert_provision_domain_renew
INSERT INTO provision_domain_renew (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, period, current_expiry_date)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.period, r.current_expiry_date
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, period INT, current_expiry_date DATE)
 ORDER BY r.ord

-- name: insert_provision_domain_transfer
INSERT INTO provision_domain_transfer (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, pw, period)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.pw, r.period
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, pw TEXT, period INT)
 ORDER BY r.ord

-- name: insert_provision_domain_restore
INSERT INTO provision_domain_restore (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, restore_report)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.restore_report
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, restore_report JSONB)
 ORDER BY r.ord

-- name: insert_provision_domain_delete
INSERT INTO provision_domain_delete (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT)
 ORDER BY r.ord

-- name: insert_provision_domain_update
INSERT INTO provision_domain_update (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, nameservers, registrant, admin_contact, tech_contact, billing_contact, pw,
    add_locks, remove_locks, new_hosts)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.nameservers, r.registrant, r.admin_contact, r.tech_contact, r.billing_contact, r.pw,
       COALESCE(r.add_locks, '{}'), COALESCE(r.remove_locks, '{}'), r.new_hosts
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, nameservers TEXT[], registrant TEXT, admin_contact TEXT, tech_contact TEXT,
       billing_contact TEXT, pw TEXT, add_locks TEXT[], remove_locks TEXT[], new_hosts JSONB)
 ORDER BY r.ord

-- name: insert_provision_contact
INSERT INTO provision_contact (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    handle, name, organization, email, phone, fax, street1, street2, street3, city,
    state_province, postal_code, country_code, pw)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.handle, r.name, r.organization, r.email, r.phone, r.fax, r.street1, r.street2, r.street3,
       r.city, r.state_province, r.postal_code, r.country_code, r.pw
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       handle TEXT, name TEXT, organization TEXT, email TEXT, phone TEXT, fax TEXT, street1 TEXT,
       street2 TEXT, street3 TEXT, city TEXT, state_province TEXT, postal_code TEXT,
       country_code TEXT, pw TEXT)
 ORDER BY r.ord

-- name: insert_provision_host
INSERT INTO provision_host (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, addresses)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, COALESCE(r.addresses, '{}')
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, addresses INET[])
 ORDER BY r.ord

-- name: insert_provision_ssl
INSERT INTO provision_ssl (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    common_name, sans, csr_pem, key_type, validity_days, validation_method)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.common_name, COALESCE(r.sans, '{}'), r.csr_pem, r.key_type, r.validity_days,
       r.validation_method
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       common_name TEXT, sans TEXT[], csr_pem TEXT, key_type TEXT, validity_days INT,
       validation_method TEXT)
 ORDER BY r.ord

-- name: insert_provision_host_update
INSERT INTO provision_host_update (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, addresses)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, COALESCE(r.addresses, '{}')
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, addresses INET[])
 ORDER BY r.ord

-- name: insert_provision_host_delete
INSERT INTO provision_host_delete (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT)
 ORDER BY r.ord

-- name: insert_provision_contact_update
INSERT INTO provision_contact_update (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    handle, name, organization, email, phone, fax, street1, street2, street3, city,
    state_province, postal_code, country_code, pw)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.handle, r.name, r.organization, r.email, r.phone, r.fax, r.street1, r.street2, r.street3,
       r.city, r.state_province, r.postal_code, r.country_code, r.pw
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       handle TEXT, name TEXT, organization TEXT, email TEXT, phone TEXT, fax TEXT, street1 TEXT,
       street2 TEXT, street3 TEXT, city TEXT, state_province TEXT, postal_code TEXT,
       country_code TEXT, pw TEXT)
 ORDER BY r.ord

-- name: insert_provision_contact_delete
INSERT INTO provision_contact_delete (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    handle)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.handle
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       handle TEXT)
 ORDER BY r.ord

-- name: reject
-- A request that decoded but failed validation: a failed outcome for the requester.
SELECT provision_reject(%(request_id)s::UUID, %(tenant_customer_id)s::UUID, %(action)s, %(message)s, %(sqlstate)s, %(message_key)s,
                        %(order_item_plan_ids)s::UUID[], %(order_metadata)s::JSONB, %(traceparent)s)

-- name: insert_provision_domain_transfer_action
INSERT INTO provision_domain_transfer_action (
    request_id, tenant_customer_id, accreditation_id, order_item_plan_ids, order_metadata, traceparent,
    name, op)
SELECT r.request_id, r.tenant_customer_id, accreditation_id_from_name(r.accreditation),
       r.order_item_plan_ids, r.order_metadata, r.traceparent,
       r.name, r.op
  FROM jsonb_to_recordset(%(rows)s::JSONB) AS r(
       ord INT, request_id UUID, tenant_customer_id UUID, accreditation TEXT,
       order_item_plan_ids UUID[], order_metadata JSONB, traceparent TEXT,
       name TEXT, op TEXT)
 ORDER BY r.ord
