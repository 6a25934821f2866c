-- The live domains of the accreditation that name host p_name as a name
-- server, at most p_limit of them, by name; p_except a domain to leave out
-- (the one a domain delete removes it from). One probe of the GIN index
-- domain_nameservers_idx, however many domains there are.
CREATE OR REPLACE FUNCTION provision_host_users(
    p_accreditation_id UUID,
    p_name             TEXT,
    p_except           UUID DEFAULT NULL,
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
             WHERE d.nameservers @> ARRAY[p_name::TEXT COLLATE "default"]
               AND d.status <> 'deleted'
               AND at.accreditation_id = p_accreditation_id
               AND d.id IS DISTINCT FROM p_except
             ORDER BY d.name
             LIMIT p_limit) u
$$;
