-- Named queries of the sandbox backend (executors/backends/sandbox.py); its
-- tables are in db/sandbox/schema.sql. Blocks start with "-- name: <query>";
-- parameters are psycopg %(name)s placeholders.

-- name: session_setup
-- Run on every new pool connection: registry dates are computed and
-- returned in UTC.
SET TIME ZONE 'UTC';

-- name: install_lock
-- Serialises concurrent installs (CREATE ... IF NOT EXISTS races otherwise).
SELECT pg_advisory_xact_lock(hashtext('sandbox.install'));

-- name: installed
-- TRUE when the schema is in place (for a role that may not run the DDL).
SELECT to_regclass('sandbox.transaction') IS NOT NULL AS installed;

-- name: get_ca
SELECT key_pem, certificate_pem FROM sandbox.ca;

-- name: insert_ca
-- The first backend's CA wins; the others read it with get_ca.
INSERT INTO sandbox.ca (key_pem, certificate_pem)
VALUES (%(key_pem)s, %(certificate_pem)s)
ON CONFLICT (id) DO NOTHING;

-- name: claim_transaction
-- Returns a row when this call is the first with client_ref. A concurrent
-- call with the same client_ref waits here until the first one commits (then
-- returns nothing and reads the recorded result) or rolls back (then claims).
INSERT INTO sandbox.transaction (client_ref, operation, registrar, request)
VALUES (%(client_ref)s, %(operation)s, %(registrar)s, %(request)s)
ON CONFLICT (client_ref) DO NOTHING
RETURNING client_ref;

-- name: get_transaction
SELECT operation, registrar, request, result
  FROM sandbox.transaction
 WHERE client_ref = %(client_ref)s;

-- name: record_result
UPDATE sandbox.transaction
   SET result = %(result)s
 WHERE client_ref = %(client_ref)s;

-- name: get_tld
SELECT name, redemption_days, max_years, transfer_adds_years
  FROM sandbox.tld
 WHERE name = %(tld)s;

-- name: check_availability
-- Free: the zone is served and no live domain has the name (a domain whose
-- redemption has ended counts as purged).
SELECT n.name,
       t.name IS NOT NULL
       AND NOT EXISTS (SELECT 1
                         FROM sandbox.domain d
                        WHERE d.name = n.name
                          AND (d.status = 'ok'
                               OR (d.status = 'redemption' AND d.redemption_end > now())))
       AS available
  FROM unnest(%(names)s::TEXT[]) AS n (name)
  LEFT JOIN sandbox.tld t ON t.name = substr(n.name, strpos(n.name, '.') + 1);

-- name: purge_due
-- A domain whose redemption period has ended is deleted for good.
UPDATE sandbox.domain
   SET status = 'deleted',
       updated_date = redemption_end
 WHERE name = %(name)s
   AND status = 'redemption'
   AND redemption_end <= now();

-- name: get_live_domain
-- The live domain of that name, locked for the rest of the transaction.
SELECT *
  FROM sandbox.domain
 WHERE name = %(name)s
   AND status <> 'deleted'
   FOR UPDATE;

-- name: insert_domain
-- Nothing returned when a live domain of that name exists (or was just
-- created by a concurrent transaction).
INSERT INTO sandbox.domain (name, tld, roid, registrar, auth_info, expiry_date,
                            nameservers, contacts)
VALUES (%(name)s, %(tld)s, 'D' || nextval('sandbox.roid_seq') || '-SANDBOX', %(registrar)s,
        %(auth_info)s, now() + make_interval(years => %(period)s::INT),
        %(nameservers)s::TEXT[], %(contacts)s)
ON CONFLICT (name) WHERE status <> 'deleted' DO NOTHING
RETURNING *;

-- name: insert_foreign_domain
INSERT INTO sandbox.domain (name, tld, roid, registrar, auth_info, expiry_date)
VALUES (%(name)s, %(tld)s, 'D' || nextval('sandbox.roid_seq') || '-SANDBOX', %(registrar)s,
        %(auth_info)s, %(expiry_date)s)
