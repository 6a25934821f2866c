-- The provisioning module: class.provision and one provision_* table per
-- action. Every row is one request; its triggers (db/triggers/20_provision.sql)
-- validate it, create its job, and write its outcome to the outbox.
--
-- Columns a request supplies are marked "request"; "derived" columns are
-- filled by the validation trigger; "result" columns by the completion.

CREATE TABLE class.provision (
    id                      UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    accreditation_id        UUID NOT NULL REFERENCES accreditation,          -- request
    tenant_customer_id      UUID NOT NULL REFERENCES tenant_customer,        -- request
    provisioned_date        TIMESTAMPTZ,
    status_id               UUID NOT NULL DEFAULT tc_id_from_name('provision_status', 'pending')
                            REFERENCES provision_status,
    roid                    TEXT,
    job_id                  UUID REFERENCES job,
    order_item_plan_ids     UUID[],                                          -- request
    result_message          TEXT,
    result_data             JSONB,
    -- reliability
    request_id              UUID NOT NULL,                                   -- request (idempotency key)
    attempt_count           INT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    order_metadata          JSONB,                                           -- request (may hold order_id)
    traceparent             TEXT                                             -- request (W3C trace context)
);

COMMENT ON TABLE class.provision IS
    'Parent of every provision_* table (never holds rows itself). request_id is unique per child table.';

