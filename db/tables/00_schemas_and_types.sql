-- Schemas, domains and the few helper functions that table DEFAULTs and
-- CHECK constraints need at CREATE time. Everything else lives in
-- db/stored-procedures/.

CREATE SCHEMA IF NOT EXISTS class;
CREATE SCHEMA IF NOT EXISTS orders;

-- A fully qualified domain name. The domain itself carries no CHECK on
-- purpose: a domain constraint is evaluated while the row is built, before
-- the BEFORE INSERT validation trigger could report a precise PV001 message
-- (and lowercase the value). Tables add CHECK (tc_is_fqdn(col)) instead,
-- which runs after the triggers as a backstop.
CREATE DOMAIN fqdn AS TEXT;

-- Look up the id of a row by its name in a lookup table, e.g.
-- tc_id_from_name('provision_status', 'pending') or
-- tc_id_from_name('orders.order_status', 'created').
-- STABLE so that the planner may evaluate it once per statement.
CREATE OR REPLACE FUNCTION tc_id_from_name(table_name TEXT, name TEXT)
RETURNS UUID
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_parts TEXT[];
    v_id    UUID;
BEGIN
    -- The lookup tables the triggers use on every row get static queries, whose
    -- plans PL/pgSQL caches; any other table goes through dynamic SQL.
    CASE table_name
        WHEN 'provision_status' THEN
            SELECT s.id INTO v_id FROM provision_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'job_status' THEN
            SELECT s.id INTO v_id FROM job_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'job_type' THEN
            SELECT t.id INTO v_id FROM job_type t WHERE t.name = tc_id_from_name.name;
        ELSE
            v_parts := parse_ident(table_name);
            IF array_length(v_parts, 1) = 2 THEN
                EXECUTE format('SELECT id FROM %I.%I WHERE name = $1', v_parts[1], v_parts[2])
                    INTO v_id USING name;
            ELSE
                EXECUTE format('SELECT id FROM %I WHERE name = $1', v_parts[1])
                    INTO v_id USING name;
            END IF;
    END CASE;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'no row named % in %', quote_literal(name), table_name
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN v_id;
END;
$$;

-- A random password of len characters (at least one lower case letter, one
-- upper case letter, one digit and one symbol when len >= 4), suitable as an
-- EPP authInfo. Randomness comes from gen_random_uuid() (a CSPRNG in core).
CREATE OR REPLACE FUNCTION tc_gen_password(len INT)
RETURNS TEXT
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    c_lower   CONSTANT TEXT := 'abcdefghijkmnopqrstuvwxyz';
    c_upper   CONSTANT TEXT := 'ABCDEFGHJKLMNPQRSTUVWXYZ';
    c_digit   CONSTANT TEXT := '23456789';
    c_symbol  CONSTANT TEXT := '!#*+-=?@_';
    v_all     TEXT := c_lower || c_upper || c_digit || c_symbol;
    v_sets    TEXT[];
    v_chars   TEXT[] := '{}';
    v_bytes   BYTEA;
    v_seed    BYTEA;
    v_set     TEXT;
    v_pick    INT;
    v_tmp     TEXT;
    i         INT;
BEGIN
    IF len IS NULL OR len < 1 THEN
        RAISE EXCEPTION 'tc_gen_password: len must be positive, got %', len
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_sets := CASE WHEN len >= 4 THEN ARRAY[c_lower, c_upper, c_digit, c_symbol] ELSE '{}'::TEXT[] END;
    -- Randomness: a 244-bit seed from two version 4 UUIDs (pg_strong_random),
    -- expanded with SHA-256 to the 4 bytes per character the picks and the
    -- shuffle need, instead of one strong-random read per byte pair.
    v_seed := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    v_bytes := ''::BYTEA;
    WHILE length(v_bytes) < 4 * len LOOP
        v_bytes := v_bytes || sha256(v_seed || int4send(length(v_bytes)));
    END LOOP;
    FOR i IN 1..len LOOP
        v_set := COALESCE(v_sets[i], v_all);
        v_pick := ((get_byte(v_bytes, 2 * i - 2) << 8) | get_byte(v_bytes, 2 * i - 1)) % length(v_set);
        v_chars := v_chars || substr(v_set, v_pick + 1, 1);
    END LOOP;
    -- shuffle so the guaranteed classes are not always in front
    FOR i IN REVERSE len..2 LOOP
        v_pick := (((get_byte(v_bytes, 2 * len + 2 * i - 2) << 8)
                    | get_byte(v_bytes, 2 * len + 2 * i - 1)) % i) + 1;
        v_tmp := v_chars[i];
        v_chars[i] := v_chars[v_pick];
        v_chars[v_pick] := v_tmp;
    END LOOP;
    RETURN array_to_string(v_chars, '');
END;
$$;

-- TRUE when value is a lower case LDH host name with at least two labels,
-- labels of 1..63 characters that neither start nor end with a hyphen, and a
-- total length of at most 253. Used by CHECK constraints (backstop of the
-- validation triggers, which give the precise message).
CREATE OR REPLACE FUNCTION tc_is_fqdn(value TEXT)
RETURNS BOOLEAN
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    RETURN value IS NOT NULL
       AND length(value) <= 253
       AND value ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
END;
$$;
