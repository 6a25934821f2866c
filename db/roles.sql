-- Roles and grants. Idempotent: re-applied after every change, possibly by
-- several databases of one cluster at once (roles are cluster-wide).
-- The roles are NOLOGIN group roles; a service logs in as its own user that
-- is a member of one of them. Migrations run as the owner of the objects.
--
--   provisioning_ingest         records requests: INSERT/SELECT on provision_*,
--                               SELECT on reference data, provision_reject().
--                               Cannot touch jobs or the outbox directly; the
--                               triggers that do are SECURITY DEFINER.
--   provisioning_executor       runs jobs through job_claim/heartbeat/complete/
--                               fail/reclaim_expired; reads jobs and reference
--                               data; cannot insert provisions.
--   provisioning_relay          publishes the outbox: SELECT, UPDATE (sent_date);
--                               counts and parks rows it cannot publish.
--   provisioning_order_service  the orders schema, orders.apply_outcome() and
--                               placing orders (orders.unavailable_domains(),
--                               orders.fail_unrequested()); reads the
--                               order-status outbox the triggers write.
--   provisioning_requester      asks for provision actions through the request
--                               outbox (producers/outbox.py): INSERT on four
--                               columns of action_request_outbox, nothing else.
--                               Granted (INHERIT) to a component's own login
--                               role, so one transaction writes the component's
--                               tables and its requests; not a SET ROLE target.
--
--   provisioning_app            the login of the components: NOINHERIT, so it has
--                               no rights of its own; each component does SET ROLE
--                               to its role above (PROVISIONING_DATABASE_SET_ROLE).
--                               Created without a password: set one
--                               (ALTER ROLE provisioning_app PASSWORD '...') or make
--                               your own login role the same way.

DO $$
DECLARE
    v_role TEXT;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['provisioning_ingest', 'provisioning_executor',
                                  'provisioning_relay', 'provisioning_order_service',
                                  'provisioning_requester'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION
                -- created meanwhile by a concurrent session
                WHEN duplicate_object OR unique_violation THEN NULL;
            END;
        END IF;
    END LOOP;
END;
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'provisioning_app') THEN
        BEGIN
            CREATE ROLE provisioning_app LOGIN NOINHERIT;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END IF;
END;
$$;
GRANT provisioning_ingest, provisioning_executor, provisioning_relay, provisioning_order_service
   TO provisioning_app;

