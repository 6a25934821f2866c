-- Named queries of the ACME backend (executors/backends/acme.py); its tables
-- are in db/acme/schema.sql. Blocks start with "-- name: <query>"; parameters
-- are psycopg %(name)s placeholders.

-- name: install_lock
-- Serialises concurrent installs (CREATE ... IF NOT EXISTS races otherwise).
SELECT pg_advisory_xact_lock(hashtext('acme.install'));

-- name: installed
-- TRUE when the schema is in place (for a role that may not run the DDL).
SELECT to_regclass('acme.certificate_order') IS NOT NULL AS installed;

-- name: order_lock
-- Held (session level) while one call works on a client_ref's order: a
-- concurrent retry of the same job waits, then resumes what the first left.
SELECT pg_advisory_lock(hashtext('acme.order'), hashtext(%(client_ref)s));

-- name: order_unlock
SELECT pg_advisory_unlock(hashtext('acme.order'), hashtext(%(client_ref)s));

-- name: get_account
SELECT key_pem, account_url FROM acme.account
WHERE registrar = %(registrar)s AND directory_url = %(directory_url)s;

-- name: insert_account
-- The first process's key wins; the others read it with get_account.
INSERT INTO acme.account (registrar, directory_url, key_pem)
VALUES (%(registrar)s, %(directory_url)s, %(key_pem)s)
ON CONFLICT (registrar, directory_url) DO NOTHING;

-- name: set_account_url
UPDATE acme.account SET account_url = %(account_url)s
WHERE registrar = %(registrar)s AND directory_url = %(directory_url)s;

-- name: forget_account_url
-- The CA answered accountDoesNotExist: the next use registers the key again.
UPDATE acme.account SET account_url = NULL
WHERE registrar = %(registrar)s AND directory_url = %(directory_url)s;

-- name: get_order
SELECT client_ref, registrar, directory_url, request, csr_pem, key_pem, order_url, result
FROM acme.certificate_order WHERE client_ref = %(client_ref)s;

-- name: insert_order
INSERT INTO acme.certificate_order (
    client_ref, registrar, directory_url, request, csr_pem, key_pem)
VALUES (%(client_ref)s, %(registrar)s, %(directory_url)s, %(request)s, %(csr_pem)s, %(key_pem)s)
ON CONFLICT (client_ref) DO NOTHING;

-- name: set_order_url
UPDATE acme.certificate_order SET order_url = %(order_url)s, updated_date = now()
WHERE client_ref = %(client_ref)s;

-- name: forget_order_url
-- The order belonged to an account the CA forgot: the next attempt places a new one.
UPDATE acme.certificate_order SET order_url = NULL, updated_date = now()
WHERE client_ref = %(client_ref)s;

-- name: set_result
UPDATE acme.certificate_order SET result = %(result)s, updated_date = now()
WHERE client_ref = %(client_ref)s;
