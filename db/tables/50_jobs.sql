-- Jobs: the unit of work executors claim. One job per provision row (the
-- pre/ triggers create it); parent_id links child jobs of a multi-step job.

CREATE TABLE job_status (
    id          UUID NOT NULL DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL UNIQUE,
    descr       TEXT NOT NULL,
    is_success  BOOLEAN NOT NULL,
    is_final    BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO job_status (name, descr, is_success, is_final) VALUES
    ('queued',     'runnable once start_date has passed',          TRUE,  FALSE),
    ('processing', 'claimed by lease_owner until lease_expires_at', TRUE,  FALSE),
    ('completed',  'finished successfully',                        TRUE,  TRUE),
    ('failed',     'failed for good; result_message says why',     FALSE, TRUE);

CREATE TABLE job_type (
    id                   UUID NOT NULL DEFAULT gen_random_uuid(),
    name                 TEXT NOT NULL UNIQUE,
    descr                TEXT NOT NULL,
    -- the provision table whose row the job's reference_id points at
    reference_table      TEXT,
    -- called as <completion_function>(job) when the job completes; the
    -- failure path is generic (provision_fail)
    completion_function  TEXT,
    max_attempts         INT NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    PRIMARY KEY (id),
    CHECK ((reference_table IS NULL) = (completion_function IS NULL))
);

INSERT INTO job_type (name, descr, reference_table, completion_function, max_attempts) VALUES
    ('provision_domain',          'create a domain at the registry',   'provision_domain',          'provision_domain_complete',          5),
    ('provision_domain_renew',    'renew a domain',                    'provision_domain_renew',    'provision_domain_renew_complete',    5),
    ('provision_domain_transfer', 'transfer a domain in',              'provision_domain_transfer', 'provision_domain_transfer_complete', 5),
    ('provision_domain_restore',  'restore a domain from redemption',  'provision_domain_restore',  'provision_domain_restore_complete',  5),
    ('provision_domain_delete',   'delete a domain',                   'provision_domain_delete',   'provision_domain_delete_complete',   5),
    ('provision_domain_update',   'update a domain',                   'provision_domain_update',   'provision_domain_update_complete',   5),
    ('provision_contact',         'create a contact at the registry',  'provision_contact',         'provision_contact_complete',         5),
    ('provision_host',            'create a host at the registry',     'provision_host',            'provision_host_complete',            5),
    ('provision_ssl',             'issue an SSL certificate',          'provision_ssl',             'provision_ssl_complete',             10);

CREATE TABLE job (
    id                  UUID NOT NULL DEFAULT gen_random_uuid(),
    type_id             UUID NOT NULL REFERENCES job_type,
    status_id           UUID NOT NULL DEFAULT tc_id_from_name('job_status', 'queued')
                        REFERENCES job_status,
    -- the provision row (job_type.reference_table) this job works for
    reference_id        UUID,
    parent_id           UUID REFERENCES job,
    data                JSONB NOT NULL DEFAULT '{}',
    attempts            INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- NULL on insert means job_type.max_attempts (set by job_set_defaults)
    max_attempts        INT CHECK (max_attempts >= 1),
    -- not runnable before; pushed forward by retry backoff
    start_date          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- the executor holding (or, once final, last holding) the job; a job
    -- taken back by job_reclaim_expired or re-queued by job_fail has none
    lease_owner         TEXT,
    lease_expires_at    TIMESTAMPTZ,
    result_message      TEXT,
    result_data         JSONB,
    end_date            TIMESTAMPTZ,
    created_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_date        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);

-- claim: WHERE status_id = <queued> AND start_date <= now() ORDER BY start_date
CREATE INDEX job_claim_idx ON job (status_id, start_date);
-- reclaim: WHERE status_id = <processing> AND lease_expires_at < now()
CREATE INDEX job_lease_idx ON job (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX job_reference_idx ON job (reference_id);
CREATE INDEX job_parent_idx ON job (parent_id) WHERE parent_id IS NOT NULL;
