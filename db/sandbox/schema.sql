-- The sandbox backend's registry and certificate authority: a registry test
-- environment kept in PostgreSQL (executors/backends/sandbox.py).
--
-- Not part of the product's migrations: SandboxBackend.install() applies this
-- file (under an advisory lock) whenever a backend starts, so every statement
-- is idempotent: IF NOT EXISTS, seed rows ON CONFLICT DO NOTHING.

CREATE SCHEMA IF NOT EXISTS sandbox;

-- One sequence numbers every repository object id (roid): D<n>-SANDBOX,
-- C<n>-SANDBOX, H<n>-SANDBOX.
CREATE SEQUENCE IF NOT EXISTS sandbox.roid_seq;

-- The zones the sandbox serves and their policy.
CREATE TABLE IF NOT EXISTS sandbox.tld (
    name                TEXT PRIMARY KEY,
    -- days a deleted domain stays restorable; 0: a delete is final
    redemption_days     INT NOT NULL CHECK (redemption_days >= 0),
    -- the furthest an expiry may lie in the future, in years
    max_years           INT NOT NULL DEFAULT 10 CHECK (max_years >= 1),
    -- years a transfer adds; 0: the transfer period must be 0
    transfer_adds_years INT NOT NULL DEFAULT 1 CHECK (transfer_adds_years >= 0)
);

INSERT INTO sandbox.tld (name, redemption_days, max_years, transfer_adds_years)
VALUES ('com', 30, 10, 1),
       ('net', 0, 10, 1),
       ('org', 30, 10, 1),
       ('io', 30, 10, 1),
       ('dev', 30, 10, 0)
ON CONFLICT (name) DO NOTHING;

-- Domains. A name is unique among live rows (ok, redemption); a purged
-- domain stays as a 'deleted' row and the name can be registered again.
CREATE TABLE IF NOT EXISTS sandbox.domain (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL,
    tld            TEXT NOT NULL REFERENCES sandbox.tld (name),
    roid           TEXT NOT NULL UNIQUE,
    registrar      TEXT NOT NULL,
    auth_info      TEXT NOT NULL,
    created_date   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expiry_date    TIMESTAMPTZ NOT NULL,
    updated_date   TIMESTAMPTZ,
    transfer_date  TIMESTAMPTZ,
    status         TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'redemption', 'deleted')),
    redemption_end TIMESTAMPTZ,
    nameservers    TEXT[] NOT NULL DEFAULT '{}',
    -- {"registrant": handle, "admin": handle, "tech": handle, "billing": handle}
    contacts       JSONB NOT NULL DEFAULT '{}',
    -- EPP client statuses, e.g. clientTransferProhibited
    locks          TEXT[] NOT NULL DEFAULT '{}',
    CHECK (status <> 'redemption' OR redemption_end IS NOT NULL)
);

CREATE UNIQUE INDEX IF NOT EXISTS domain_live_name_idx
    ON sandbox.domain (name) WHERE status <> 'deleted';
CREATE INDEX IF NOT EXISTS domain_registrar_idx ON sandbox.domain (registrar);

CREATE TABLE IF NOT EXISTS sandbox.contact (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registrar    TEXT NOT NULL,
    handle       TEXT NOT NULL,
    roid         TEXT NOT NULL UNIQUE,
    -- the contact as given: name, organization, email, phone, fax, address, auth_info
    fields       JSONB NOT NULL DEFAULT '{}',
    created_date TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (registrar, handle)
);

CREATE TABLE IF NOT EXISTS sandbox.host (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    roid         TEXT NOT NULL UNIQUE,
    registrar    TEXT NOT NULL,
    addresses    INET[] NOT NULL DEFAULT '{}',
    created_date TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- "In use" lookups: the live domains naming a host, or a contact in a role;
-- the hosts under a domain (by reversed name: a prefix search).
CREATE INDEX IF NOT EXISTS domain_nameservers_idx
    ON sandbox.domain USING GIN (nameservers) WHERE status <> 'deleted';
CREATE INDEX IF NOT EXISTS domain_contacts_idx
    ON sandbox.domain USING GIN (contacts jsonb_path_ops) WHERE status <> 'deleted';
CREATE INDEX IF NOT EXISTS host_reversed_name_idx
    ON sandbox.host (reverse(name) text_pattern_ops);

-- The sandbox CA: one row, created once by the first backend that starts.
CREATE TABLE IF NOT EXISTS sandbox.ca (
    id              BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    key_pem         TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_date    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Certificates the CA issued. private_key_pem is set only when the sandbox
-- generated the key (no CSR given); it never leaves this table.
CREATE TABLE IF NOT EXISTS sandbox.certificate (
    serial          TEXT PRIMARY KEY,
    registrar       TEXT NOT NULL,
    common_name     TEXT NOT NULL,
    sans            TEXT[] NOT NULL DEFAULT '{}',
    key_type        TEXT NOT NULL,
    not_before      TIMESTAMPTZ NOT NULL,
    not_after       TIMESTAMPTZ NOT NULL,
    certificate_pem TEXT NOT NULL,
    private_key_pem TEXT,
    created_date    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (not_after > not_before)
);

CREATE INDEX IF NOT EXISTS certificate_common_name_idx ON sandbox.certificate (common_name);

-- The idempotency log: one row per client_ref (the provision id) with the
-- result the first call returned; a retried call returns it again.
CREATE TABLE IF NOT EXISTS sandbox.transaction (
    client_ref TEXT PRIMARY KEY,
    operation  TEXT NOT NULL,
    registrar  TEXT NOT NULL,
    request    JSONB NOT NULL,
    result     JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Transfer requests that the registry answered "pending" (EPP 1001): each waits
-- for the losing registrar (approve, reject) or the gaining one (cancel), and
-- is approved by the server at auto_approve_date if nobody decides.
-- status: EPP's trStatus (pending, clientApproved, clientRejected,
-- clientCancelled, serverApproved, serverCancelled).
CREATE TABLE IF NOT EXISTS sandbox.transfer (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id         BIGINT NOT NULL REFERENCES sandbox.domain (id),
    name              TEXT NOT NULL,
    gaining_registrar TEXT NOT NULL,
    losing_registrar  TEXT NOT NULL,
    period            INT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    requested_date    TIMESTAMPTZ NOT NULL DEFAULT now(),
    auto_approve_date TIMESTAMPTZ NOT NULL,
    action_date       TIMESTAMPTZ
);

-- one pending transfer per domain; the due ones, found without a scan
CREATE UNIQUE INDEX IF NOT EXISTS transfer_pending_domain_idx
    ON sandbox.transfer (domain_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS transfer_pending_name_idx
    ON sandbox.transfer (name) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS transfer_pending_due_idx
    ON sandbox.transfer (auto_approve_date) WHERE status = 'pending';

-- Each registrar's poll queue (EPP <poll>): a message stays until acknowledged.
-- body: the transfer's data (trnData), and for the gaining registrar of an
-- approved transfer the domain as it now is, its new auth code included.
CREATE TABLE IF NOT EXISTS sandbox.message (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registrar    TEXT NOT NULL,
    body         JSONB NOT NULL,
    created_date TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS message_registrar_idx ON sandbox.message (registrar, id);

-- Executors may log in as members of provisioning_executor (db/roles.sql);
-- the role exists only where the product's roles were applied.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'provisioning_executor') THEN
        GRANT USAGE ON SCHEMA sandbox TO provisioning_executor;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sandbox TO provisioning_executor;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA sandbox TO provisioning_executor;
    END IF;
END;
$$;
