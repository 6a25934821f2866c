-- Objects that successful provisions create or change. Only the completion
-- functions in db/stored-procedures/post/ write them.

-- Contacts at a registry. Domains refer to contacts by handle (the registry
-- contact id), unique per accreditation.
CREATE TABLE contact (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_customer_id  UUID NOT NULL REFERENCES tenant_customer,
    accreditation_id    UUID NOT NULL REFERENCES accreditation,
    handle              TEXT NOT NULL,
    roid                TEXT,
    name                TEXT NOT NULL,
    organization        TEXT,
    email               TEXT NOT NULL,
    phone               TEXT,
    fax                 TEXT,
    street1             TEXT,
    street2             TEXT,
    street3             TEXT,
    city                TEXT NOT NULL,
    state_province      TEXT,
    postal_code         TEXT,
    country_code        CHAR(2) NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    auth_info           TEXT,
    ry_created_date     TIMESTAMPTZ,
    PRIMARY KEY (id),
    UNIQUE (accreditation_id, handle)
) INHERITS (class.audit_trail);

CREATE INDEX contact_tenant_customer_idx ON contact (tenant_customer_id);

CREATE TABLE domain (
    id                   UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_customer_id   UUID NOT NULL REFERENCES tenant_customer,
    accreditation_tld_id UUID NOT NULL REFERENCES accreditation_tld,
    name                 FQDN NOT NULL CHECK (tc_is_fqdn(name)),
    roid                 TEXT,
    auth_info            TEXT,
    ry_created_date      TIMESTAMPTZ,
    ry_expiry_date       TIMESTAMPTZ,
    ry_updated_date      TIMESTAMPTZ,
    ry_transfered_date   TIMESTAMPTZ,
    status               TEXT NOT NULL DEFAULT 'ok'
                         CHECK (status IN ('ok', 'pending_transfer', 'redemption', 'deleted')),
    deleted_date         TIMESTAMPTZ,
    redemption_end_date  TIMESTAMPTZ,
    nameservers          TEXT[] NOT NULL DEFAULT '{}',
    -- contact handles (see contact.handle)
    registrant           TEXT,
    admin_contact        TEXT,
    tech_contact         TEXT,
    billing_contact      TEXT,
    -- EPP client statuses, e.g. clientTransferProhibited
    locks                TEXT[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (id)
) INHERITS (class.audit_trail);

-- One live (not deleted) domain per name; deleted rows stay for history.
CREATE UNIQUE INDEX domain_live_name_idx ON domain (name) WHERE status <> 'deleted';
CREATE INDEX domain_tenant_customer_idx ON domain (tenant_customer_id);

-- Hosts (nameserver objects) at a registry.
CREATE TABLE host (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_customer_id  UUID NOT NULL REFERENCES tenant_customer,
    accreditation_id    UUID NOT NULL REFERENCES accreditation,
    name                FQDN NOT NULL CHECK (tc_is_fqdn(name)),
    roid                TEXT,
    addresses           INET[] NOT NULL DEFAULT '{}',
    domain_id           UUID REFERENCES domain,
    ry_created_date     TIMESTAMPTZ,
    PRIMARY KEY (id),
    UNIQUE (accreditation_id, name)
) INHERITS (class.audit_trail);

CREATE INDEX host_tenant_customer_idx ON host (tenant_customer_id);

CREATE TABLE certificate (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_customer_id  UUID NOT NULL REFERENCES tenant_customer,
    accreditation_id    UUID NOT NULL REFERENCES accreditation,
    common_name         TEXT NOT NULL,
    sans                TEXT[] NOT NULL DEFAULT '{}',
    serial              TEXT,
    not_before          TIMESTAMPTZ,
    not_after           TIMESTAMPTZ,
    key_type            TEXT,
    pem                 TEXT,
    chain_pem           TEXT,
    PRIMARY KEY (id),
    CHECK (not_after IS NULL OR not_before IS NULL OR not_after > not_before)
) INHERITS (class.audit_trail);

CREATE INDEX certificate_common_name_idx ON certificate (common_name);
CREATE INDEX certificate_tenant_customer_idx ON certificate (tenant_customer_id);
