-- Security (issue 11): what tenant isolation and deliverable outcomes need of the tables.

-- A rejection keeps the tenant_customer the request named, so the order service
-- applies its outcome only to that tenant's plans (orders.apply_outcome).
ALTER TABLE provision_rejection ADD COLUMN tenant_customer_id UUID;

-- The audit log keeps no auth codes (audit_redact, applied to every new row):
-- the rows written before are redacted the same way.
UPDATE audit_trail_log
   SET old_value = CASE WHEN old_value IS NULL THEN NULL ELSE old_value
           || CASE WHEN old_value ->> 'pw' IS NOT NULL THEN '{"pw": "redacted"}'::JSONB ELSE '{}' END
           || CASE WHEN old_value ->> 'auth_info' IS NOT NULL THEN '{"auth_info": "redacted"}'::JSONB ELSE '{}' END
       END,
       new_value = CASE WHEN new_value IS NULL THEN NULL ELSE new_value
           || CASE WHEN new_value ->> 'pw' IS NOT NULL THEN '{"pw": "redacted"}'::JSONB ELSE '{}' END
           || CASE WHEN new_value ->> 'auth_info' IS NOT NULL THEN '{"auth_info": "redacted"}'::JSONB ELSE '{}' END
       END
 WHERE old_value ->> 'pw' IS NOT NULL OR old_value ->> 'auth_info' IS NOT NULL
    OR new_value ->> 'pw' IS NOT NULL OR new_value ->> 'auth_info' IS NOT NULL;
