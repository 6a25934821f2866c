-- The ACME backend's own state (executors/backends/acme.py): the accounts it
-- registered and, per job (client_ref), the ACME order it placed.
--
-- Not part of the product's migrations, like db/sandbox/schema.sql: it is the
-- backend's state, not the product's data, and exists only where an
-- accreditation is served by ACME. AcmeBackend.install() applies this file
-- (under an advisory lock) when the backend starts, so every statement is
-- idempotent.

CREATE SCHEMA IF NOT EXISTS acme;

-- One account per accreditation and CA directory. key_pem is the account key
-- the backend generated (NULL when PROVISIONING_ACME_ACCOUNTS names an
-- account_key_file); account_url is the account's URL once newAccount answered.
CREATE TABLE IF NOT EXISTS acme.account (
    registrar      TEXT NOT NULL,
    directory_url  TEXT NOT NULL,
    key_pem        TEXT,
    account_url    TEXT,
    created_date   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (registrar, directory_url)
);

-- One row per issue_certificate client_ref: what was asked, the CSR sent at
-- finalize (and the generated key it was made from, when the request gave no
-- CSR), the ACME order's URL once newOrder answered, and the result once the
-- certificate was downloaded. A retried job finds the row and resumes the
-- same order instead of placing another.
CREATE TABLE IF NOT EXISTS acme.certificate_order (
    client_ref     TEXT PRIMARY KEY,
    registrar      TEXT NOT NULL,
    directory_url  TEXT NOT NULL,
    request        JSONB NOT NULL,
    csr_pem        TEXT NOT NULL,
    key_pem        TEXT,
    order_url      TEXT,
    result         JSONB,
    created_date   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date   TIMESTAMPTZ NOT NULL DEFAULT now()
);
