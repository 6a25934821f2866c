-- The schema the versioned migrations (db/migrations) build, as of the last one below.
-- Generated: pg_dump --schema-only --no-owner of a database built by applying the
-- migrations in order, normalised, then the rows they insert. Never edit it by hand:
-- tests/db/test_migrations.py proves the migrations still build exactly this, and
-- regenerates it after a new migration: .venv/bin/pytest tests/db/test_migrations.py --update-schema
--
-- migration migrations/0001_baseline.sql sha256:e2a7d5d6d9111e7445d8583ab624f96951b0ce785711bae047fee50fb915942a
-- migration migrations/0002_consumer_runtime.sql sha256:883fff6155b0672f2300298b1b120d256c59f82774236eb9ff0e3491084ab2e6
-- migration migrations/0003_job_claimed_date.sql sha256:13b478b82a425b21f80e6f256c4e6af80c6715ecae7259ebc7558b6b843e63d0
-- migration migrations/0004_hot_path.sql sha256:9ecce15ff3186fe2b57dfc4e80f631d3a104e39f843089d22970171b814d6b32
-- migration migrations/0005_security.sql sha256:0a2b73312af71f8675f677772259ef6ac822a027a056260500437105c0db3e6a
-- migration migrations/0006_action_request_outbox.sql sha256:fb9b102d414a01c3300038d475cb26c9dc7a2bb7d9551a78a2128dac1ebb1b56
-- migration migrations/0007_request_ids.sql sha256:b5388c58d0f7888064e7dd73b7ee5e09573338912dcfdae4cac5f7c4b320eaf3
-- migration migrations/0008_order_status_outbox.sql sha256:990e49527f08a0bc7a6abf0c26787ff5055d48acf59dfdd8b68548b1b6876157
-- migration migrations/0009_pending_transfers.sql sha256:56192ff0df48a218a653aa275628a278913503f637a5a1c2afe8258be37693af
-- migration migrations/0010_object_actions.sql sha256:6b63cdda0ec94f5aee99fef218fb2a6214b5b4fda88b86936a5991c153b2752a

--
-- Name: class; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA class;

--
-- Name: orders; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA orders;

--
-- Name: fqdn; Type: DOMAIN; Schema: public; Owner: -
--

CREATE DOMAIN public.fqdn AS text;

--
-- Name: tc_gen_password(integer); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.tc_gen_password(len integer) RETURNS text
    LANGUAGE plpgsql
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

