-- Named queries of the executors' periodic registry work
-- (executors/registry_poll.py): the poll queues' transfer messages and the
-- end of redemption periods. Blocks start with "-- name: <query_name>".

-- name: accreditations
-- The registrar accounts whose poll queues are read (not the CAs').
SELECT name FROM accreditation WHERE service_type = 'registry' ORDER BY name;

-- name: resolve_transfer
-- The pending transfer in of name under accreditation completed or failed;
-- the provision's new status, or NULL when none was waiting.
SELECT provision_domain_transfer_resolve(%(accreditation)s, %(name)s, %(status)s,
                                         %(result)s::JSONB, %(message)s) AS status;

-- name: transferred_away
-- Our domain name under accreditation, transferred away (approved): it leaves
-- this database; its id, or NULL when that accreditation held no such domain.
SELECT domain_transferred_away(%(accreditation)s, %(name)s, %(action_date)s) AS id;

-- name: redemption_sweep
-- Domains whose redemption period is over leave it; how many.
SELECT domain_redemption_sweep(%(limit)s) AS ended;
