"""The PostgreSQL schema, as numbered migrations recorded in ``schema_migrations``.

Migration ``k`` (1-based) takes a schema from version ``k - 1`` to ``k``; never edit a
released one, append. ``{s}`` stands for the store's quoted schema name.

Choices (docs/decisions.md, "PostgreSQL store"):

- Amounts are ``bigint`` minor units next to their ISO 4217 code, as on SQLite: exact,
  summable in SQL, and the exponent comes from the shipped ISO table.
- Ids and keys are ``text COLLATE "C"``: no length limit, and byte order, which for
  UTF-8 is code-point order, the order the ports promise.
- Days are ``date``; instants ``timestamptz``.
- Lists (invoice numbers, tags, reason codes, contacts) are JSON in ``text`` columns:
  batch writes pass one array per column, and PostgreSQL cannot nest a list per row in
  them; ``jsonb`` would refuse the ``\\u0000`` escape a text may hold.
- The keys that make effects exactly-once are primary keys; inserts say
  ``ON CONFLICT DO NOTHING`` without naming the constraint, so dropping one (the
  control run of the fault tests) lets duplicates in instead of failing.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS"]

_V1: Final = """
CREATE TABLE {s}.accounts (
    id text COLLATE "C" PRIMARY KEY,
    shard_key bigint NOT NULL,
    name text NOT NULL,
    currency text NOT NULL,
    segment text NOT NULL,
    locale text NOT NULL,
    timezone text NOT NULL,
    credit_limit_minor bigint,
    billing_entity_id text COLLATE "C",
    registration_id text,
    tags text NOT NULL,
    terms_kind text NOT NULL,
    terms_days integer NOT NULL,
    contacts text NOT NULL,
    -- ISO 3166 country and subdivision (national phone formats, public holidays).
    country text,
    subdivision text
);
CREATE INDEX accounts_by_entity ON {s}.accounts (billing_entity_id, id)
    WHERE billing_entity_id IS NOT NULL;

CREATE TABLE {s}.invoices (
    number text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    issued_on date NOT NULL,
    due_on date NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    purchase_order text
);
CREATE INDEX invoices_by_account ON {s}.invoices (account_id, number);

CREATE TABLE {s}.credit_notes (
    number text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    issued_on date NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    credits_invoice text COLLATE "C",
    reason text
);
CREATE INDEX credit_notes_by_account ON {s}.credit_notes (account_id, number);

CREATE TABLE {s}.payments (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" REFERENCES {s}.accounts (id),
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    received_on date NOT NULL,
    method text NOT NULL,
    status text NOT NULL,
    bank_reference text NOT NULL,
    payer_name text NOT NULL
);
CREATE INDEX payments_by_account ON {s}.payments (account_id, id);
CREATE INDEX payments_in_suspense ON {s}.payments (id) WHERE account_id IS NULL;

CREATE TABLE {s}.allocations (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_number text COLLATE "C" NOT NULL REFERENCES {s}.invoices (number),
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    kind text NOT NULL,
    source_id text COLLATE "C" NOT NULL,
    reference text
);
CREATE INDEX allocations_by_invoice ON {s}.allocations (invoice_number);
CREATE INDEX allocations_by_source ON {s}.allocations (source_id);

CREATE TABLE {s}.remittance_advices (
    payment_id text COLLATE "C" PRIMARY KEY REFERENCES {s}.payments (id),
    reference text
);

CREATE TABLE {s}.remittance_lines (
    payment_id text COLLATE "C" NOT NULL
        REFERENCES {s}.remittance_advices (payment_id) ON DELETE CASCADE,
    position integer NOT NULL,
    invoice_number text NOT NULL,
    currency text NOT NULL,
    paid_minor bigint NOT NULL,
    withheld_minor bigint NOT NULL,
    discount_minor bigint NOT NULL,
    reason text,
    certificate text,
    PRIMARY KEY (payment_id, position)
);

CREATE TABLE {s}.promises (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    made_on date NOT NULL,
    due_on date NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    invoice_numbers text NOT NULL
);
CREATE INDEX promises_by_account ON {s}.promises (account_id, id);

