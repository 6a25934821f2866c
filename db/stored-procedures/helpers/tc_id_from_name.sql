-- Look up the id of a row by its name in a lookup table, e.g.
-- tc_id_from_name('provision_status', 'pending') or
-- tc_id_from_name('orders.order_status', 'created').
-- STABLE so that the planner may evaluate it once per statement.
--
-- Replaces the first definition (db/tables/00_schemas_and_types.sql, which column
-- DEFAULTs needed at CREATE time): the order service's status tables get static
-- queries too, and the function keeps one search_path. Any other table goes through dynamic SQL, parsed and planned on
-- every call; the order service looked up its statuses that way about six
-- times per outcome.
CREATE OR REPLACE FUNCTION tc_id_from_name(table_name TEXT, name TEXT)
RETURNS UUID
LANGUAGE plpgsql
STABLE
-- Its own search_path: PL/pgSQL's cached plans are re-planned whenever the
-- caller's search_path differs from the one they were planned under, and the
-- order service's functions (orders, public) and the others (public) alternate
-- in one session: measured 43 µs a call alternating, 8 µs with this.
SET search_path = public, pg_temp
AS $$
DECLARE
    v_parts TEXT[];
    v_id    UUID;
BEGIN
    -- static queries, whose plans PL/pgSQL caches
    CASE table_name
        WHEN 'provision_status' THEN
            SELECT s.id INTO v_id FROM provision_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'job_status' THEN
            SELECT s.id INTO v_id FROM job_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'job_type' THEN
            SELECT t.id INTO v_id FROM job_type t WHERE t.name = tc_id_from_name.name;
        WHEN 'orders.order_status' THEN
            SELECT s.id INTO v_id FROM orders.order_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'orders.order_item_status' THEN
            SELECT s.id INTO v_id FROM orders.order_item_status s WHERE s.name = tc_id_from_name.name;
        WHEN 'orders.order_item_plan_status' THEN
            SELECT s.id INTO v_id FROM orders.order_item_plan_status s WHERE s.name = tc_id_from_name.name;
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
