-- Host and contact update/delete (issue 16), and child jobs: the tables and
-- job types of the four new actions, and what parent/child jobs need.

-- provision_host_update: replace the addresses of a host this tenant_customer holds.
CREATE TABLE provision_host_update (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    addresses               INET[] NOT NULL DEFAULT '{}',                    -- request (the full new list)
    host_id                 UUID,                                            -- derived
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (host_id) REFERENCES host ON DELETE SET NULL
) INHERITS (class.audit_trail, class.provision);

-- provision_host_delete: delete a host no domain uses.
CREATE TABLE provision_host_delete (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    host_id                 UUID,                                            -- derived (NULL once deleted)
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (host_id) REFERENCES host ON DELETE SET NULL
) INHERITS (class.audit_trail, class.provision);

-- provision_contact_update: change a contact this tenant_customer holds.
-- NULL means "leave unchanged".
CREATE TABLE provision_contact_update (
    handle                  TEXT NOT NULL,                                   -- request
    name                    TEXT,                                            -- request
    organization            TEXT,                                            -- request
    email                   TEXT,                                            -- request
    phone                   TEXT,                                            -- request (+CC.NUMBER)
    fax                     TEXT,                                            -- request (+CC.NUMBER)
    street1                 TEXT,                                            -- request
    street2                 TEXT,                                            -- request
    street3                 TEXT,                                            -- request
    city                    TEXT,                                            -- request
    state_province          TEXT,                                            -- request
    postal_code             TEXT,                                            -- request
    country_code            TEXT,                                            -- request (ISO 3166-1 alpha-2)
    pw                      TEXT,                                            -- request (new auth code)
    contact_id              UUID,                                            -- derived
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (contact_id) REFERENCES contact ON DELETE SET NULL
) INHERITS (class.audit_trail, class.provision);

-- provision_contact_delete: delete a contact no domain uses.
CREATE TABLE provision_contact_delete (
    handle                  TEXT NOT NULL,                                   -- request
    contact_id              UUID,                                            -- derived (NULL once deleted)
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (contact_id) REFERENCES contact ON DELETE SET NULL
) INHERITS (class.audit_trail, class.provision);

CREATE UNIQUE INDEX provision_host_update_request_id_idx    ON provision_host_update (request_id);
CREATE UNIQUE INDEX provision_host_delete_request_id_idx    ON provision_host_delete (request_id);
CREATE UNIQUE INDEX provision_contact_update_request_id_idx ON provision_contact_update (request_id);
CREATE UNIQUE INDEX provision_contact_delete_request_id_idx ON provision_contact_delete (request_id);
-- the "already pending for this object" lookups
CREATE INDEX provision_host_update_name_idx      ON provision_host_update (accreditation_id, name);
CREATE INDEX provision_host_delete_name_idx      ON provision_host_delete (accreditation_id, name);
CREATE INDEX provision_contact_update_handle_idx ON provision_contact_update (accreditation_id, handle);
CREATE INDEX provision_contact_delete_handle_idx ON provision_contact_delete (accreditation_id, handle);

-- A deleted host or contact row is gone (the audit log keeps it); the
-- provisions that created it keep its name or handle.
ALTER TABLE provision_host DROP CONSTRAINT provision_host_host_id_fkey,
    ADD CONSTRAINT provision_host_host_id_fkey FOREIGN KEY (host_id) REFERENCES host ON DELETE SET NULL;
ALTER TABLE provision_contact DROP CONSTRAINT provision_contact_contact_id_fkey,
    ADD CONSTRAINT provision_contact_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES contact ON DELETE SET NULL;
-- what those ON DELETE SET NULL actions look up
CREATE INDEX provision_host_host_id_idx ON provision_host (host_id) WHERE host_id IS NOT NULL;
CREATE INDEX provision_host_update_host_id_idx ON provision_host_update (host_id) WHERE host_id IS NOT NULL;
CREATE INDEX provision_host_delete_host_id_idx ON provision_host_delete (host_id) WHERE host_id IS NOT NULL;
CREATE INDEX provision_contact_contact_id_idx ON provision_contact (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX provision_contact_update_contact_id_idx ON provision_contact_update (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX provision_contact_delete_contact_id_idx ON provision_contact_delete (contact_id) WHERE contact_id IS NOT NULL;

-- "In use" lookups (index scans however many domains there are):
-- the live domains naming a host, or a contact in any role; the hosts under a domain.
CREATE INDEX domain_nameservers_idx ON domain USING GIN (nameservers) WHERE status <> 'deleted';
CREATE INDEX domain_contacts_idx ON domain
    USING GIN ((ARRAY[registrant, admin_contact, tech_contact, billing_contact]))
    WHERE status <> 'deleted';
CREATE INDEX host_domain_idx ON host (domain_id) WHERE domain_id IS NOT NULL;

-- Child jobs (job.parent_id): how a child's failure for good rolls up.
--   hard: the provision fails with the child's reason and so does the parent job
--         (it never runs);
--   soft: recorded on the child only; the parent runs once every child is final.
-- A no-op parent has nothing of its own to send: it completes (and its
-- completion function runs) when its last child completes, without an executor.
ALTER TABLE job ADD COLUMN child_failure TEXT NOT NULL DEFAULT 'hard'
    CHECK (child_failure IN ('hard', 'soft'));
ALTER TABLE job ADD COLUMN is_noop BOOLEAN NOT NULL DEFAULT FALSE;

INSERT INTO job_type (name, descr, reference_table, completion_function, max_attempts) VALUES
    ('provision_host_update',    'change the addresses of a host',  'provision_host_update',    'provision_host_update_complete',    5),
    ('provision_host_delete',    'delete a host',                   'provision_host_delete',    'provision_host_delete_complete',    5),
    ('provision_contact_update', 'change a contact',                'provision_contact_update', 'provision_contact_update_complete', 5),
    ('provision_contact_delete', 'delete a contact',                'provision_contact_delete', 'provision_contact_delete_complete', 5),
    -- child jobs: reference_id is the parent's provision
    ('domain_delete_unlink_hosts', 'child of a domain delete: remove its own subordinate hosts from its name servers',
        'provision_domain_delete', 'domain_delete_unlink_hosts_complete', 5),
    ('domain_delete_host',       'child of a domain delete: delete one subordinate host',
        'provision_domain_delete', 'domain_delete_host_complete', 5),
    ('domain_update_host',       'child of a domain update: create one glue host',
        'provision_domain_update', 'domain_update_host_complete', 5);

-- Glue for a domain update: in-zone name servers to create first, with their
-- addresses, e.g. {"ns1.example.com": ["192.0.2.1"]}.
ALTER TABLE provision_domain_update ADD COLUMN new_hosts JSONB;