CREATE TABLE {s}.disputes (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    invoice_number text NOT NULL,
    opened_on date NOT NULL,
    reason text NOT NULL,
    resolved_on date
);
CREATE INDEX disputes_by_account ON {s}.disputes (account_id, id);

CREATE TABLE {s}.proceedings (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    kind text NOT NULL,
    opened_on date NOT NULL,
    ruled_on date,
    reference text,
    court text
);
CREATE INDEX proceedings_by_account ON {s}.proceedings (account_id, id);

CREATE TABLE {s}.holds (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    reason text NOT NULL,
    starts_on date NOT NULL,
    ends_on date,
    invoice_number text,
    suspends boolean NOT NULL
);
CREATE INDEX holds_by_account ON {s}.holds (account_id, id);

CREATE TABLE {s}.actions (
    key text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    ladder text NOT NULL,
    stage text NOT NULL,
    action text NOT NULL,
    channel text NOT NULL,
    invoice_numbers text NOT NULL,
    fired_on date NOT NULL,
    skipped boolean NOT NULL,
    payload text NOT NULL
);
CREATE INDEX actions_by_account ON {s}.actions (account_id, fired_on, key);

CREATE TABLE {s}.suspension_states (
    account_id text COLLATE "C" PRIMARY KEY REFERENCES {s}.accounts (id),
    suspended boolean NOT NULL,
    reason_codes text NOT NULL,
    since date,
    requires_prepayment boolean NOT NULL
);

CREATE TABLE {s}.credit_alert_states (
    account_id text COLLATE "C" PRIMARY KEY REFERENCES {s}.accounts (id),
    fired text NOT NULL
);

CREATE TABLE {s}.events (
    key text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    kind text NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload text NOT NULL
);
CREATE INDEX events_by_account ON {s}.events (account_id, occurred_at, key);

CREATE TABLE {s}.charges (
    key text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    kind text NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    booked_on date NOT NULL,
    invoice_number text,
    stage text,
    detail text NOT NULL
);
CREATE INDEX charges_by_account ON {s}.charges (account_id, key);

CREATE TABLE {s}.refunds (
    id text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    refunded_on date NOT NULL,
    reference text NOT NULL
);
CREATE INDEX refunds_by_account ON {s}.refunds (account_id, id);

CREATE TABLE {s}.outbox (
    key text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES {s}.accounts (id),
    channel text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'DEAD')),
    attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_token text,
    lease_expires_at timestamptz,
    provider_message_id text,
    sent_at timestamptz,
    last_error text,
    -- When the message is next claimable: next_attempt_at while PENDING,
    -- lease_expires_at while SENDING, NULL once SENT or DEAD.
    due_at timestamptz,
    -- The locale of the text used (a fallback shows), and a letter's stored document.
    text_locale text NOT NULL DEFAULT '',
    document text,
    -- The HTML part of an e-mail, when the renderer made one.
    html_body text
);
CREATE INDEX outbox_due ON {s}.outbox (due_at, created_at, key) WHERE due_at IS NOT NULL;
CREATE INDEX outbox_by_account ON {s}.outbox (account_id, created_at, key);
CREATE INDEX outbox_dead ON {s}.outbox (key) WHERE status = 'DEAD';

CREATE TABLE {s}.checkpoints (
    run_date date NOT NULL,
    shard text COLLATE "C" NOT NULL,
    last_account_id text COLLATE "C",
    done boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_date, shard)
);