--
-- Name: tc_id_from_name(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.tc_id_from_name(table_name text, name text) RETURNS uuid
    LANGUAGE plpgsql STABLE
    AS $_$
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
$_$;

--
-- Name: tc_is_fqdn(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.tc_is_fqdn(value text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
BEGIN
    RETURN value IS NOT NULL
       AND length(value) <= 253
       AND value ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
END;
$_$;

--
-- Name: audit_trail; Type: TABLE; Schema: class; Owner: -
--

CREATE TABLE class.audit_trail (
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    updated_date timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT SESSION_USER NOT NULL,
    updated_by text DEFAULT SESSION_USER NOT NULL
);

--
-- Name: TABLE audit_trail; Type: COMMENT; Schema: class; Owner: -
--

COMMENT ON TABLE class.audit_trail IS 'Who/when columns inherited by audited tables; updated_* maintained by audit_trail_touch(). *_by hold the login role (session_user), which names the service even inside SECURITY DEFINER functions.';

--
-- Name: provision; Type: TABLE; Schema: class; Owner: -
--

CREATE TABLE class.provision (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    accreditation_id uuid NOT NULL,
    tenant_customer_id uuid NOT NULL,
    provisioned_date timestamp with time zone,
    status_id uuid NOT NULL,
    roid text,
    job_id uuid,
    order_item_plan_ids uuid[],
    result_message text,
    result_data jsonb,
    request_id uuid NOT NULL,
    attempt_count integer DEFAULT 0 NOT NULL,
    order_metadata jsonb,
    traceparent text,
    CONSTRAINT provision_attempt_count_check CHECK ((attempt_count >= 0))
);

--
-- Name: TABLE provision; Type: COMMENT; Schema: class; Owner: -
--

COMMENT ON TABLE class.provision IS 'Parent of every provision_* table (never holds rows itself). request_id is unique per child table.';

--
-- Name: order; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders."order" (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_customer_id uuid NOT NULL,
    status_id uuid DEFAULT public.tc_id_from_name('orders.order_status'::text, 'created'::text) NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    updated_date timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: order_item; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.order_item (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    order_id uuid NOT NULL,
    product text NOT NULL,
    action text NOT NULL,
    object_name text NOT NULL,
    status_id uuid DEFAULT public.tc_id_from_name('orders.order_item_status'::text, 'new'::text) NOT NULL,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    updated_date timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: order_item_plan; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.order_item_plan (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    order_item_id uuid NOT NULL,
    action text NOT NULL,
    status_id uuid DEFAULT public.tc_id_from_name('orders.order_item_plan_status'::text, 'new'::text) NOT NULL,
    request_id uuid,
    stage integer DEFAULT 1 NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    request jsonb,
    message_key text,
    requested_date timestamp with time zone,
    result_message text,
    result_data jsonb,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    updated_date timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT order_item_plan_stage_check CHECK ((stage >= 1))
);

--
-- Name: order_item_plan_status; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.order_item_plan_status (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    is_success boolean NOT NULL,
    is_final boolean NOT NULL
);

--
-- Name: order_item_status; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.order_item_status (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    is_success boolean NOT NULL,
    is_final boolean NOT NULL
);

--
-- Name: order_status; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.order_status (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    is_success boolean NOT NULL,
    is_final boolean NOT NULL
);

--
-- Name: processed_event; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.processed_event (
    event_id uuid NOT NULL,
    plan_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    status text NOT NULL,
    processed_date timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: request_outbox; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.request_outbox (
    id bigint NOT NULL,
    request_id uuid NOT NULL,
    order_item_plan_id uuid NOT NULL,
    message_key text NOT NULL,
    request jsonb NOT NULL,
    traceparent text,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    sent_date timestamp with time zone
);

--
-- Name: request_outbox_id_seq; Type: SEQUENCE; Schema: orders; Owner: -
--

CREATE SEQUENCE orders.request_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: request_outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: orders; Owner: -
--

ALTER SEQUENCE orders.request_outbox_id_seq OWNED BY orders.request_outbox.id;

--
-- Name: status_outbox; Type: TABLE; Schema: orders; Owner: -
--

CREATE TABLE orders.status_outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    order_id uuid NOT NULL,
    message_key text NOT NULL,
    event jsonb NOT NULL,
    traceparent text,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    sent_date timestamp with time zone,
    CONSTRAINT status_outbox_event_check CHECK ((jsonb_typeof(event) = 'object'::text))
);

--
-- Name: status_outbox_id_seq; Type: SEQUENCE; Schema: orders; Owner: -
--

ALTER TABLE orders.status_outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME orders.status_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: accreditation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accreditation (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_id uuid NOT NULL,
    name text NOT NULL,
    registry_name text NOT NULL,
    service_type text DEFAULT 'registry'::text NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    CONSTRAINT accreditation_service_type_check CHECK ((service_type = ANY (ARRAY['registry'::text, 'certificate_authority'::text])))
)
INHERITS (class.audit_trail);

--
-- Name: accreditation_tld; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accreditation_tld (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    accreditation_id uuid NOT NULL,
    tld_id uuid NOT NULL,
    registration_period_min integer DEFAULT 1 NOT NULL,
    registration_period_max integer DEFAULT 10 NOT NULL,
    renewal_period_min integer DEFAULT 1 NOT NULL,
    renewal_period_max integer DEFAULT 10 NOT NULL,
    transfer_period_min integer DEFAULT 1 NOT NULL,
    transfer_period_max integer DEFAULT 1 NOT NULL,
    transfer_adds_years integer DEFAULT 1 NOT NULL,
    max_years_to_expiry integer DEFAULT 10 NOT NULL,
    redemption_period_days integer DEFAULT 30 NOT NULL,
    restore_requires_report boolean DEFAULT false NOT NULL,
    nameservers_min integer DEFAULT 0 NOT NULL,
    nameservers_max integer DEFAULT 13 NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    CONSTRAINT accreditation_tld_check CHECK (((registration_period_min >= 1) AND (registration_period_min <= registration_period_max))),
    CONSTRAINT accreditation_tld_check1 CHECK (((renewal_period_min >= 1) AND (renewal_period_min <= renewal_period_max))),
    CONSTRAINT accreditation_tld_check2 CHECK (((transfer_period_min >= 0) AND (transfer_period_min <= transfer_period_max))),
    CONSTRAINT accreditation_tld_check3 CHECK (((nameservers_min >= 0) AND (nameservers_min <= nameservers_max))),
    CONSTRAINT accreditation_tld_max_years_to_expiry_check CHECK ((max_years_to_expiry >= 1)),
    CONSTRAINT accreditation_tld_redemption_period_days_check CHECK ((redemption_period_days >= 0)),
    CONSTRAINT accreditation_tld_transfer_adds_years_check CHECK ((transfer_adds_years >= 0))
)
INHERITS (class.audit_trail);

--
-- Name: action_request_outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.action_request_outbox (
    id bigint NOT NULL,
    request_id uuid NOT NULL,
    message_key text NOT NULL,
    request jsonb NOT NULL,
    traceparent text,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    sent_date timestamp with time zone,
    CONSTRAINT action_request_outbox_message_key_check CHECK (((length(message_key) >= 1) AND (length(message_key) <= 1000))),
    CONSTRAINT action_request_outbox_request_check CHECK (((jsonb_typeof(request) = 'object'::text) AND (octet_length((request)::text) <= 65536))),
    CONSTRAINT action_request_outbox_traceparent_check CHECK ((traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'::text))
);

--
-- Name: action_request_outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.action_request_outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.action_request_outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: audit_trail_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_trail_log (
    id bigint NOT NULL,
    table_name text NOT NULL,
    operation text NOT NULL,
    object_id uuid,
    old_value jsonb,
    new_value jsonb,
    transaction_id bigint DEFAULT txid_current() NOT NULL,
    statement_date timestamp with time zone DEFAULT now() NOT NULL,
    created_date timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    created_by text DEFAULT SESSION_USER NOT NULL,
    CONSTRAINT audit_trail_log_operation_check CHECK ((operation = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])))
);

--
-- Name: TABLE audit_trail_log; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.audit_trail_log IS 'One row per INSERT/UPDATE/DELETE on a table inheriting class.audit_trail (old and new row as JSONB).';

--
-- Name: audit_trail_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_trail_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: audit_trail_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_trail_log_id_seq OWNED BY public.audit_trail_log.id;

--
-- Name: certificate; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.certificate (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_customer_id uuid NOT NULL,
    accreditation_id uuid NOT NULL,
    common_name text NOT NULL,
    sans text[] DEFAULT '{}'::text[] NOT NULL,
    serial text,
    not_before timestamp with time zone,
    not_after timestamp with time zone,
    key_type text,
    pem text,
    chain_pem text,
    CONSTRAINT certificate_check CHECK (((not_after IS NULL) OR (not_before IS NULL) OR (not_after > not_before)))
)
INHERITS (class.audit_trail);

--
-- Name: consumer_inflight; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consumer_inflight (
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    first_offset bigint NOT NULL,
    last_offset bigint NOT NULL,
    crashes integer DEFAULT 0 NOT NULL,
    suspect_until bigint,
    owner text NOT NULL,
    updated_date timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT consumer_inflight_check CHECK ((last_offset >= first_offset)),
    CONSTRAINT consumer_inflight_crashes_check CHECK ((crashes >= 0)),
    CONSTRAINT consumer_inflight_first_offset_check CHECK ((first_offset >= 0)),
    CONSTRAINT consumer_inflight_partition_check CHECK ((partition >= 0))
);

--
-- Name: TABLE consumer_inflight; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.consumer_inflight IS 'Offsets each consumer-group member had in flight, written before handling them: how a restarted member finds the message that killed its predecessor.';

--
-- Name: contact; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_customer_id uuid NOT NULL,
    accreditation_id uuid NOT NULL,
    handle text NOT NULL,
    roid text,
    name text NOT NULL,
    organization text,
    email text NOT NULL,
    phone text,
    fax text,
    street1 text,
    street2 text,
    street3 text,
    city text NOT NULL,
    state_province text,
    postal_code text,
    country_code character(2) NOT NULL,
    auth_info text,
    ry_created_date timestamp with time zone,
    CONSTRAINT contact_country_code_check CHECK ((country_code ~ '^[A-Z]{2}$'::text))
)
INHERITS (class.audit_trail);

--
-- Name: customer; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customer (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    email text
)
INHERITS (class.audit_trail);

--
-- Name: dead_letter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dead_letter (
    id bigint NOT NULL,
    group_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    message_offset bigint NOT NULL,
    message_timestamp bigint NOT NULL,
    error_class text NOT NULL,
    reason text NOT NULL,
    created_date timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    produced_date timestamp with time zone,
    stored_key bytea,
    stored_value bytea,
    stored_headers jsonb,
    stored boolean DEFAULT false NOT NULL,
    CONSTRAINT dead_letter_message_offset_check CHECK ((message_offset >= 0)),
    CONSTRAINT dead_letter_partition_check CHECK ((partition >= 0))
);

--
-- Name: TABLE dead_letter; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.dead_letter IS 'Messages a consumer group dead-lettered (dedupe across restarts), and the originals of those too large for their DLQ topic.';

--
-- Name: dead_letter_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dead_letter_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: dead_letter_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dead_letter_id_seq OWNED BY public.dead_letter.id;

--
-- Name: dlq_redrive; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.dlq_redrive (
    id bigint NOT NULL,
    dlq_topic text NOT NULL,
    partition integer NOT NULL,
    dlq_offset bigint NOT NULL,
    original_topic text NOT NULL,
    redriven_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    redriven_by text DEFAULT SESSION_USER NOT NULL,
    new_partition integer NOT NULL,
    new_offset bigint NOT NULL,
    redrive_count integer DEFAULT 1 NOT NULL,
    CONSTRAINT dlq_redrive_dlq_offset_check CHECK ((dlq_offset >= 0)),
    CONSTRAINT dlq_redrive_partition_check CHECK ((partition >= 0)),
    CONSTRAINT dlq_redrive_redrive_count_check CHECK ((redrive_count >= 1))
);

--
-- Name: TABLE dlq_redrive; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.dlq_redrive IS 'DLQ messages republished to their original topic by `provisioning dlq redrive`; the latest redrive of each, redrive_count counts --force repeats.';

--
-- Name: dlq_redrive_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.dlq_redrive_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: dlq_redrive_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.dlq_redrive_id_seq OWNED BY public.dlq_redrive.id;

--
-- Name: domain; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.domain (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_customer_id uuid NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    name public.fqdn NOT NULL,
    roid text,
    auth_info text,
    ry_created_date timestamp with time zone,
    ry_expiry_date timestamp with time zone,
    ry_updated_date timestamp with time zone,
    ry_transfered_date timestamp with time zone,
    status text DEFAULT 'ok'::text NOT NULL,
    deleted_date timestamp with time zone,
    redemption_end_date timestamp with time zone,
    nameservers text[] DEFAULT '{}'::text[] NOT NULL,
    registrant text,
    admin_contact text,
    tech_contact text,
    billing_contact text,
    locks text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT domain_name_check CHECK (public.tc_is_fqdn((name)::text)),
    CONSTRAINT domain_status_check CHECK ((status = ANY (ARRAY['ok'::text, 'pending_transfer'::text, 'redemption'::text, 'deleted'::text])))
)
INHERITS (class.audit_trail);

--
-- Name: host; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.host (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_customer_id uuid NOT NULL,
    accreditation_id uuid NOT NULL,
    name public.fqdn NOT NULL,
    roid text,
    addresses inet[] DEFAULT '{}'::inet[] NOT NULL,
    domain_id uuid,
    ry_created_date timestamp with time zone,
    CONSTRAINT host_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail);

--
-- Name: job; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    type_id uuid NOT NULL,
    status_id uuid DEFAULT public.tc_id_from_name('job_status'::text, 'queued'::text) NOT NULL,
    reference_id uuid,
    parent_id uuid,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer,
    start_date timestamp with time zone DEFAULT now() NOT NULL,
    lease_owner text,
    lease_expires_at timestamp with time zone,
    result_message text,
    result_data jsonb,
    end_date timestamp with time zone,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    updated_date timestamp with time zone DEFAULT now() NOT NULL,
    claimed_date timestamp with time zone,
    child_failure text DEFAULT 'hard'::text NOT NULL,
    is_noop boolean DEFAULT false NOT NULL,
    CONSTRAINT job_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT job_child_failure_check CHECK ((child_failure = ANY (ARRAY['hard'::text, 'soft'::text]))),
    CONSTRAINT job_max_attempts_check CHECK ((max_attempts >= 1))
);

--
-- Name: COLUMN job.claimed_date; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.job.claimed_date IS 'when an executor last claimed the job';

--
-- Name: job_status; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_status (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    descr text NOT NULL,
    is_success boolean NOT NULL,
    is_final boolean NOT NULL
);

--
-- Name: job_type; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_type (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    descr text NOT NULL,
    reference_table text,
    completion_function text,
    max_attempts integer DEFAULT 5 NOT NULL,
    CONSTRAINT job_type_check CHECK (((reference_table IS NULL) = (completion_function IS NULL))),
    CONSTRAINT job_type_max_attempts_check CHECK ((max_attempts >= 1))
);

--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    request_id uuid NOT NULL,
    provision_id uuid,
    action text NOT NULL,
    status text NOT NULL,
    order_item_plan_ids uuid[],
    result_message text,
    result_data jsonb,
    message_key text NOT NULL,
    traceparent text,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    sent_date timestamp with time zone
);

--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.outbox_id_seq OWNED BY public.outbox.id;

--
-- Name: outbox_parked; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox_parked (
    outbox text NOT NULL,
    row_id bigint NOT NULL,
    message_key text NOT NULL,
    attempts integer NOT NULL,
    reason text NOT NULL,
    first_failed_date timestamp with time zone DEFAULT now() NOT NULL,
    last_failed_date timestamp with time zone DEFAULT now() NOT NULL,
    parked_date timestamp with time zone,
    CONSTRAINT outbox_parked_attempts_check CHECK ((attempts > 0)),
    CONSTRAINT outbox_parked_outbox_check CHECK ((outbox = ANY (ARRAY['outcomes'::text, 'order-requests'::text, 'action-requests'::text, 'order-status'::text])))
);

--
-- Name: provision_contact; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_contact (
    handle text DEFAULT ('c'::text || substr(md5((gen_random_uuid())::text), 1, 15)) NOT NULL,
    name text NOT NULL,
    organization text,
    email text NOT NULL,
    phone text,
    fax text,
    street1 text,
    street2 text,
    street3 text,
    city text NOT NULL,
    state_province text,
    postal_code text,
    country_code text NOT NULL,
    pw text DEFAULT public.tc_gen_password(16) NOT NULL,
    contact_id uuid
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_contact_delete; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_contact_delete (
    handle text NOT NULL,
    contact_id uuid
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_contact_update; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_contact_update (
    handle text NOT NULL,
    name text,
    organization text,
    email text,
    phone text,
    fax text,
    street1 text,
    street2 text,
    street3 text,
    city text,
    state_province text,
    postal_code text,
    country_code text,
    pw text,
    contact_id uuid
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain (
    name public.fqdn NOT NULL,
    registration_period integer DEFAULT 1 NOT NULL,
    pw text DEFAULT public.tc_gen_password(16) NOT NULL,
    is_complete boolean DEFAULT false NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    ry_created_date timestamp with time zone,
    ry_expiry_date timestamp with time zone,
    registrant text,
    admin_contact text,
    tech_contact text,
    billing_contact text,
    nameservers text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT provision_domain_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_delete; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_delete (
    name public.fqdn NOT NULL,
    domain_id uuid NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    redemption_end_date timestamp with time zone,
    CONSTRAINT provision_domain_delete_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_renew; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_renew (
    name public.fqdn NOT NULL,
    period integer DEFAULT 1 NOT NULL,
    current_expiry_date date NOT NULL,
    domain_id uuid NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    ry_expiry_date timestamp with time zone,
    CONSTRAINT provision_domain_renew_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_restore; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_restore (
    name public.fqdn NOT NULL,
    restore_report jsonb,
    domain_id uuid NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    ry_expiry_date timestamp with time zone,
    CONSTRAINT provision_domain_restore_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_transfer; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_transfer (
    name public.fqdn NOT NULL,
    pw text NOT NULL,
    period integer NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    domain_id uuid,
    ry_created_date timestamp with time zone,
    ry_expiry_date timestamp with time zone,
    ry_transfered_date timestamp with time zone,
    CONSTRAINT provision_domain_transfer_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_transfer_action; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_transfer_action (
    name public.fqdn NOT NULL,
    op text NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    domain_id uuid,
    transfer_id uuid,
    CONSTRAINT provision_domain_transfer_action_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_domain_update; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_domain_update (
    name public.fqdn NOT NULL,
    nameservers text[],
    registrant text,
    admin_contact text,
    tech_contact text,
    billing_contact text,
    pw text,
    add_locks text[] DEFAULT '{}'::text[] NOT NULL,
    remove_locks text[] DEFAULT '{}'::text[] NOT NULL,
    domain_id uuid NOT NULL,
    accreditation_tld_id uuid NOT NULL,
    new_hosts jsonb,
    CONSTRAINT provision_domain_update_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_host; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_host (
    name public.fqdn NOT NULL,
    addresses inet[] DEFAULT '{}'::inet[] NOT NULL,
    domain_id uuid,
    host_id uuid,
    CONSTRAINT provision_host_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_host_delete; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_host_delete (
    name public.fqdn NOT NULL,
    host_id uuid,
    CONSTRAINT provision_host_delete_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_host_update; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_host_update (
    name public.fqdn NOT NULL,
    addresses inet[] DEFAULT '{}'::inet[] NOT NULL,
    host_id uuid,
    CONSTRAINT provision_host_update_name_check CHECK (public.tc_is_fqdn((name)::text))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_rejection; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_rejection (
    request_id uuid NOT NULL,
    action text NOT NULL,
    event_id uuid NOT NULL,
    sqlstate text,
    message text NOT NULL,
    created_date timestamp with time zone DEFAULT now() NOT NULL,
    tenant_customer_id uuid
);

--
-- Name: provision_ssl; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_ssl (
    common_name text NOT NULL,
    sans text[] DEFAULT '{}'::text[] NOT NULL,
    csr_pem text,
    key_type text,
    validity_days integer DEFAULT 365 NOT NULL,
    validation_method text DEFAULT 'dns'::text NOT NULL,
    certificate_id uuid,
    CONSTRAINT provision_ssl_key_type_check CHECK (((key_type IS NULL) OR (key_type = ANY (ARRAY['rsa2048'::text, 'rsa3072'::text, 'rsa4096'::text, 'ecdsa-p256'::text, 'ecdsa-p384'::text])))),
    CONSTRAINT provision_ssl_validation_method_check CHECK ((validation_method = ANY (ARRAY['dns'::text, 'http'::text, 'email'::text])))
)
INHERITS (class.audit_trail, class.provision);

--
-- Name: provision_status; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.provision_status (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    descr text NOT NULL,
    is_success boolean NOT NULL,
    is_final boolean NOT NULL
);

--
-- Name: request_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.request_ids (
    request_id uuid NOT NULL,
    recorded_as text NOT NULL,
    created_date timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: tenant; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tenant (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    descr text
)
INHERITS (class.audit_trail);

--
-- Name: tenant_customer; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tenant_customer (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    customer_number text NOT NULL
)
INHERITS (class.audit_trail);

--
-- Name: tld; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tld (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    CONSTRAINT tld_name_check CHECK ((name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$'::text))
)
INHERITS (class.audit_trail);

--
-- Name: v_accreditation_tld; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.v_accreditation_tld AS
 SELECT at.id,
    at.accreditation_id,
    a.name AS accreditation_name,
    a.tenant_id,
    at.tld_id,
    t.name AS tld_name,
    at.registration_period_min,
    at.registration_period_max,
    at.renewal_period_min,
    at.renewal_period_max,
    at.transfer_period_min,
    at.transfer_period_max,
    at.transfer_adds_years,
    at.max_years_to_expiry,
    at.redemption_period_days,
    at.restore_requires_report,
    at.nameservers_min,
    at.nameservers_max,
    (at.is_active AND a.is_active) AS is_active
   FROM ((public.accreditation_tld at
     JOIN public.accreditation a ON ((a.id = at.accreditation_id)))
     JOIN public.tld t ON ((t.id = at.tld_id)));

--
-- Name: request_outbox id; Type: DEFAULT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.request_outbox ALTER COLUMN id SET DEFAULT nextval('orders.request_outbox_id_seq'::regclass);

--
-- Name: accreditation created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: accreditation updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: accreditation created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: accreditation updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: accreditation_tld created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: accreditation_tld updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: accreditation_tld created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: accreditation_tld updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: audit_trail_log id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_trail_log ALTER COLUMN id SET DEFAULT nextval('public.audit_trail_log_id_seq'::regclass);

--
-- Name: certificate created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: certificate updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: certificate created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: certificate updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: contact created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: contact updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: contact created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: contact updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: customer created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: customer updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: customer created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: customer updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: dead_letter id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letter ALTER COLUMN id SET DEFAULT nextval('public.dead_letter_id_seq'::regclass);

--
-- Name: dlq_redrive id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dlq_redrive ALTER COLUMN id SET DEFAULT nextval('public.dlq_redrive_id_seq'::regclass);

--
-- Name: domain created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: domain updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: domain created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: domain updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: host created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: host updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: host created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: host updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: outbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox ALTER COLUMN id SET DEFAULT nextval('public.outbox_id_seq'::regclass);

--
-- Name: provision_contact created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_contact updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_contact created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_contact attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_contact_delete created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_contact_delete updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_contact_delete created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact_delete updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact_delete id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_contact_delete attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_contact_update created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_contact_update updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_contact_update created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact_update updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_contact_update id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_contact_update attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_delete created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_delete updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_delete created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_delete updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_delete id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_delete attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_renew created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_renew updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_renew created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_renew updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_renew id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_renew attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_restore created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_restore updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_restore created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_restore updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_restore id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_restore attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_transfer created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_transfer updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_transfer created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_transfer updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_transfer id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_transfer attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_transfer_action created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_transfer_action updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_transfer_action created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_transfer_action updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_transfer_action id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_transfer_action attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_domain_update created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_domain_update updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_domain_update created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_update updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_domain_update id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_domain_update attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_host created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_host updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_host created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_host attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_host_delete created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_host_delete updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_host_delete created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host_delete updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host_delete id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_host_delete attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_host_update created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_host_update updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_host_update created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host_update updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_host_update id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_host_update attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: provision_ssl created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: provision_ssl updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: provision_ssl created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: provision_ssl updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision_ssl id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN id SET DEFAULT gen_random_uuid();

--
-- Name: provision_ssl attempt_count; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl ALTER COLUMN attempt_count SET DEFAULT 0;

--
-- Name: tenant created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: tenant updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: tenant created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: tenant updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: tenant_customer created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: tenant_customer updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: tenant_customer created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: tenant_customer updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: tld created_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld ALTER COLUMN created_date SET DEFAULT now();

--
-- Name: tld updated_date; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld ALTER COLUMN updated_date SET DEFAULT now();

--
-- Name: tld created_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld ALTER COLUMN created_by SET DEFAULT SESSION_USER;

--
-- Name: tld updated_by; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld ALTER COLUMN updated_by SET DEFAULT SESSION_USER;

--
-- Name: provision provision_pkey; Type: CONSTRAINT; Schema: class; Owner: -
--

ALTER TABLE ONLY class.provision
    ADD CONSTRAINT provision_pkey PRIMARY KEY (id);

--
-- Name: order_item order_item_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item
    ADD CONSTRAINT order_item_pkey PRIMARY KEY (id);

--
-- Name: order_item_plan order_item_plan_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan
    ADD CONSTRAINT order_item_plan_pkey PRIMARY KEY (id);

--
-- Name: order_item_plan order_item_plan_request_id_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan
    ADD CONSTRAINT order_item_plan_request_id_key UNIQUE (request_id);

--
-- Name: order_item_plan_status order_item_plan_status_name_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan_status
    ADD CONSTRAINT order_item_plan_status_name_key UNIQUE (name);

--
-- Name: order_item_plan_status order_item_plan_status_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan_status
    ADD CONSTRAINT order_item_plan_status_pkey PRIMARY KEY (id);

--
-- Name: order_item_status order_item_status_name_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_status
    ADD CONSTRAINT order_item_status_name_key UNIQUE (name);

--
-- Name: order_item_status order_item_status_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_status
    ADD CONSTRAINT order_item_status_pkey PRIMARY KEY (id);

--
-- Name: order order_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders."order"
    ADD CONSTRAINT order_pkey PRIMARY KEY (id);

--
-- Name: order_status order_status_name_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_status
    ADD CONSTRAINT order_status_name_key UNIQUE (name);

--
-- Name: order_status order_status_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_status
    ADD CONSTRAINT order_status_pkey PRIMARY KEY (id);

--
-- Name: processed_event processed_event_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.processed_event
    ADD CONSTRAINT processed_event_pkey PRIMARY KEY (event_id);

--
-- Name: request_outbox request_outbox_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.request_outbox
    ADD CONSTRAINT request_outbox_pkey PRIMARY KEY (id);

--
-- Name: request_outbox request_outbox_request_id_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.request_outbox
    ADD CONSTRAINT request_outbox_request_id_key UNIQUE (request_id);

--
-- Name: status_outbox status_outbox_event_id_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.status_outbox
    ADD CONSTRAINT status_outbox_event_id_key UNIQUE (event_id);

--
-- Name: status_outbox status_outbox_order_id_key; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.status_outbox
    ADD CONSTRAINT status_outbox_order_id_key UNIQUE (order_id);

--
-- Name: status_outbox status_outbox_pkey; Type: CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.status_outbox
    ADD CONSTRAINT status_outbox_pkey PRIMARY KEY (id);

--
-- Name: accreditation accreditation_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation
    ADD CONSTRAINT accreditation_name_key UNIQUE (name);

--
-- Name: accreditation accreditation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation
    ADD CONSTRAINT accreditation_pkey PRIMARY KEY (id);

--
-- Name: accreditation_tld accreditation_tld_accreditation_id_tld_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld
    ADD CONSTRAINT accreditation_tld_accreditation_id_tld_id_key UNIQUE (accreditation_id, tld_id);

--
-- Name: accreditation_tld accreditation_tld_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld
    ADD CONSTRAINT accreditation_tld_pkey PRIMARY KEY (id);

--
-- Name: action_request_outbox action_request_outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_request_outbox
    ADD CONSTRAINT action_request_outbox_pkey PRIMARY KEY (id);

--
-- Name: action_request_outbox action_request_outbox_request_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.action_request_outbox
    ADD CONSTRAINT action_request_outbox_request_id_key UNIQUE (request_id);

--
-- Name: audit_trail_log audit_trail_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_trail_log
    ADD CONSTRAINT audit_trail_log_pkey PRIMARY KEY (id);

--
-- Name: certificate certificate_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate
    ADD CONSTRAINT certificate_pkey PRIMARY KEY (id);

--
-- Name: consumer_inflight consumer_inflight_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consumer_inflight
    ADD CONSTRAINT consumer_inflight_pkey PRIMARY KEY (group_id, topic, partition);

--
-- Name: contact contact_accreditation_id_handle_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact
    ADD CONSTRAINT contact_accreditation_id_handle_key UNIQUE (accreditation_id, handle);

--
-- Name: contact contact_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact
    ADD CONSTRAINT contact_pkey PRIMARY KEY (id);

--
-- Name: customer customer_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customer
    ADD CONSTRAINT customer_pkey PRIMARY KEY (id);

--
-- Name: dead_letter dead_letter_group_id_topic_partition_message_offset_message_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letter
    ADD CONSTRAINT dead_letter_group_id_topic_partition_message_offset_message_key UNIQUE (group_id, topic, partition, message_offset, message_timestamp);

--
-- Name: dead_letter dead_letter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dead_letter
    ADD CONSTRAINT dead_letter_pkey PRIMARY KEY (id);

--
-- Name: dlq_redrive dlq_redrive_dlq_topic_partition_dlq_offset_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dlq_redrive
    ADD CONSTRAINT dlq_redrive_dlq_topic_partition_dlq_offset_key UNIQUE (dlq_topic, partition, dlq_offset);

--
-- Name: dlq_redrive dlq_redrive_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dlq_redrive
    ADD CONSTRAINT dlq_redrive_pkey PRIMARY KEY (id);

--
-- Name: domain domain_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain
    ADD CONSTRAINT domain_pkey PRIMARY KEY (id);

--
-- Name: host host_accreditation_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host
    ADD CONSTRAINT host_accreditation_id_name_key UNIQUE (accreditation_id, name);

--
-- Name: host host_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host
    ADD CONSTRAINT host_pkey PRIMARY KEY (id);

--
-- Name: job job_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_pkey PRIMARY KEY (id);

--
-- Name: job_status job_status_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_status
    ADD CONSTRAINT job_status_name_key UNIQUE (name);

--
-- Name: job_status job_status_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_status
    ADD CONSTRAINT job_status_pkey PRIMARY KEY (id);

--
-- Name: job_type job_type_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_type
    ADD CONSTRAINT job_type_name_key UNIQUE (name);

--
-- Name: job_type job_type_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_type
    ADD CONSTRAINT job_type_pkey PRIMARY KEY (id);

--
-- Name: outbox outbox_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

--
-- Name: outbox_parked outbox_parked_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_parked
    ADD CONSTRAINT outbox_parked_pkey PRIMARY KEY (outbox, row_id);

--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

--
-- Name: provision_contact_delete provision_contact_delete_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_pkey PRIMARY KEY (id);

--
-- Name: provision_contact provision_contact_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_pkey PRIMARY KEY (id);

--
-- Name: provision_contact_update provision_contact_update_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_delete provision_domain_delete_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_pkey PRIMARY KEY (id);

--
-- Name: provision_domain provision_domain_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_renew provision_domain_renew_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_restore provision_domain_restore_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_transfer provision_domain_transfer_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_pkey PRIMARY KEY (id);

--
-- Name: provision_domain_update provision_domain_update_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_pkey PRIMARY KEY (id);

--
-- Name: provision_host_delete provision_host_delete_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_pkey PRIMARY KEY (id);

--
-- Name: provision_host provision_host_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_pkey PRIMARY KEY (id);

--
-- Name: provision_host_update provision_host_update_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_pkey PRIMARY KEY (id);

--
-- Name: provision_rejection provision_rejection_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_rejection
    ADD CONSTRAINT provision_rejection_event_id_key UNIQUE (event_id);

--
-- Name: provision_rejection provision_rejection_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_rejection
    ADD CONSTRAINT provision_rejection_pkey PRIMARY KEY (request_id);

--
-- Name: provision_ssl provision_ssl_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_pkey PRIMARY KEY (id);

--
-- Name: provision_status provision_status_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_status
    ADD CONSTRAINT provision_status_name_key UNIQUE (name);

--
-- Name: provision_status provision_status_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_status
    ADD CONSTRAINT provision_status_pkey PRIMARY KEY (id);

--
-- Name: request_ids request_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.request_ids
    ADD CONSTRAINT request_ids_pkey PRIMARY KEY (request_id);

--
-- Name: tenant_customer tenant_customer_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer
    ADD CONSTRAINT tenant_customer_pkey PRIMARY KEY (id);

--
-- Name: tenant_customer tenant_customer_tenant_id_customer_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer
    ADD CONSTRAINT tenant_customer_tenant_id_customer_id_key UNIQUE (tenant_id, customer_id);

--
-- Name: tenant_customer tenant_customer_tenant_id_customer_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer
    ADD CONSTRAINT tenant_customer_tenant_id_customer_number_key UNIQUE (tenant_id, customer_number);

--
-- Name: tenant tenant_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT tenant_name_key UNIQUE (name);

--
-- Name: tenant tenant_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT tenant_pkey PRIMARY KEY (id);

--
-- Name: tld tld_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld
    ADD CONSTRAINT tld_name_key UNIQUE (name);

--
-- Name: tld tld_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tld
    ADD CONSTRAINT tld_pkey PRIMARY KEY (id);

--
-- Name: order_item_domain_create_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX order_item_domain_create_idx ON orders.order_item USING btree (object_name) WHERE ((product = 'domain'::text) AND (action = 'create'::text));

--
-- Name: order_item_order_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX order_item_order_idx ON orders.order_item USING btree (order_id);

--
-- Name: order_item_plan_item_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX order_item_plan_item_idx ON orders.order_item_plan USING btree (order_item_id);

--
-- Name: order_tenant_customer_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX order_tenant_customer_idx ON orders."order" USING btree (tenant_customer_id);

--
-- Name: request_outbox_unsent_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX request_outbox_unsent_idx ON orders.request_outbox USING btree (id) WHERE (sent_date IS NULL);

--
-- Name: status_outbox_unsent_idx; Type: INDEX; Schema: orders; Owner: -
--

CREATE INDEX status_outbox_unsent_idx ON orders.status_outbox USING btree (id) WHERE (sent_date IS NULL);

--
-- Name: accreditation_tld_tld_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX accreditation_tld_tld_idx ON public.accreditation_tld USING btree (tld_id);

--
-- Name: action_request_outbox_unsent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX action_request_outbox_unsent_idx ON public.action_request_outbox USING btree (id) WHERE (sent_date IS NULL);

--
-- Name: audit_trail_log_created_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_trail_log_created_date_idx ON public.audit_trail_log USING brin (created_date);

--
-- Name: audit_trail_log_object_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_trail_log_object_idx ON public.audit_trail_log USING btree (table_name, object_id);

--
-- Name: certificate_common_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX certificate_common_name_idx ON public.certificate USING btree (common_name);

--
-- Name: certificate_tenant_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX certificate_tenant_customer_idx ON public.certificate USING btree (tenant_customer_id);

--
-- Name: contact_tenant_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contact_tenant_customer_idx ON public.contact USING btree (tenant_customer_id);

--
-- Name: domain_contacts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX domain_contacts_idx ON public.domain USING gin ((ARRAY[registrant, admin_contact, tech_contact, billing_contact])) WHERE (status <> 'deleted'::text);

--
-- Name: domain_live_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX domain_live_name_idx ON public.domain USING btree (name) WHERE (status <> 'deleted'::text);

--
-- Name: domain_nameservers_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX domain_nameservers_idx ON public.domain USING gin (nameservers) WHERE (status <> 'deleted'::text);

--
-- Name: domain_redemption_end_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX domain_redemption_end_idx ON public.domain USING btree (redemption_end_date) WHERE (status = 'redemption'::text);

--
-- Name: domain_tenant_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX domain_tenant_customer_idx ON public.domain USING btree (tenant_customer_id);

--
-- Name: host_domain_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX host_domain_idx ON public.host USING btree (domain_id) WHERE (domain_id IS NOT NULL);

--
-- Name: host_tenant_customer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX host_tenant_customer_idx ON public.host USING btree (tenant_customer_id);

--
-- Name: job_claim_order_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_claim_order_idx ON public.job USING btree (status_id, start_date, created_date);

--
-- Name: job_lease_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_lease_idx ON public.job USING btree (lease_expires_at) WHERE (lease_expires_at IS NOT NULL);

--
-- Name: job_parent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_parent_idx ON public.job USING btree (parent_id) WHERE (parent_id IS NOT NULL);

--
-- Name: job_reference_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX job_reference_idx ON public.job USING btree (reference_id);

--
-- Name: outbox_parked_key_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_parked_key_idx ON public.outbox_parked USING btree (outbox, message_key, row_id) WHERE (parked_date IS NOT NULL);

--
-- Name: outbox_provision_status_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX outbox_provision_status_idx ON public.outbox USING btree (provision_id, status) WHERE (provision_id IS NOT NULL);

--
-- Name: outbox_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_request_id_idx ON public.outbox USING btree (request_id);

--
-- Name: outbox_unsent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_unsent_idx ON public.outbox USING btree (id) WHERE (sent_date IS NULL);

--
-- Name: provision_contact_contact_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_contact_id_idx ON public.provision_contact USING btree (contact_id) WHERE (contact_id IS NOT NULL);

--
-- Name: provision_contact_delete_contact_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_delete_contact_id_idx ON public.provision_contact_delete USING btree (contact_id) WHERE (contact_id IS NOT NULL);

--
-- Name: provision_contact_delete_handle_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_delete_handle_idx ON public.provision_contact_delete USING btree (accreditation_id, handle);

--
-- Name: provision_contact_delete_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_contact_delete_request_id_idx ON public.provision_contact_delete USING btree (request_id);

--
-- Name: provision_contact_handle_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_handle_idx ON public.provision_contact USING btree (accreditation_id, handle);

--
-- Name: provision_contact_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_contact_request_id_idx ON public.provision_contact USING btree (request_id);

--
-- Name: provision_contact_update_contact_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_update_contact_id_idx ON public.provision_contact_update USING btree (contact_id) WHERE (contact_id IS NOT NULL);

--
-- Name: provision_contact_update_handle_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_contact_update_handle_idx ON public.provision_contact_update USING btree (accreditation_id, handle);

--
-- Name: provision_contact_update_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_contact_update_request_id_idx ON public.provision_contact_update USING btree (request_id);

--
-- Name: provision_domain_delete_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_delete_name_idx ON public.provision_domain_delete USING btree (name);

--
-- Name: provision_domain_delete_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_delete_request_id_idx ON public.provision_domain_delete USING btree (request_id);

--
-- Name: provision_domain_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_name_idx ON public.provision_domain USING btree (name);

--
-- Name: provision_domain_renew_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_renew_name_idx ON public.provision_domain_renew USING btree (name);

--
-- Name: provision_domain_renew_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_renew_request_id_idx ON public.provision_domain_renew USING btree (request_id);

--
-- Name: provision_domain_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_request_id_idx ON public.provision_domain USING btree (request_id);

--
-- Name: provision_domain_restore_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_restore_name_idx ON public.provision_domain_restore USING btree (name);

--
-- Name: provision_domain_restore_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_restore_request_id_idx ON public.provision_domain_restore USING btree (request_id);

--
-- Name: provision_domain_transfer_action_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_transfer_action_name_idx ON public.provision_domain_transfer_action USING btree (name);

--
-- Name: provision_domain_transfer_action_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_transfer_action_request_id_idx ON public.provision_domain_transfer_action USING btree (request_id);

--
-- Name: provision_domain_transfer_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_transfer_name_idx ON public.provision_domain_transfer USING btree (name);

--
-- Name: provision_domain_transfer_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_transfer_request_id_idx ON public.provision_domain_transfer USING btree (request_id);

--
-- Name: provision_domain_update_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_domain_update_name_idx ON public.provision_domain_update USING btree (name);

--
-- Name: provision_domain_update_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_domain_update_request_id_idx ON public.provision_domain_update USING btree (request_id);

--
-- Name: provision_host_delete_host_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_delete_host_id_idx ON public.provision_host_delete USING btree (host_id) WHERE (host_id IS NOT NULL);

--
-- Name: provision_host_delete_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_delete_name_idx ON public.provision_host_delete USING btree (accreditation_id, name);

--
-- Name: provision_host_delete_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_host_delete_request_id_idx ON public.provision_host_delete USING btree (request_id);

--
-- Name: provision_host_host_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_host_id_idx ON public.provision_host USING btree (host_id) WHERE (host_id IS NOT NULL);

--
-- Name: provision_host_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_name_idx ON public.provision_host USING btree (accreditation_id, name);

--
-- Name: provision_host_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_host_request_id_idx ON public.provision_host USING btree (request_id);

--
-- Name: provision_host_update_host_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_update_host_id_idx ON public.provision_host_update USING btree (host_id) WHERE (host_id IS NOT NULL);

--
-- Name: provision_host_update_name_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX provision_host_update_name_idx ON public.provision_host_update USING btree (accreditation_id, name);

--
-- Name: provision_host_update_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_host_update_request_id_idx ON public.provision_host_update USING btree (request_id);

--
-- Name: provision_ssl_request_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX provision_ssl_request_id_idx ON public.provision_ssl USING btree (request_id);

--
-- Name: provision provision_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: class; Owner: -
--

ALTER TABLE ONLY class.provision
    ADD CONSTRAINT provision_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision provision_job_id_fkey; Type: FK CONSTRAINT; Schema: class; Owner: -
--

ALTER TABLE ONLY class.provision
    ADD CONSTRAINT provision_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id);

--
-- Name: provision provision_status_id_fkey; Type: FK CONSTRAINT; Schema: class; Owner: -
--

ALTER TABLE ONLY class.provision
    ADD CONSTRAINT provision_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision provision_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: class; Owner: -
--

ALTER TABLE ONLY class.provision
    ADD CONSTRAINT provision_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: order_item order_item_order_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item
    ADD CONSTRAINT order_item_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders."order"(id);

--
-- Name: order_item_plan order_item_plan_order_item_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan
    ADD CONSTRAINT order_item_plan_order_item_id_fkey FOREIGN KEY (order_item_id) REFERENCES orders.order_item(id);

--
-- Name: order_item_plan order_item_plan_status_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item_plan
    ADD CONSTRAINT order_item_plan_status_id_fkey FOREIGN KEY (status_id) REFERENCES orders.order_item_plan_status(id);

--
-- Name: order_item order_item_status_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.order_item
    ADD CONSTRAINT order_item_status_id_fkey FOREIGN KEY (status_id) REFERENCES orders.order_item_status(id);

--
-- Name: order order_status_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders."order"
    ADD CONSTRAINT order_status_id_fkey FOREIGN KEY (status_id) REFERENCES orders.order_status(id);

--
-- Name: request_outbox request_outbox_order_item_plan_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.request_outbox
    ADD CONSTRAINT request_outbox_order_item_plan_id_fkey FOREIGN KEY (order_item_plan_id) REFERENCES orders.order_item_plan(id);

--
-- Name: status_outbox status_outbox_order_id_fkey; Type: FK CONSTRAINT; Schema: orders; Owner: -
--

ALTER TABLE ONLY orders.status_outbox
    ADD CONSTRAINT status_outbox_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders."order"(id);

--
-- Name: accreditation accreditation_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation
    ADD CONSTRAINT accreditation_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenant(id);

--
-- Name: accreditation_tld accreditation_tld_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld
    ADD CONSTRAINT accreditation_tld_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: accreditation_tld accreditation_tld_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accreditation_tld
    ADD CONSTRAINT accreditation_tld_tld_id_fkey FOREIGN KEY (tld_id) REFERENCES public.tld(id);

--
-- Name: certificate certificate_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate
    ADD CONSTRAINT certificate_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: certificate certificate_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.certificate
    ADD CONSTRAINT certificate_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: contact contact_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact
    ADD CONSTRAINT contact_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: contact contact_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact
    ADD CONSTRAINT contact_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: domain domain_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain
    ADD CONSTRAINT domain_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: domain domain_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.domain
    ADD CONSTRAINT domain_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: host host_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host
    ADD CONSTRAINT host_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: host host_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host
    ADD CONSTRAINT host_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: host host_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.host
    ADD CONSTRAINT host_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: job job_parent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.job(id);

--
-- Name: job job_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.job_status(id);

--
-- Name: job job_type_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job
    ADD CONSTRAINT job_type_id_fkey FOREIGN KEY (type_id) REFERENCES public.job_type(id);

--
-- Name: provision_contact provision_contact_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_contact provision_contact_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contact(id) ON DELETE SET NULL;

--
-- Name: provision_contact_delete provision_contact_delete_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_contact_delete provision_contact_delete_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contact(id) ON DELETE SET NULL;

--
-- Name: provision_contact_delete provision_contact_delete_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_contact_delete provision_contact_delete_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_contact_delete provision_contact_delete_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_delete
    ADD CONSTRAINT provision_contact_delete_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_contact provision_contact_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_contact provision_contact_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_contact provision_contact_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact
    ADD CONSTRAINT provision_contact_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_contact_update provision_contact_update_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_contact_update provision_contact_update_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contact(id) ON DELETE SET NULL;

--
-- Name: provision_contact_update provision_contact_update_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_contact_update provision_contact_update_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_contact_update provision_contact_update_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_contact_update
    ADD CONSTRAINT provision_contact_update_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain provision_domain_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain provision_domain_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_delete provision_domain_delete_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_delete provision_domain_delete_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_delete provision_domain_delete_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_delete provision_domain_delete_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_delete provision_domain_delete_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_delete provision_domain_delete_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_delete
    ADD CONSTRAINT provision_domain_delete_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain provision_domain_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_renew provision_domain_renew_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_renew provision_domain_renew_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_renew provision_domain_renew_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_renew provision_domain_renew_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_renew provision_domain_renew_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_renew provision_domain_renew_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_renew
    ADD CONSTRAINT provision_domain_renew_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain_restore provision_domain_restore_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_restore provision_domain_restore_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_restore provision_domain_restore_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_restore provision_domain_restore_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_restore provision_domain_restore_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_restore provision_domain_restore_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_restore
    ADD CONSTRAINT provision_domain_restore_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain provision_domain_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain provision_domain_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain
    ADD CONSTRAINT provision_domain_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain_transfer provision_domain_transfer_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_transfer provision_domain_transfer_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_transfer_action provision_domain_transfer_action_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer_action
    ADD CONSTRAINT provision_domain_transfer_action_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain_transfer provision_domain_transfer_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_transfer provision_domain_transfer_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_transfer provision_domain_transfer_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_transfer provision_domain_transfer_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_transfer
    ADD CONSTRAINT provision_domain_transfer_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_domain_update provision_domain_update_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_domain_update provision_domain_update_accreditation_tld_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_accreditation_tld_id_fkey FOREIGN KEY (accreditation_tld_id) REFERENCES public.accreditation_tld(id);

--
-- Name: provision_domain_update provision_domain_update_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_domain_update provision_domain_update_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_domain_update provision_domain_update_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_domain_update provision_domain_update_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_domain_update
    ADD CONSTRAINT provision_domain_update_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_host provision_host_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_host_delete provision_host_delete_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_host_delete provision_host_delete_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.host(id) ON DELETE SET NULL;

--
-- Name: provision_host_delete provision_host_delete_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_host_delete provision_host_delete_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_host_delete provision_host_delete_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_delete
    ADD CONSTRAINT provision_host_delete_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_host provision_host_domain_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_domain_id_fkey FOREIGN KEY (domain_id) REFERENCES public.domain(id);

--
-- Name: provision_host provision_host_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.host(id) ON DELETE SET NULL;

--
-- Name: provision_host provision_host_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_host provision_host_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_host provision_host_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host
    ADD CONSTRAINT provision_host_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_host_update provision_host_update_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_host_update provision_host_update_host_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_host_id_fkey FOREIGN KEY (host_id) REFERENCES public.host(id) ON DELETE SET NULL;

--
-- Name: provision_host_update provision_host_update_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_host_update provision_host_update_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_host_update provision_host_update_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_host_update
    ADD CONSTRAINT provision_host_update_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: provision_ssl provision_ssl_accreditation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_accreditation_id_fkey FOREIGN KEY (accreditation_id) REFERENCES public.accreditation(id);

--
-- Name: provision_ssl provision_ssl_certificate_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_certificate_id_fkey FOREIGN KEY (certificate_id) REFERENCES public.certificate(id);

--
-- Name: provision_ssl provision_ssl_job_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.job(id) DEFERRABLE INITIALLY DEFERRED;

--
-- Name: provision_ssl provision_ssl_status_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_status_id_fkey FOREIGN KEY (status_id) REFERENCES public.provision_status(id);

--
-- Name: provision_ssl provision_ssl_tenant_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.provision_ssl
    ADD CONSTRAINT provision_ssl_tenant_customer_id_fkey FOREIGN KEY (tenant_customer_id) REFERENCES public.tenant_customer(id);

--
-- Name: tenant_customer tenant_customer_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer
    ADD CONSTRAINT tenant_customer_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customer(id);

--
-- Name: tenant_customer tenant_customer_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant_customer
    ADD CONSTRAINT tenant_customer_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenant(id);


-- Rows the migrations insert (their generated ids, dates and serials left out).

INSERT INTO orders.order_item_plan_status (name, is_success, is_final) VALUES
    ('completed', 'true', 'true'),
    ('failed', 'false', 'true'),
    ('new', 'true', 'false'),
    ('processing', 'true', 'false');

INSERT INTO orders.order_item_status (name, is_success, is_final) VALUES
    ('complete', 'true', 'true'),
    ('failed', 'false', 'true'),
    ('new', 'true', 'false'),
    ('processing', 'true', 'false');

INSERT INTO orders.order_status (name, is_success, is_final) VALUES
    ('created', 'true', 'false'),
    ('failed', 'false', 'true'),
    ('processing', 'true', 'false'),
    ('successful', 'true', 'true');

INSERT INTO public.job_status (name, descr, is_success, is_final) VALUES
    ('completed', 'finished successfully', 'true', 'true'),
    ('failed', 'failed for good; result_message says why', 'false', 'true'),
    ('processing', 'claimed by lease_owner until lease_expires_at', 'true', 'false'),
    ('queued', 'runnable once start_date has passed', 'true', 'false');

INSERT INTO public.job_type (name, descr, reference_table, completion_function, max_attempts) VALUES
    ('domain_delete_host', 'child of a domain delete: delete one subordinate host', 'provision_domain_delete', 'domain_delete_host_complete', '5'),
    ('domain_delete_unlink_hosts', 'child of a domain delete: remove its own subordinate hosts from its name servers', 'provision_domain_delete', 'domain_delete_unlink_hosts_complete', '5'),
    ('domain_update_host', 'child of a domain update: create one glue host', 'provision_domain_update', 'domain_update_host_complete', '5'),
    ('provision_contact', 'create a contact at the registry', 'provision_contact', 'provision_contact_complete', '5'),
    ('provision_contact_delete', 'delete a contact', 'provision_contact_delete', 'provision_contact_delete_complete', '5'),
    ('provision_contact_update', 'change a contact', 'provision_contact_update', 'provision_contact_update_complete', '5'),
    ('provision_domain', 'create a domain at the registry', 'provision_domain', 'provision_domain_complete', '5'),
    ('provision_domain_delete', 'delete a domain', 'provision_domain_delete', 'provision_domain_delete_complete', '5'),
    ('provision_domain_renew', 'renew a domain', 'provision_domain_renew', 'provision_domain_renew_complete', '5'),
    ('provision_domain_restore', 'restore a domain from redemption', 'provision_domain_restore', 'provision_domain_restore_complete', '5'),
    ('provision_domain_transfer', 'transfer a domain in', 'provision_domain_transfer', 'provision_domain_transfer_complete', '5'),
    ('provision_domain_transfer_action', 'cancel or reject a pending transfer', 'provision_domain_transfer_action', 'provision_domain_transfer_action_complete', '5'),
    ('provision_domain_update', 'update a domain', 'provision_domain_update', 'provision_domain_update_complete', '5'),
    ('provision_host', 'create a host at the registry', 'provision_host', 'provision_host_complete', '5'),
    ('provision_host_delete', 'delete a host', 'provision_host_delete', 'provision_host_delete_complete', '5'),
    ('provision_host_update', 'change the addresses of a host', 'provision_host_update', 'provision_host_update_complete', '5'),
    ('provision_ssl', 'issue an SSL certificate', 'provision_ssl', 'provision_ssl_complete', '10');

INSERT INTO public.provision_status (name, descr, is_success, is_final) VALUES
    ('completed', 'done; the object was created or changed', 'true', 'true'),
    ('failed', 'failed; result_message says why', 'false', 'true'),
    ('pending', 'recorded, waiting for its job to be claimed', 'true', 'false'),
    ('pending_action', 'waiting for a third party (e.g. a transfer approval)', 'true', 'false'),
    ('processing', 'its job has been claimed by an executor (or is retrying)', 'true', 'false');
