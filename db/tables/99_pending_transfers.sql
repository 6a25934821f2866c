-- Pending transfers and the end of redemption (issue 16).
--
-- A provision may now publish two outcomes: pending_action (the registry
-- answered "pending": a transfer waits for the losing registrar), then its
-- final one. At most one outcome per provision and status.
DROP INDEX IF EXISTS outbox_provision_id_idx;
CREATE UNIQUE INDEX outbox_provision_status_idx ON outbox (provision_id, status)
    WHERE provision_id IS NOT NULL;

-- The domains whose redemption period is over, found without reading the
-- history (domain_redemption_end, run by the executors).
CREATE INDEX domain_redemption_end_idx ON domain (redemption_end_date)
    WHERE status = 'redemption';

-- provision_domain_transfer_action: decide a pending transfer by request.
--   cancel: a transfer in this tenant_customer requested (provision_domain_transfer
--           waiting in pending_action; gaining registrar, EPP transfer op="cancel");
--   reject: a transfer away of a domain this tenant_customer holds, requested by
--           another registrar (losing registrar, EPP transfer op="reject").
CREATE TABLE provision_domain_transfer_action (
    name                    FQDN NOT NULL CHECK (tc_is_fqdn(name)),          -- request
    op                      TEXT NOT NULL,                                   -- request: cancel | reject
    accreditation_tld_id    UUID NOT NULL REFERENCES accreditation_tld,      -- derived
    domain_id               UUID REFERENCES domain,                          -- derived (reject: the domain held)
    transfer_id             UUID,                                            -- derived (cancel: the provision_domain_transfer)
    PRIMARY KEY (id),
    FOREIGN KEY (tenant_customer_id) REFERENCES tenant_customer,
    FOREIGN KEY (accreditation_id) REFERENCES accreditation,
    FOREIGN KEY (status_id) REFERENCES provision_status,
    FOREIGN KEY (job_id) REFERENCES job DEFERRABLE INITIALLY DEFERRED
) INHERITS (class.audit_trail, class.provision);

CREATE UNIQUE INDEX provision_domain_transfer_action_request_id_idx
    ON provision_domain_transfer_action (request_id);
CREATE INDEX provision_domain_transfer_action_name_idx ON provision_domain_transfer_action (name);

INSERT INTO job_type (name, descr, reference_table, completion_function, max_attempts) VALUES
    ('provision_domain_transfer_action', 'cancel or reject a pending transfer',
     'provision_domain_transfer_action', 'provision_domain_transfer_action_complete', 5);
