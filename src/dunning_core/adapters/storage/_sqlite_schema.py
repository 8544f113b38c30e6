"""The SQLite schema, as numbered migrations applied through ``PRAGMA user_version``.

Migration ``k`` (1-based) takes a database from version ``k - 1`` to ``k``. Never edit
a released migration: append a new one. Amounts are INTEGER minor units next to their
ISO 4217 code, dates ISO ``YYYY-MM-DD`` text, instants ISO 8601 text in UTC with
microseconds (fixed width, so text order is time order).

Tables a batch loads by account are clustered on ``account_id`` (``WITHOUT ROWID`` with
the account first in the primary key), so one batch reads contiguous pages.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Final

__all__ = ["APPLICATION_ID", "MIGRATIONS", "ROW_KEYS", "ROW_RULES", "tables_at"]

#: ``PRAGMA application_id`` of a file this library created ("dunn" in ASCII), so that
#: tools (and this library) can tell its files from other applications' files.
APPLICATION_ID: Final = 0x64756E6E

_V1: Final = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    shard_key INTEGER NOT NULL,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    segment TEXT NOT NULL,
    locale TEXT NOT NULL,
    timezone TEXT NOT NULL,
    credit_limit_minor INTEGER,
    billing_entity_id TEXT,
    registration_id TEXT,
    tags TEXT NOT NULL,
    terms_kind TEXT NOT NULL,
    terms_days INTEGER NOT NULL,
    contacts TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE invoices (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    number TEXT NOT NULL UNIQUE,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    purchase_order TEXT,
    PRIMARY KEY (account_id, number)
) WITHOUT ROWID;

CREATE TABLE credit_notes (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    number TEXT NOT NULL UNIQUE,
    issued_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    credits_invoice TEXT,
    reason TEXT,
    PRIMARY KEY (account_id, number)
) WITHOUT ROWID;

CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    received_on TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    bank_reference TEXT NOT NULL,
    payer_name TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX payments_by_account ON payments(account_id);

CREATE TABLE allocations (
    seq INTEGER PRIMARY KEY,
    invoice_number TEXT NOT NULL REFERENCES invoices(number),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    reference TEXT
);
CREATE INDEX allocations_by_invoice ON allocations(invoice_number);
CREATE INDEX allocations_by_source ON allocations(source_id);

CREATE TABLE remittance_advices (
    payment_id TEXT PRIMARY KEY REFERENCES payments(id),
    reference TEXT
) WITHOUT ROWID;

CREATE TABLE remittance_lines (
    payment_id TEXT NOT NULL REFERENCES remittance_advices(payment_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    invoice_number TEXT NOT NULL,
    currency TEXT NOT NULL,
    paid_minor INTEGER NOT NULL,
    withheld_minor INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL,
    reason TEXT,
    certificate TEXT,
    PRIMARY KEY (payment_id, position)
) WITHOUT ROWID;

CREATE TABLE promises (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    id TEXT NOT NULL UNIQUE,
    made_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    invoice_numbers TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE disputes (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    id TEXT NOT NULL UNIQUE,
    invoice_number TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    resolved_on TEXT,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE proceedings (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    ruled_on TEXT,
    reference TEXT,
    court TEXT,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE holds (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    id TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    invoice_number TEXT,
    suspends INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE actions (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key TEXT NOT NULL UNIQUE,
    ladder TEXT NOT NULL,
    stage TEXT NOT NULL,
    action TEXT NOT NULL,
    channel TEXT NOT NULL,
    invoice_numbers TEXT NOT NULL,
    fired_on TEXT NOT NULL,
    skipped INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE TABLE suspension_states (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    suspended INTEGER NOT NULL,
    reason_codes TEXT NOT NULL,
    since TEXT,
    requires_prepayment INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE credit_alert_states (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    fired TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'DEAD')),
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_token TEXT,
    lease_expires_at TEXT,
    provider_message_id TEXT,
    sent_at TEXT,
    last_error TEXT,
    -- When the message is next claimable: next_attempt_at while PENDING,
    -- lease_expires_at while SENDING, NULL once SENT or DEAD.
    due_at TEXT
);
CREATE INDEX outbox_due ON outbox(due_at, created_at, key) WHERE due_at IS NOT NULL;
CREATE INDEX outbox_by_account ON outbox(account_id);
CREATE INDEX outbox_by_status ON outbox(status);

CREATE TABLE checkpoints (
    run_date TEXT NOT NULL,
    shard TEXT NOT NULL,
    last_account_id TEXT,
    done INTEGER NOT NULL,
    PRIMARY KEY (run_date, shard)
) WITHOUT ROWID;
"""