ON CONFLICT (name) WHERE status <> 'deleted' DO NOTHING
RETURNING *;

-- name: renew_domain
-- Nothing returned when the new expiry would lie more than max_years ahead.
UPDATE sandbox.domain
   SET expiry_date = expiry_date + make_interval(years => %(period)s::INT),
       updated_date = now()
 WHERE id = %(id)s
   AND expiry_date + make_interval(years => %(period)s::INT)
       <= now() + make_interval(years => %(max_years)s::INT)
RETURNING *;

-- name: transfer_domain
-- The domain moves to registrar with a new auth code. Nothing returned when
-- the new expiry would lie more than max_years ahead.
UPDATE sandbox.domain
   SET registrar = %(registrar)s,
       auth_info = %(auth_info)s,
       expiry_date = expiry_date + make_interval(years => %(period)s::INT),
       transfer_date = now(),
       updated_date = now()
 WHERE id = %(id)s
   AND expiry_date + make_interval(years => %(period)s::INT)
       <= now() + make_interval(years => %(max_years)s::INT)
RETURNING *;

-- name: delete_domain
-- Into redemption for redemption_days; with 0 days the delete is final.
UPDATE sandbox.domain
   SET status = CASE WHEN %(redemption_days)s::INT > 0 THEN 'redemption' ELSE 'deleted' END,
       redemption_end = CASE WHEN %(redemption_days)s::INT > 0
                             THEN now() + make_interval(days => %(redemption_days)s::INT) END,
       updated_date = now()
 WHERE id = %(id)s
RETURNING *;

-- name: restore_domain
-- Nothing returned when the redemption period has ended.
UPDATE sandbox.domain
   SET status = 'ok',
       redemption_end = NULL,
       updated_date = now()
 WHERE id = %(id)s
   AND status = 'redemption'
   AND redemption_end > now()
RETURNING *;

-- name: update_domain
-- NULL nameservers / auth_info: unchanged. contacts and locks: the new values.
UPDATE sandbox.domain
   SET nameservers = COALESCE(%(nameservers)s::TEXT[], nameservers),
       contacts = %(contacts)s,
       auth_info = COALESCE(%(auth_info)s, auth_info),
       locks = %(locks)s::TEXT[],
       updated_date = now()
 WHERE id = %(id)s
RETURNING *;

-- name: insert_contact
-- Nothing returned when the registrar already has a contact with that handle.
INSERT INTO sandbox.contact (registrar, handle, roid, fields)
VALUES (%(registrar)s, %(handle)s, 'C' || nextval('sandbox.roid_seq') || '-SANDBOX', %(fields)s)
ON CONFLICT (registrar, handle) DO NOTHING
RETURNING roid, handle, created_date;

-- name: insert_host
-- Nothing returned when a host of that name exists.
INSERT INTO sandbox.host (name, roid, registrar, addresses)
VALUES (%(name)s, 'H' || nextval('sandbox.roid_seq') || '-SANDBOX', %(registrar)s,
        %(addresses)s::INET[])
ON CONFLICT (name) DO NOTHING
RETURNING roid, name, created_date;

-- name: get_host
-- The host of that name, locked for the rest of the transaction.
SELECT *
  FROM sandbox.host
 WHERE name = %(name)s
   FOR UPDATE;

