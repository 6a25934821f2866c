-- Named queries of the EPP front of the sandbox (executors/epp/server.py): the
-- reads an EPP <info> needs, on the sandbox's tables (db/sandbox/schema.sql).
-- Every change still goes through SandboxBackend and its transaction log.

-- name: domain
-- The live domain of that name (a redemption that has ended counts as purged).
SELECT name, roid, registrar, auth_info, created_date, expiry_date, updated_date,
       transfer_date, status, redemption_end, nameservers, contacts, locks
  FROM sandbox.domain
 WHERE name = %(name)s
   AND status <> 'deleted'
   AND NOT (status = 'redemption' AND redemption_end <= now());

-- name: contact
SELECT handle, roid, registrar, fields, created_date
  FROM sandbox.contact
 WHERE registrar = %(registrar)s AND handle = %(handle)s;

-- name: host
SELECT name, roid, registrar, created_date,
       ARRAY(SELECT host(a) FROM unnest(addresses) AS a) AS addresses
  FROM sandbox.host
 WHERE name = %(name)s;

-- name: transaction
-- The recorded result of a client_ref (the clTRID of a command seen before).
SELECT operation, registrar, result
  FROM sandbox.transaction
 WHERE client_ref = %(client_ref)s AND result IS NOT NULL;

-- name: message_queue
-- The poll queue of a registrar (EPP <msgQ>): how many messages wait, and when the
-- message of that id was queued (NULL: it is not in the queue of this registrar).
SELECT count(*) AS count,
       max(created_date) FILTER (WHERE id = %(id)s) AS queued
  FROM sandbox.message
 WHERE registrar = %(registrar)s;

-- name: last_transfer
-- The most recent transfer of the name, pending or ended (EPP <transfer op="query">).
SELECT name, gaining_registrar, losing_registrar, status, requested_date,
       COALESCE(action_date, auto_approve_date) AS action_date
  FROM sandbox.transfer
 WHERE name = %(name)s
 ORDER BY id DESC
 LIMIT 1;
