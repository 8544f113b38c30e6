"""The SQLite schema, as numbered migrations applied through ``PRAGMA user_version``.

Migration ``k`` (1-based) takes a database from version ``k - 1`` to ``k``. Never edit
a released migration: append a new one. Amounts are INTEGER minor units next to their
ISO 4217 code, dates ISO ``YYYY-MM-DD`` text, instants ISO 8601 text in UTC with
microseconds (fixed width, so text order is time order).

Tables a batch loads by account are clustered on ``account_id`` (``WITHOUT ROWID`` with
the account first in the primary key), so one batch reads contiguous pages.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS"]

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

# Version 4: reason codes are upper-case across the library (0.2); states stored by 0.1
# kept the suspension rules' lower-case codes, which this brings in line.
_V4: Final = """
UPDATE suspension_states SET reason_codes = upper(reason_codes);
"""


def _marking_triggers() -> str:
    """The triggers of version 5 that mark an account for review on every write that can
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
            "billing_entity_id, registration_id, tags, terms_kind, terms_days, contacts",
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


# Version 5: the incremental cycle (issue 13). Each account's next review day
# ('0001-01-01': marked, due at the next run, what every existing account starts with;
# '9999-12-31': only a write makes it due), indexed in the order the cycle pages through
# the due accounts; what the review days were computed with; and triggers that mark an
# account on every write that can change its evaluation, whoever writes.
_V5: Final = """
ALTER TABLE accounts ADD COLUMN next_review_on TEXT NOT NULL DEFAULT '0001-01-01';
CREATE INDEX accounts_by_review ON accounts(next_review_on, id, shard_key);

CREATE TABLE review_basis (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    latest_day TEXT NOT NULL
);
""" + _marking_triggers()

MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4, _V5)