#: Migration scripts; the database's ``user_version`` is how many have been applied.
# Version 2: central billing looks accounts up by billing entity.
_V2: Final = """
CREATE INDEX accounts_by_entity ON accounts(billing_entity_id)
    WHERE billing_entity_id IS NOT NULL;
"""

# Version 3: booked charges (stage fees, interest, recovery compensation), clustered by
# account like the other per-account tables.
_V3: Final = """
CREATE TABLE charges (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    booked_on TEXT NOT NULL,
    invoice_number TEXT,
    stage TEXT,
    detail TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
"""

# Version 4 (0.2): reason codes are upper-case across the library (states stored by 0.1
# kept the suspension rules' lower-case codes); refunds of credit, clustered by account.
_V4: Final = """
UPDATE suspension_states SET reason_codes = upper(reason_codes);
"""

# Version 5: refunds of credit (issue 14), and what an outbox message carries besides its
# text (issue 18): the locale of the text used (a fallback shows) and the stored document
# of a letter (JSON). The refunds table was briefly part of version 4 on main; a file
# migrated then already has it, hence IF NOT EXISTS (a released migration is never
# edited: version 4 is back to what it was when it first landed).
_V5: Final = """
CREATE TABLE IF NOT EXISTS refunds (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    id TEXT NOT NULL UNIQUE,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    refunded_on TEXT NOT NULL,
    reference TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN text_locale TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN document TEXT;
"""

# Version 6 (issue 17): the HTML part of an email message, and the account's country
# and subdivision (national phone formats, public holidays). Added columns are NULL on
# rows written before.
_V6: Final = """
ALTER TABLE outbox ADD COLUMN html_body TEXT;
ALTER TABLE accounts ADD COLUMN country TEXT;
ALTER TABLE accounts ADD COLUMN subdivision TEXT;
"""

# Version 7 (issue 18, attachments): what an e-mail asks to carry and, once SENT, what
# it carried (JSON, NULL when it carries nothing).
_V7: Final = """
ALTER TABLE outbox ADD COLUMN attachments TEXT;
"""


