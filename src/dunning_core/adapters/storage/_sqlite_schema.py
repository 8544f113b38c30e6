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

__all__ = ["APPLICATION_ID", "MIGRATIONS", "tables_at"]

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

MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)


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
