-- Status of a provision row. Looked up by name with
-- tc_id_from_name('provision_status', '<name>').

CREATE TABLE provision_status (
    id          UUID NOT NULL DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL UNIQUE,
    descr       TEXT NOT NULL,
    is_success  BOOLEAN NOT NULL,
    is_final    BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO provision_status (name, descr, is_success, is_final) VALUES
    ('pending',        'recorded, waiting for its job to be claimed',            TRUE,  FALSE),
    ('processing',     'its job has been claimed by an executor (or is retrying)', TRUE,  FALSE),
    ('completed',      'done; the object was created or changed',               TRUE,  TRUE),
    ('failed',         'failed; result_message says why',                       FALSE, TRUE),
    ('pending_action', 'waiting for a third party (e.g. a transfer approval)',  TRUE,  FALSE);