-- provision_domain: create (register) a domain.
CREATE TABLE provision_domain (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    registration_period     INT NOT NULL DEFAULT 1,                          -- request
    pw                      TEXT NOT NULL DEFAULT tc_gen_password(16),       -- request (auth code)
    is_complete             BOOLEAN NOT NULL DEFAULT FALSE,
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived from name
    ry_created_date         TIMESTAMPTZ,                                     -- result
    ry_expiry_date          TIMESTAMPTZ,                                     -- result
    -- contact handles (contact.handle, same accreditation and tenant_customer)
    registrant              TEXT,                                            -- request
    admin_contact           TEXT,                                            -- request
    tech_contact            TEXT,                                            -- request
    billing_contact         TEXT,                                            -- request
    nameservers             TEXT[] NOT NULL DEFAULT '{}',                    -- request (host names)
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_domain_renew: renew a domain this tenant_customer holds.
CREATE TABLE provision_domain_renew (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    period                  INT NOT NULL DEFAULT 1,                          -- request (years)
    current_expiry_date     DATE NOT NULL,                                   -- request (as the client knows it; NULL = the domain's)
    domain_id               UUID NOT NULL REFERENCES domain,                 -- derived
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    ry_expiry_date          TIMESTAMPTZ,                                     -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_domain_transfer: transfer a domain in.
CREATE TABLE provision_domain_transfer (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    pw                      TEXT NOT NULL,                                   -- request (auth code from the losing registrar)
    period                  INT NOT NULL,                                    -- request (years; NULL = the TLD's transfer_period_min)
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    domain_id               UUID REFERENCES domain,                          -- derived (when the name is already known here)
    ry_created_date         TIMESTAMPTZ,                                     -- result
    ry_expiry_date          TIMESTAMPTZ,                                     -- result
    ry_transfered_date      TIMESTAMPTZ,                                     -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_domain_restore: restore a domain from redemption.
CREATE TABLE provision_domain_restore (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    -- RFC 3915 report; required when accreditation_tld.restore_requires_report.
    -- Keys: pre_data, post_data, delete_time, restore_time, reason
    -- (required), statements (array), other.
    restore_report          JSONB,                                           -- request
    domain_id               UUID NOT NULL REFERENCES domain,                 -- derived
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    ry_expiry_date          TIMESTAMPTZ,                                     -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_domain_delete: delete a domain (into redemption when the TLD has one).
CREATE TABLE provision_domain_delete (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    domain_id               UUID NOT NULL REFERENCES domain,                 -- derived
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    redemption_end_date     TIMESTAMPTZ,                                     -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_domain_update: change nameservers, contacts, auth code, locks.
-- NULL means "leave unchanged"; an empty nameservers array removes them all.
CREATE TABLE provision_domain_update (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    nameservers             TEXT[],                                          -- request
    registrant              TEXT,                                            -- request
    admin_contact           TEXT,                                            -- request
    tech_contact            TEXT,                                            -- request
    billing_contact         TEXT,                                            -- request
    pw                      TEXT,                                            -- request (new auth code)
    add_locks               TEXT[] NOT NULL DEFAULT '{}',                    -- request
    remove_locks            TEXT[] NOT NULL DEFAULT '{}',                    -- request
    domain_id               UUID NOT NULL REFERENCES domain,                 -- derived
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_contact: create a contact at the registry.
CREATE TABLE provision_contact (
    handle                  TEXT NOT NULL DEFAULT ('c' || substr(md5(gen_random_uuid()::TEXT), 1, 15)), -- request
    name                    TEXT NOT NULL,                                   -- request
    organization            TEXT,                                            -- request
    email                   TEXT NOT NULL,                                   -- request
    phone                   TEXT,                                            -- request (+CC.NUMBER)
    fax                     TEXT,                                            -- request (+CC.NUMBER)
    street1                 TEXT,                                            -- request
    street2                 TEXT,                                            -- request
    street3                 TEXT,                                            -- request
    city                    TEXT NOT NULL,                                   -- request
    state_province          TEXT,                                            -- request
    postal_code             TEXT,                                            -- request
    country_code            TEXT NOT NULL,                                   -- request (ISO 3166-1 alpha-2)
    pw                      TEXT NOT NULL DEFAULT tc_gen_password(16),       -- request (auth code)
    contact_id              UUID REFERENCES contact,                         -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_host: create a host (nameserver) at the registry.
CREATE TABLE provision_host (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    addresses               INET[] NOT NULL DEFAULT '{}',                    -- request
    domain_id               UUID REFERENCES domain,                          -- derived (superordinate domain, in-zone hosts)
    host_id                 UUID REFERENCES host,                            -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job
) INHERITS (class.audit_trail, class.provision);

-- provision_ssl: issue an SSL certificate.
CREATE TABLE provision_ssl (
    common_name             TEXT NOT NULL,                                   -- request (may be *.name)
    sans                    TEXT[] NOT NULL DEFAULT '{}',                    -- request
    csr_pem                 TEXT,                                            -- request (either this ...
    key_type                TEXT,                                            -- request  ... or this; default ecdsa-p256)
    validity_days           INT NOT NULL DEFAULT 365,                        -- request
    validation_method       TEXT NOT NULL DEFAULT 'dns'
                            CHECK (validation_method IN ('dns', 'http', 'email')), -- request
    certificate_id          UUID REFERENCES certificate,                     -- result
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job,
    CHECK (key_type IS NULL OR key_type IN ('rsa2048', 'rsa3072', 'rsa4096', 'ecdsa-p256', 'ecdsa-p384'))
) INHERITS (class.audit_trail, class.provision);

-- Indexes are not inherited: one request_id per table, and lookups by name
-- for the "already pending" checks.
CREATE UNIQUE INDEX provision_domain_request_id_idx          ON provision_domain (request_id);
CREATE UNIQUE INDEX provision_domain_renew_request_id_idx    ON provision_domain_renew (request_id);
CREATE UNIQUE INDEX provision_domain_transfer_request_id_idx ON provision_domain_transfer (request_id);
CREATE UNIQUE INDEX provision_domain_restore_request_id_idx  ON provision_domain_restore (request_id);
CREATE UNIQUE INDEX provision_domain_delete_request_id_idx   ON provision_domain_delete (request_id);
CREATE UNIQUE INDEX provision_domain_update_request_id_idx   ON provision_domain_update (request_id);
CREATE UNIQUE INDEX provision_contact_request_id_idx         ON provision_contact (request_id);
CREATE UNIQUE INDEX provision_host_request_id_idx            ON provision_host (request_id);
CREATE UNIQUE INDEX provision_ssl_request_id_idx             ON provision_ssl (request_id);

CREATE INDEX provision_domain_name_idx          ON provision_domain (name);
CREATE INDEX provision_domain_renew_name_idx    ON provision_domain_renew (name);
CREATE INDEX provision_domain_transfer_name_idx ON provision_domain_transfer (name);
CREATE INDEX provision_domain_restore_name_idx  ON provision_domain_restore (name);
CREATE INDEX provision_domain_delete_name_idx   ON provision_domain_delete (name);
CREATE INDEX provision_domain_update_name_idx   ON provision_domain_update (name);
CREATE INDEX provision_contact_handle_idx       ON provision_contact (accreditation_id, handle);
CREATE INDEX provision_host_name_idx            ON provision_host (accreditation_id, name);