-- How many shards each run date was planned with (first plan wins): a worker handed
-- a shard of another split refuses it.
CREATE TABLE {s}.cycle_plans (
    run_date date PRIMARY KEY,
    shards integer NOT NULL CHECK (shards > 0),
    planned_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""

# Version 2 (issue 18, attachments): what an e-mail asks to carry and, once SENT, what it
# carried (JSON, as on SQLite; NULL for a message that carries nothing).
_V2: Final = """
ALTER TABLE {s}.outbox ADD COLUMN attachments text;
"""


def _marking() -> str:
    """Version 3's functions and triggers that mark an account for review on every write
    that can change its evaluation (part of a released migration: never change what it
    returns). Statement-level triggers see every row a batch wrote (transition tables),
    so a batch of a thousand invoices marks its accounts in one update."""
    marked = "DATE '0001-01-01'"
    script: list[str] = []

    def function(name: str, accounts: str) -> None:
        script.append(
            f"CREATE FUNCTION {{s}}.{name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n"
            f"    UPDATE {{s}}.accounts SET next_review_on = {marked}\n"
            f"     WHERE id IN ({accounts}) AND next_review_on <> {marked};\n"
            f"    RETURN NULL;\n"
            f"END $$;"
        )

    def triggers(table: str, insert: str, update: str, delete: str) -> None:
        for when, fn, referencing in (
            ("INSERT", insert, "NEW TABLE AS new_rows"),
            ("UPDATE", update, "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", delete, "OLD TABLE AS old_rows"),
        ):
            script.append(
                f"CREATE TRIGGER {table}_mark_{when.lower()} AFTER {when} ON {{s}}.{table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {{s}}.{fn}();"
            )

    function("mark_new_rows", "SELECT account_id FROM new_rows")
    function("mark_old_rows", "SELECT account_id FROM old_rows")
    function(
        "mark_changed_rows",
        "SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows",
    )
    for table in (
        "invoices",
        "credit_notes",
        "charges",
        "refunds",
        "promises",
        "disputes",
        "proceedings",
        "holds",
        "actions",
        "suspension_states",
        "credit_alert_states",
    ):
        triggers(table, "mark_new_rows", "mark_changed_rows", "mark_old_rows")
    # A payment's status or identification also changes the accounts of the invoices
    # it settled.
    function(
        "mark_changed_payments",
        "SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows "
        "UNION SELECT i.account_id FROM {s}.allocations a "
        "JOIN {s}.invoices i ON i.number = a.invoice_number "
        "WHERE a.source_id IN (SELECT id FROM new_rows)",
    )
    triggers("payments", "mark_new_rows", "mark_changed_payments", "mark_old_rows")

    def touched(rows: str) -> str:
        return (
            f"SELECT i.account_id FROM {rows} r JOIN {{s}}.invoices i "
            "ON i.number = r.invoice_number "
            f"UNION SELECT p.account_id FROM {rows} r JOIN {{s}}.payments p ON p.id = r.source_id "
            f"UNION SELECT c.account_id FROM {rows} r JOIN {{s}}.credit_notes c "
            "ON c.number = r.source_id"
        )

    function("mark_new_allocations", touched("new_rows"))
    function("mark_old_allocations", touched("old_rows"))
    function("mark_changed_allocations", f"{touched('new_rows')} UNION {touched('old_rows')}")
    triggers(
        "allocations", "mark_new_allocations", "mark_changed_allocations", "mark_old_allocations"
    )
    # The account's own data: the library's upsert sets every column, so every change of
    # it is an UPDATE OF one of them (a schedule sets next_review_on alone).
    script.append(
        "CREATE FUNCTION {s}.mark_account() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    NEW.next_review_on := {marked};\n    RETURN NEW;\nEND $$;"
    )
    script.append(
        "CREATE TRIGGER accounts_mark BEFORE UPDATE OF name, currency, segment, locale, "
        "timezone, credit_limit_minor, billing_entity_id, registration_id, tags, terms_kind, "
        "terms_days, contacts, country, subdivision ON {s}.accounts "
        "FOR EACH ROW EXECUTE FUNCTION {s}.mark_account();"
    )
    return "\n".join(script)


# Version 3: the incremental cycle (issue 13). Each account's next review day
# ('0001-01-01': marked, due at the next run, what every existing account starts with;
# '9999-12-31': only a write makes it due), indexed in the order the cycle pages through
# the due accounts; what the review days were computed with; and the triggers that mark
# an account on every write that can change its evaluation, whoever writes.
_V3: Final = """
ALTER TABLE {s}.accounts ADD COLUMN next_review_on date NOT NULL DEFAULT DATE '0001-01-01';
CREATE INDEX accounts_by_review ON {s}.accounts (next_review_on, id, shard_key);

CREATE TABLE {s}.review_basis (
    id integer PRIMARY KEY CHECK (id = 1),
    fingerprint text NOT NULL,
    latest_day date NOT NULL
);
""" + _marking()

#: Migration scripts; ``schema_migrations`` lists the versions applied.
MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3)
