-- Demo and test reference data. Applied on request only; idempotent.
-- Fixed, readable ids: the first digit says what the row is
--   1... tenant, 2... customer, 3... tenant_customer, 4... accreditation,
--   5... tld, 6... accreditation_tld.
--
-- tenant alpha: customers alice (30..01) and bob (30..02);
--   accreditation alpha-registry serves com, net, org, io, dev;
--   accreditation alpha-ssl is a certificate authority (provision_ssl).
-- tenant beta: customer carol (30..03);
--   accreditation beta-registry serves com and org.
--
-- TLD rules (alpha-registry):
--   tld  register renew transfer adds max  redemption report nameservers
--   com  1..10    1..10 1..1     1    10   30 days    no     0..13
--   net  2..10    1..10 1..1     1    10   none (0)   no     0..13
--   org  1..10    1..10 1..1     1    10   30 days    yes    0..13
--   io   1..5     1..5  1..1     1    10   30 days    no     2..13
--   dev  1..10    1..10 0..0     0    10   30 days    no     0..13
-- beta-registry: com and org with the same rules as alpha-registry.

INSERT INTO tenant (id, name, descr) VALUES
    ('10000000-0000-4000-8000-000000000001', 'alpha', 'demo registrar tenant alpha'),
    ('10000000-0000-4000-8000-000000000002', 'beta',  'demo registrar tenant beta')
ON CONFLICT DO NOTHING;

INSERT INTO customer (id, name) VALUES
    ('20000000-0000-4000-8000-000000000001', 'alice'),
    ('20000000-0000-4000-8000-000000000002', 'bob'),
    ('20000000-0000-4000-8000-000000000003', 'carol')
ON CONFLICT DO NOTHING;

INSERT INTO tenant_customer (id, tenant_id, customer_id, customer_number) VALUES
    ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000001', 'alpha-alice'),
    ('30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     '20000000-0000-4000-8000-000000000002', 'alpha-bob'),
    ('30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002',
     '20000000-0000-4000-8000-000000000003', 'beta-carol')
ON CONFLICT DO NOTHING;

INSERT INTO accreditation (id, tenant_id, name, registry_name, service_type) VALUES
    ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
     'alpha-registry', 'demo-registry', 'registry'),
    ('40000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
     'alpha-ssl', 'demo-ca', 'certificate_authority'),
    ('40000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002',
     'beta-registry', 'demo-registry', 'registry')
ON CONFLICT DO NOTHING;

INSERT INTO tld (id, name) VALUES
    ('50000000-0000-4000-8000-000000000001', 'com'),
    ('50000000-0000-4000-8000-000000000002', 'net'),
    ('50000000-0000-4000-8000-000000000003', 'org'),
    ('50000000-0000-4000-8000-000000000004', 'io'),
    ('50000000-0000-4000-8000-000000000005', 'dev')
ON CONFLICT DO NOTHING;

INSERT INTO accreditation_tld (
    id, accreditation_id, tld_id,
    registration_period_min, registration_period_max,
    renewal_period_min, renewal_period_max,
    transfer_period_min, transfer_period_max, transfer_adds_years,
    max_years_to_expiry, redemption_period_days, restore_requires_report,
    nameservers_min, nameservers_max)
VALUES
    -- alpha-registry
    ('60000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001',
     '50000000-0000-4000-8000-000000000001', 1, 10, 1, 10, 1, 1, 1, 10, 30, FALSE, 0, 13),  -- com
    ('60000000-0000-4000-8000-000000000002', '40000000-0000-4000-8000-000000000001',
     '50000000-0000-4000-8000-000000000002', 2, 10, 1, 10, 1, 1, 1, 10,  0, FALSE, 0, 13),  -- net
    ('60000000-0000-4000-8000-000000000003', '40000000-0000-4000-8000-000000000001',
     '50000000-0000-4000-8000-000000000003', 1, 10, 1, 10, 1, 1, 1, 10, 30, TRUE,  0, 13),  -- org
    ('60000000-0000-4000-8000-000000000004', '40000000-0000-4000-8000-000000000001',
     '50000000-0000-4000-8000-000000000004', 1,  5, 1,  5, 1, 1, 1, 10, 30, FALSE, 2, 13),  -- io
    ('60000000-0000-4000-8000-000000000005', '40000000-0000-4000-8000-000000000001',
     '50000000-0000-4000-8000-000000000005', 1, 10, 1, 10, 0, 0, 0, 10, 30, FALSE, 0, 13),  -- dev
    -- beta-registry
    ('60000000-0000-4000-8000-000000000011', '40000000-0000-4000-8000-000000000003',
     '50000000-0000-4000-8000-000000000001', 1, 10, 1, 10, 1, 1, 1, 10, 30, FALSE, 0, 13),  -- com
    ('60000000-0000-4000-8000-000000000013', '40000000-0000-4000-8000-000000000003',
     '50000000-0000-4000-8000-000000000003', 1, 10, 1, 10, 1, 1, 1, 10, 30, TRUE,  0, 13)   -- org
ON CONFLICT DO NOTHING;
