-- A random password of len characters (at least one lower case letter, one
-- upper case letter, one digit and one symbol when len >= 4), suitable as an
-- EPP authInfo.
--
-- Each character is 6 random bits: the base64 encoding of random bytes, with
-- the look-alike characters (I O l 0 1) and base64's '+' '/' mapped to symbols,
-- so the alphabet is a-z A-Z 2-9 minus look-alikes, plus ! # * + - = ?.
-- A draw lacking a class is drawn again (rejection keeps the result uniform over
-- the passwords that have every class; about one draw in four is redrawn at 16
-- characters). Randomness: two version 4 UUIDs (gen_random_uuid, a CSPRNG in
-- core) seed SHA-256, one digest per 42 characters of each draw.
--
-- This replaces the first definition (db/tables/00_schemas_and_types.sql, which
-- a column DEFAULT needed at CREATE time and which picked and shuffled character
-- by character in two loops): a tenth of its cost, on every request that leaves
-- its auth code to the system.
CREATE OR REPLACE FUNCTION tc_gen_password(len INT)
RETURNS TEXT
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_seed  BYTEA := uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid());
    v_bytes BYTEA;
    v_out   TEXT;
    v_draw  INT := 0;
BEGIN
    IF len IS NULL OR len < 1 THEN
        RAISE EXCEPTION 'tc_gen_password: len must be positive, got %', len
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOOP
        v_bytes := ''::BYTEA;
        WHILE length(v_bytes) * 4 < len * 3 LOOP
            v_bytes := v_bytes || sha256(v_seed || int4send(v_draw) || int4send(length(v_bytes)));
        END LOOP;
        v_draw := v_draw + 1;
        v_out := left(translate(encode(v_bytes, 'base64'), E'IOl01+/\n', '!#*+-=?'), len);
        EXIT WHEN len < 4
               OR (v_out ~ '[a-z]' AND v_out ~ '[A-Z]' AND v_out ~ '[0-9]' AND v_out ~ '[^a-zA-Z0-9]');
    END LOOP;
    RETURN v_out;
END;
$$;
