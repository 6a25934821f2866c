-- The live domains of the accreditation that name contact p_handle in any
-- role (registrant, admin, tech, billing), at most p_limit of them, by
-- name. One probe of the GIN index domain_contacts_idx.
CREATE OR REPLACE FUNCTION provision_contact_users(
    p_accreditation_id UUID,
    p_handle           TEXT,
    p_limit            INT DEFAULT 3
)
RETURNS TEXT[]
LANGUAGE sql
STABLE
AS $$
    SELECT COALESCE(array_agg(u.name ORDER BY u.name), '{}')
      FROM (SELECT d.name::TEXT AS name
              FROM domain d
              JOIN accreditation_tld at ON at.id = d.accreditation_tld_id
             WHERE ARRAY[d.registrant, d.admin_contact, d.tech_contact, d.billing_contact]
                   @> ARRAY[p_handle::TEXT COLLATE "default"]
               AND d.status <> 'deleted'
               AND at.accreditation_id = p_accreditation_id
             ORDER BY d.name
             LIMIT p_limit) u
$$;