-- name: host_users
-- Up to three live domains (any registrar's) naming the host as a name server.
SELECT name
  FROM sandbox.domain
 WHERE nameservers @> ARRAY[%(name)s::TEXT]
   AND status <> 'deleted'
   AND (status = 'ok' OR redemption_end > now())
 ORDER BY name
 LIMIT 3;

-- name: subordinate_hosts
-- Up to three hosts named under the domain.
SELECT name
  FROM sandbox.host
 WHERE reverse(name) LIKE reverse('.' || %(name)s::TEXT) || '%%'
 ORDER BY name
 LIMIT 3;

-- name: update_host
UPDATE sandbox.host
   SET addresses = %(addresses)s::INET[]
 WHERE id = %(id)s
RETURNING roid, name, created_date;

-- name: delete_host
DELETE FROM sandbox.host
 WHERE id = %(id)s
RETURNING roid, name, created_date;

-- name: get_contact
-- The registrar's contact with that handle, locked for the rest of the transaction.
SELECT *
  FROM sandbox.contact
 WHERE registrar = %(registrar)s
   AND handle = %(handle)s
   FOR UPDATE;

-- name: contact_users
-- Up to three live domains of the registrar naming the contact in a role.
SELECT name
  FROM sandbox.domain
 WHERE (contacts @> jsonb_build_object('registrant', %(handle)s::TEXT)
        OR contacts @> jsonb_build_object('admin', %(handle)s::TEXT)
        OR contacts @> jsonb_build_object('tech', %(handle)s::TEXT)
        OR contacts @> jsonb_build_object('billing', %(handle)s::TEXT))
   AND status <> 'deleted'
   AND (status = 'ok' OR redemption_end > now())
   AND registrar = %(registrar)s
 ORDER BY name
 LIMIT 3;

-- name: update_contact
-- fields: the new fields, whole.
UPDATE sandbox.contact
   SET fields = %(fields)s
 WHERE id = %(id)s
RETURNING roid, handle, created_date;

-- name: delete_contact
DELETE FROM sandbox.contact
 WHERE id = %(id)s
RETURNING roid, handle, created_date;

-- name: insert_certificate
INSERT INTO sandbox.certificate (serial, registrar, common_name, sans, key_type, not_before,
                                 not_after, certificate_pem, private_key_pem)
VALUES (%(serial)s, %(registrar)s, %(common_name)s, %(sans)s::TEXT[], %(key_type)s, %(not_before)s,
        %(not_after)s, %(certificate_pem)s, %(private_key_pem)s);

-- name: insert_transfer
-- A transfer request answered "pending". Nothing returned when the domain
-- already has a pending transfer.
INSERT INTO sandbox.transfer (domain_id, name, gaining_registrar, losing_registrar, period,
                              auto_approve_date)
VALUES (%(domain_id)s, %(name)s, %(gaining)s, %(losing)s, %(period)s,
        now() + make_interval(secs => %(pending_seconds)s::FLOAT8))
ON CONFLICT (domain_id) WHERE status = 'pending' DO NOTHING
RETURNING *;

-- name: get_pending_transfer
-- The pending transfer of the domain name, locked.
SELECT *
  FROM sandbox.transfer
 WHERE name = %(name)s
   AND status = 'pending'
   FOR UPDATE;

-- name: due_transfers
-- Pending transfers whose auto-approval time has come, locked; a concurrent
-- caller skips the ones taken.
SELECT *
  FROM sandbox.transfer
 WHERE status = 'pending'
   AND auto_approve_date <= now()
 ORDER BY auto_approve_date
 LIMIT %(limit)s
   FOR UPDATE SKIP LOCKED;

-- name: end_transfer
UPDATE sandbox.transfer
   SET status = %(status)s,
       action_date = now()
 WHERE id = %(id)s
RETURNING *;

-- name: get_domain_by_id
SELECT *
  FROM sandbox.domain
 WHERE id = %(id)s
   FOR UPDATE;

-- name: insert_message
INSERT INTO sandbox.message (registrar, body)
VALUES (%(registrar)s, %(body)s);

-- name: poll_messages
-- The oldest messages of a registrar's queue, left in place until acknowledged.
SELECT id, body, created_date
  FROM sandbox.message
 WHERE registrar = %(registrar)s
 ORDER BY id
 LIMIT %(limit)s;

-- name: ack_message
DELETE FROM sandbox.message
 WHERE id = %(id)s
   AND registrar = %(registrar)s;

-- name: end_redemption_now
-- For tests and demos: the redemption period of the domain ends now.
UPDATE sandbox.domain
   SET redemption_end = now()
 WHERE name = %(name)s
   AND status = 'redemption'
RETURNING redemption_end;
