-- A transfer away of one of our domains was approved: read from the poll queue
-- of the losing accreditation p_accreditation by an executor. The domain is
-- another registrar's now, so it leaves this database as a delete does: status
-- deleted (the name is free here again, e.g. to transfer it back), deleted_date
-- and ry_transfered_date set to when the registry approved it, and its auth code
-- forgotten (the gaining registrar's registry set a new one). The audit log
-- keeps the row as it was. Returns the domain's id, or NULL when this
-- accreditation holds no live domain of that name (idempotent: a message read
-- twice changes nothing the second time; neither does one older than the
-- domain's last transfer to us). One index lookup by name.
CREATE OR REPLACE FUNCTION domain_transferred_away(
    p_accreditation TEXT,
    p_name          TEXT,
    p_action_date   TIMESTAMPTZ
)
RETURNS UUID
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_id UUID;
BEGIN
    UPDATE domain d
       SET status = 'deleted',
           deleted_date = p_action_date,
           ry_transfered_date = p_action_date,
           auth_info = NULL
      FROM accreditation_tld at
      JOIN accreditation a ON a.id = at.accreditation_id
     WHERE d.name = p_name COLLATE "default"
       AND d.status <> 'deleted'
       AND at.id = d.accreditation_tld_id
       AND a.name = p_accreditation
       -- not a domain that came back to us since: that message is an old one
       AND (d.ry_transfered_date IS NULL OR d.ry_transfered_date < p_action_date)
    RETURNING d.id INTO v_id;
    RETURN v_id;
END;
$$;

REVOKE ALL ON FUNCTION domain_transferred_away(TEXT, TEXT, TIMESTAMPTZ) FROM PUBLIC;