-- Nobody but the granted roles may run the SECURITY DEFINER entry points.
REVOKE ALL ON FUNCTION job_claim(TEXT, INT, INTERVAL, TEXT[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_heartbeat(TEXT, UUID[], INTERVAL) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_complete(UUID, TEXT, JSONB, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_complete_many(TEXT, UUID[], JSONB[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_fail(UUID, TEXT, TEXT, JSONB, BOOLEAN, INTERVAL, INTERVAL) FROM PUBLIC;
REVOKE ALL ON FUNCTION job_reclaim_expired(INTERVAL) FROM PUBLIC;
REVOKE ALL ON FUNCTION provision_domain_transfer_resolve(TEXT, TEXT, TEXT, JSONB, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION domain_redemption_sweep(INT) FROM PUBLIC;
REVOKE ALL ON FUNCTION domain_transferred_away(TEXT, TEXT, TIMESTAMPTZ) FROM PUBLIC;
REVOKE ALL ON FUNCTION provision_reject(UUID, UUID, TEXT, TEXT, TEXT, TEXT, UUID[], JSONB, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION orders.apply_outcome(UUID, UUID, UUID[], TEXT, TEXT, JSONB) FROM PUBLIC;
REVOKE ALL ON FUNCTION orders.release_plans(UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION orders.emit_order_status(UUID) FROM PUBLIC;
REVOKE ALL ON FUNCTION orders.fail_unrequested(UUID, TEXT) FROM PUBLIC;
REVOKE ALL ON FUNCTION orders.unavailable_domains(TEXT[]) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO provisioning_ingest, provisioning_executor,
                                provisioning_relay, provisioning_order_service,
                                provisioning_requester;

-- ingest
GRANT SELECT ON tenant, customer, tenant_customer, accreditation, tld, accreditation_tld,
                v_accreditation_tld, provision_status
   TO provisioning_ingest;
GRANT SELECT, INSERT ON provision_domain, provision_domain_renew, provision_domain_transfer,
                        provision_domain_restore, provision_domain_delete, provision_domain_update,
                        provision_contact, provision_host, provision_ssl,
                        provision_domain_transfer_action,
                        provision_host_update, provision_host_delete,
                        provision_contact_update, provision_contact_delete
   TO provisioning_ingest;
GRANT SELECT ON provision_rejection TO provisioning_ingest;
-- ingest's dedupe before a batch (queries/ingest.sql existing_request_ids)
GRANT SELECT ON request_ids TO provisioning_ingest;
GRANT EXECUTE ON FUNCTION provision_reject(UUID, UUID, TEXT, TEXT, TEXT, TEXT, UUID[], JSONB, TEXT)
   TO provisioning_ingest;
-- class.provision: read every provision table at once (queries/provision.sql get_by_request_id)
GRANT USAGE ON SCHEMA class TO provisioning_ingest, provisioning_executor;
GRANT SELECT ON class.provision TO provisioning_ingest, provisioning_executor;

-- executor
GRANT SELECT ON tenant, customer, tenant_customer, accreditation, tld, accreditation_tld,
                v_accreditation_tld, job, job_type, job_status, provision_status
   TO provisioning_executor;
GRANT EXECUTE ON FUNCTION job_claim(TEXT, INT, INTERVAL, TEXT[]),
                          job_heartbeat(TEXT, UUID[], INTERVAL),
                          job_complete(UUID, TEXT, JSONB, TEXT),
                          job_complete_many(TEXT, UUID[], JSONB[]),
                          job_fail(UUID, TEXT, TEXT, JSONB, BOOLEAN, INTERVAL, INTERVAL),
                          job_reclaim_expired(INTERVAL)
   TO provisioning_executor;
-- what the registries' poll queues say of pending transfers, and the end of
-- redemption periods (executors/registry_poll.py)
GRANT EXECUTE ON FUNCTION provision_domain_transfer_resolve(TEXT, TEXT, TEXT, JSONB, TEXT),
                          domain_transferred_away(TEXT, TEXT, TIMESTAMPTZ),
                          domain_redemption_sweep(INT)
   TO provisioning_executor;

-- relay
GRANT SELECT, UPDATE (sent_date) ON outbox TO provisioning_relay;
GRANT USAGE ON SCHEMA orders TO provisioning_relay;
GRANT SELECT, UPDATE (sent_date) ON orders.request_outbox TO provisioning_relay;
GRANT SELECT, UPDATE (sent_date) ON action_request_outbox TO provisioning_relay;
GRANT SELECT, UPDATE (sent_date) ON orders.status_outbox TO provisioning_relay;
-- the failed attempts of a row, and parking it (producers/relay.py)
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox_parked TO provisioning_relay;

-- order service
GRANT USAGE ON SCHEMA orders TO provisioning_order_service;
GRANT SELECT ON orders.order_status, orders.order_item_status, orders.order_item_plan_status,
                orders.processed_event
   TO provisioning_order_service;
GRANT SELECT, INSERT, UPDATE ON orders."order", orders.order_item, orders.order_item_plan
   TO provisioning_order_service;
GRANT EXECUTE ON FUNCTION orders.apply_outcome(UUID, UUID, UUID[], TEXT, TEXT, JSONB),
                          orders.release_plans(UUID),
                          orders.fail_unrequested(UUID, TEXT),
                          orders.unavailable_domains(TEXT[])
   TO provisioning_order_service;
-- the order-status outbox is written by the status triggers (SECURITY DEFINER,
-- orders.emit_order_status); the order service may read it, not write it
GRANT SELECT ON orders.status_outbox TO provisioning_order_service;

-- requester: writes requests into the outbox, in its own transaction; cannot read
-- them back, mark them sent or choose their id or dates
GRANT INSERT (request_id, message_key, request, traceparent) ON action_request_outbox
   TO provisioning_requester;

-- every consumer-group member (consumers/loop.py): its in-flight offsets and its
-- dead-letter record
GRANT SELECT, INSERT, UPDATE, DELETE ON consumer_inflight
   TO provisioning_ingest, provisioning_order_service;
GRANT SELECT, INSERT, UPDATE ON dead_letter TO provisioning_ingest, provisioning_order_service;
GRANT USAGE ON SEQUENCE dead_letter_id_seq TO provisioning_ingest, provisioning_order_service;