def _marking_triggers() -> str:
    """The triggers of version 8 that mark an account for review on every write that can
    change its evaluation (part of a released migration: never change what it returns)."""
    mark = (
        "UPDATE accounts SET next_review_on = '0001-01-01' "
        "WHERE id {target} AND next_review_on <> '0001-01-01';"
    )

    def trigger(name: str, when: str, table: str, *targets: str) -> str:
        body = "\n    ".join(mark.format(target=target) for target in targets)
        return f"CREATE TRIGGER {name} AFTER {when} ON {table} BEGIN\n    {body}\nEND;\n"

    script = [
        # A change to the account's own data (the library's upsert sets every column).
        trigger(
            "accounts_mark",
            "UPDATE OF name, currency, segment, locale, timezone, credit_limit_minor, "
            "billing_entity_id, registration_id, tags, terms_kind, terms_days, contacts, "
            "country, subdivision",
            "accounts",
            "= NEW.id",
        )
    ]
    for table in (
        "invoices",
        "credit_notes",
        "charges",
        "promises",
        "disputes",
        "proceedings",
        "holds",
        "refunds",
        "actions",
        "suspension_states",
        "credit_alert_states",
    ):
        script.append(trigger(f"{table}_mark_insert", "INSERT", table, "= NEW.account_id"))
        script.append(
            trigger(f"{table}_mark_update", "UPDATE", table, "= NEW.account_id", "= OLD.account_id")
        )
        script.append(trigger(f"{table}_mark_delete", "DELETE", table, "= OLD.account_id"))
    settled = (
        "IN (SELECT i.account_id FROM allocations a JOIN invoices i "
        "ON i.number = a.invoice_number WHERE a.source_id = {row}.id)"
    )
    script.append(trigger("payments_mark_insert", "INSERT", "payments", "= NEW.account_id"))
    script.append(
        trigger(
            "payments_mark_update",
            "UPDATE",
            "payments",
            "= NEW.account_id",
            "= OLD.account_id",
            settled.format(row="NEW"),
        )
    )
    script.append(trigger("payments_mark_delete", "DELETE", "payments", "= OLD.account_id"))
    touched = (
        "IN (SELECT account_id FROM invoices WHERE number = {row}.invoice_number "
        "UNION ALL SELECT account_id FROM payments WHERE id = {row}.source_id "
        "UNION ALL SELECT account_id FROM credit_notes WHERE number = {row}.source_id)"
    )
    script.append(
        trigger("allocations_mark_insert", "INSERT", "allocations", touched.format(row="NEW"))
    )
    script.append(
        trigger(
            "allocations_mark_update",
            "UPDATE",
            "allocations",
            touched.format(row="NEW"),
            touched.format(row="OLD"),
        )
    )
    script.append(
        trigger("allocations_mark_delete", "DELETE", "allocations", touched.format(row="OLD"))
    )
    return "\n".join(script)


# Version 8: the incremental cycle (issue 13). Each account's next review day
# ('0001-01-01': marked, due at the next run, what every existing account starts with;
# '9999-12-31': only a write makes it due), indexed in the order the cycle pages through
# the due accounts; what the review days were computed with; and triggers that mark an
# account on every write that can change its evaluation, whoever writes.
_V8: Final = """
ALTER TABLE accounts ADD COLUMN next_review_on TEXT NOT NULL DEFAULT '0001-01-01';
CREATE INDEX accounts_by_review ON accounts(next_review_on, id, shard_key);

CREATE TABLE review_basis (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    latest_day TEXT NOT NULL
);
""" + _marking_triggers()

#: What every row of the tables the store rebuilds without validation must satisfy
#: (``{r}`` is the row: ``NEW`` in a trigger, the table in a check; a rule holds when
#: its condition is 1, so a NULL breaks it), each with the message a refused write
#: carries. Part of a released migration: never edit; a new
#: rule is a new migration.
ROW_RULES: Final[dict[str, tuple[tuple[str, str], ...]]] = {}


