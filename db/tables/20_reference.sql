-- Reference data: who asks (tenant, customer, tenant_customer), through
-- which registry connection (accreditation) and under which per-TLD rules
-- (accreditation_tld).

CREATE TABLE tenant (
    id              UUID NOT NULL DEFAULT gen_random_uuid(),
    name            TEXT NOT NULL UNIQUE,
    descr           TEXT,
    PRIMARY KEY (id)
) INHERITS (class.audit_trail);

CREATE TABLE customer (
    id              UUID NOT NULL DEFAULT gen_random_uuid(),
    name            TEXT NOT NULL,
    email           TEXT,
    PRIMARY KEY (id)
) INHERITS (class.audit_trail);

CREATE TABLE tenant_customer (
    id              UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_id       UUID NOT NULL REFERENCES tenant,
    customer_id     UUID NOT NULL REFERENCES customer,
    customer_number TEXT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (tenant_id, customer_id),
    UNIQUE (tenant_id, customer_number)
) INHERITS (class.audit_trail);

-- A registrar's connection to a registry (or to a certificate authority for
-- SSL). Requests name it by accreditation.name.
CREATE TABLE accreditation (
    id              UUID NOT NULL DEFAULT gen_random_uuid(),
    tenant_id       UUID NOT NULL REFERENCES tenant,
    name            TEXT NOT NULL UNIQUE,
    registry_name   TEXT NOT NULL,
    service_type    TEXT NOT NULL DEFAULT 'registry'
                    CHECK (service_type IN ('registry', 'certificate_authority')),
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id)
) INHERITS (class.audit_trail);

CREATE TABLE tld (
    id              UUID NOT NULL DEFAULT gen_random_uuid(),
    -- without the leading dot, lower case, may have several labels (co.uk)
    name            TEXT NOT NULL UNIQUE
                    CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$'),
    PRIMARY KEY (id)
) INHERITS (class.audit_trail);

-- The TLDs an accreditation serves, each with its own rules.
CREATE TABLE accreditation_tld (
    id                          UUID NOT NULL DEFAULT gen_random_uuid(),
    accreditation_id            UUID NOT NULL REFERENCES accreditation,
    tld_id                      UUID NOT NULL REFERENCES tld,
    -- registration (create) periods, in years
    registration_period_min     INT NOT NULL DEFAULT 1,
    registration_period_max     INT NOT NULL DEFAULT 10,
    -- renewal periods, in years
    renewal_period_min          INT NOT NULL DEFAULT 1,
    renewal_period_max          INT NOT NULL DEFAULT 10,
    -- periods a transfer-in request may carry, and the years the registry
    -- adds to the expiry on a completed transfer (0 = expiry unchanged)
    transfer_period_min         INT NOT NULL DEFAULT 1,
    transfer_period_max         INT NOT NULL DEFAULT 1,
    transfer_adds_years         INT NOT NULL DEFAULT 1,
    -- the expiry may never be further than this many years from now
    max_years_to_expiry         INT NOT NULL DEFAULT 10,
    -- days a deleted domain spends in redemption (restorable); 0 means a
    -- delete is final at once
    redemption_period_days      INT NOT NULL DEFAULT 30,
    -- whether a restore must carry a restore report (RFC 3915)
    restore_requires_report     BOOLEAN NOT NULL DEFAULT FALSE,
    -- nameserver count bounds on create/update
    nameservers_min             INT NOT NULL DEFAULT 0,
    nameservers_max             INT NOT NULL DEFAULT 13,
    is_active                   BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id),
    UNIQUE (accreditation_id, tld_id),
    CHECK (registration_period_min >= 1 AND registration_period_min <= registration_period_max),
    CHECK (renewal_period_min >= 1 AND renewal_period_min <= renewal_period_max),
    CHECK (transfer_period_min >= 0 AND transfer_period_min <= transfer_period_max),
    CHECK (transfer_adds_years >= 0),
    CHECK (max_years_to_expiry >= 1),
    CHECK (redemption_period_days >= 0),
    CHECK (nameservers_min >= 0 AND nameservers_min <= nameservers_max)
) INHERITS (class.audit_trail);

CREATE INDEX accreditation_tld_tld_idx ON accreditation_tld (tld_id);

-- accreditation_tld with the names validators and job data need.
CREATE VIEW v_accreditation_tld AS
SELECT at.id,
       at.accreditation_id,
       a.name  AS accreditation_name,
       a.tenant_id,
       at.tld_id,
       t.name  AS tld_name,
       at.registration_period_min,
       at.registration_period_max,
       at.renewal_period_min,
       at.renewal_period_max,
       at.transfer_period_min,
       at.transfer_period_max,
       at.transfer_adds_years,
       at.max_years_to_expiry,
       at.redemption_period_days,
       at.restore_requires_report,
       at.nameservers_min,
       at.nameservers_max,
       (at.is_active AND a.is_active) AS is_active
  FROM accreditation_tld at
  JOIN accreditation a ON a.id = at.accreditation_id
  JOIN tld t ON t.id = at.tld_id;
