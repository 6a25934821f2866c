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