def _rules() -> dict[str, tuple[tuple[str, str], ...]]:
    def ident(column: str) -> str:
        return f"typeof({{r}}.{column}) = 'text' AND length(trim({{r}}.{column})) > 0"

    def maybe_ident(column: str) -> str:
        return f"{{r}}.{column} IS NULL OR ({ident(column)})"

    def text(column: str) -> str:
        return f"typeof({{r}}.{column}) = 'text'"

    def day(column: str) -> str:
        return (
            f"typeof({{r}}.{column}) = 'text' AND date({{r}}.{column}, '+0 days') IS {{r}}.{column}"
        )

    def day_from(column: str, first: str) -> str:
        return f"{day(column)} AND {{r}}.{column} >= {{r}}.{first}"

    def maybe_day_from(column: str, first: str) -> str:
        return f"{{r}}.{column} IS NULL OR ({day_from(column, first)})"

    def amount(units: str, currency: str) -> str:
        return (
            f"typeof({{r}}.{units}) = 'integer' AND {{r}}.{units} BETWEEN 1 AND 999999999999999999"
            f" AND typeof({{r}}.{currency}) = 'text' AND {{r}}.{currency} GLOB '[A-Z][A-Z][A-Z]'"
        )

    def flag(column: str) -> str:
        return f"{{r}}.{column} IN (0, 1)"

    def array(column: str) -> str:
        # CASE: SQLite evaluates both sides of an AND, and json_type raises on text that
        # is not JSON (an error, not the rule's refusal).
        return (
            f"CASE WHEN json_valid({{r}}.{column}) "
            f"THEN json_type({{r}}.{column}) = 'array' ELSE 0 END"
        )

    def one_of(column: str, values: str) -> str:
        return f"{{r}}.{column} IN ({values})"

    def rules(table: str, *checks: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple((condition, f"{table}.{what}") for condition, what in checks)

    return {
        "invoices": rules(
            "invoices",
            (ident("account_id"), "account_id must be an identifier"),
            (ident("number"), "number must be an identifier"),
            (day("issued_on"), "issued_on must be a date"),
            (day_from("due_on", "issued_on"), "due_on must be a date on or after issued_on"),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (maybe_ident("purchase_order"), "purchase_order must be an identifier or NULL"),
        ),
        "credit_notes": rules(
            "credit_notes",
            (ident("account_id"), "account_id must be an identifier"),
            (ident("number"), "number must be an identifier"),
            (day("issued_on"), "issued_on must be a date"),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (maybe_ident("credits_invoice"), "credits_invoice must be an identifier or NULL"),
            (maybe_ident("reason"), "reason must be text or NULL"),
        ),
        "payments": rules(
            "payments",
            (ident("id"), "id must be an identifier"),
            (maybe_ident("account_id"), "account_id must be an identifier or NULL"),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (day("received_on"), "received_on must be a date"),
            (
                one_of("method", "'CARD', 'DIRECT_DEBIT', 'TRANSFER', 'CHECK', 'CASH', 'OTHER'"),
                "method must be a PaymentMethod",
            ),
            (
                one_of("status", "'PENDING', 'CLEARED', 'FAILED', 'CHARGED_BACK'"),
                "status must be a PaymentStatus",
            ),
            (f"{text('bank_reference')} AND {text('payer_name')}", "texts must be text"),
        ),
        "allocations": rules(
            "allocations",
            (ident("invoice_number"), "invoice_number must be an identifier"),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (
                one_of(
                    "kind",
                    "'CASH', 'CREDIT', 'CREDIT_NOTE', 'WITHHOLDING', 'DISCOUNT', 'WRITE_OFF'",
                ),
                "kind must be an AllocationKind",
            ),
            (ident("source_id"), "source_id must be an identifier"),
            (maybe_ident("reference"), "reference must be an identifier or NULL"),
        ),
        "charges": rules(
            "charges",
            (ident("account_id"), "account_id must be an identifier"),
            (ident("key"), "key must be an identifier"),
            (
                one_of("kind", "'STAGE_FEE', 'LATE_INTEREST', 'RECOVERY_COMPENSATION'"),
                "kind must be a ChargeKind",
            ),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (day("booked_on"), "booked_on must be a date"),
            (
                f"({maybe_ident('invoice_number')}) AND ({maybe_ident('stage')})"
                f" AND {text('detail')}",
                "invoice_number, stage and detail must be text",
            ),
        ),
        "promises": rules(
            "promises",
            (f"{ident('account_id')} AND {ident('id')}", "ids must be identifiers"),
            (day("made_on"), "made_on must be a date"),
            (day_from("due_on", "made_on"), "due_on must be a date on or after made_on"),
            (amount("amount_minor", "currency"), "amount must be positive minor units"),
            (array("invoice_numbers"), "invoice_numbers must be a JSON array"),
        ),
        "disputes": rules(
            "disputes",
            (
                f"{ident('account_id')} AND {ident('id')} AND {ident('invoice_number')}",
                "ids must be identifiers",
            ),
            (day("opened_on"), "opened_on must be a date"),
            (text("reason"), "reason must be text"),
            (
                maybe_day_from("resolved_on", "opened_on"),
                "resolved_on must be NULL or a date on or after opened_on",
            ),
        ),
        "proceedings": rules(
            "proceedings",
            (f"{ident('account_id')} AND {ident('id')}", "ids must be identifiers"),
            (
                one_of(
                    "kind",
                    "'BANKRUPTCY', 'RECEIVERSHIP', 'SAFEGUARD', 'ADMINISTRATION', 'OTHER'",
                ),
                "kind must be a ProceedingKind",
            ),
            (day("opened_on"), "opened_on must be a date"),
            (
                maybe_day_from("ruled_on", "opened_on"),
                "ruled_on must be NULL or a date on or after opened_on",
            ),
            (
                f"({maybe_ident('reference')}) AND ({maybe_ident('court')})",
                "reference and court must be text or NULL",
            ),
        ),
        "holds": rules(
            "holds",
            (
                f"{ident('account_id')} AND {ident('id')} AND {ident('reason')}",
                "ids and reason must be identifiers",
            ),
            (day("starts_on"), "starts_on must be a date"),
            (
                maybe_day_from("ends_on", "starts_on"),
                "ends_on must be NULL or a date on or after starts_on",
            ),
            (maybe_ident("invoice_number"), "invoice_number must be an identifier or NULL"),
            (flag("suspends"), "suspends must be 0 or 1"),
        ),
        "actions": rules(
            "actions",
            (f"{ident('account_id')} AND {ident('key')}", "ids must be identifiers"),
            (
                f"{text('ladder')} AND {text('stage')} AND {text('action')} AND "
                f"{text('channel')} AND {text('payload')}",
                "ladder, stage, action, channel and payload must be text",
            ),
            (array("invoice_numbers"), "invoice_numbers must be a JSON array"),
            (day("fired_on"), "fired_on must be a date"),
            (flag("skipped"), "skipped must be 0 or 1"),
        ),
        "suspension_states": rules(
            "suspension_states",
            (ident("account_id"), "account_id must be an identifier"),
            (
                f"{flag('suspended')} AND {flag('requires_prepayment')}",
                "suspended and requires_prepayment must be 0 or 1",
            ),
            (array("reason_codes"), "reason_codes must be a JSON array"),
            (f"{{r}}.since IS NULL OR ({day('since')})", "since must be NULL or a date"),
        ),
        "credit_alert_states": rules(
            "credit_alert_states",
            (ident("account_id"), "account_id must be an identifier"),
            (array("fired"), "fired must be a JSON array"),
        ),
    }


ROW_RULES.update(_rules())

#: The key that names a row of each checked table in an integrity report.
ROW_KEYS: Final[dict[str, str]] = {
    "invoices": "number",
    "credit_notes": "number",
    "payments": "id",
    "allocations": "seq",
    "charges": "key",
    "promises": "id",
    "disputes": "id",
    "proceedings": "id",
    "holds": "id",
    "actions": "key",
    "suspension_states": "account_id",
    "credit_alert_states": "account_id",
}


def _check_triggers() -> str:
    """Version 9's triggers: a write (insert or update, by the library or anyone) of a
    row that breaks :data:`ROW_RULES` is refused with the rule's message."""
    script = []
    for table, checks in ROW_RULES.items():
        body = "\n    ".join(
            f"SELECT RAISE(ABORT, '{message}') WHERE ({condition.format(r='NEW')}) IS NOT 1;"
            for condition, message in checks
        )
        for when in ("INSERT", "UPDATE"):
            script.append(
                f"CREATE TRIGGER {table}_check_{when.lower()} BEFORE {when} ON {table} "
                f"BEGIN\n    {body}\nEND;\n"
            )
    return "\n".join(script)


# Version 9: the rows the store rebuilds without validation (issue 13) are checked when
# written instead, by whoever writes them.
_V9: Final = _check_triggers()

MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9)


@functools.cache
def tables_at(version: int) -> frozenset[str]:
    """The tables the schema has at ``version`` (0: none), from the migrations themselves."""
    connection = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS[:version]:
            connection.executescript(script)
        names = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return frozenset(name for (name,) in names if not name.startswith("sqlite_"))
    finally:
        connection.close()
