"""``dunning dispatch`` through notifiers named in the settings file, for real: e-mail by
``SmtpNotifier`` to aiosmtpd on 127.0.0.1 (STARTTLS with a throwaway certificate
authority, AUTH with a password read from the environment), SMS by ``HttpSmsNotifier``
to a scripted HTTP gateway, every message through the ``RoutingNotifier``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dunning_core.testing.servers import (
    LocalSmtpServer,
    Reply,
    ScriptedHttpServer,
    TlsMode,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_cli import dunning

PASSWORD = "s3cret-for-the-test"  # a throwaway server's
ACCOUNTS = (
    "id,name,currency,locale,timezone,email,mobile,address_line1,postal_code,city,country\n"
    "A-1,Boulangerie Martin,EUR,fr_FR,Europe/Paris,ap@martin.example,,1 rue X,69002,Lyon,FR\n"
    "A-2,Acme Corp,USD,en_US,America/New_York,billing@acme.example,+12125550100,"
    "1 Main St,10001,New York,US\n"
)
INVOICES = (
    "number,account_id,issued_on,due_on,amount,currency\n"
    "F-1,A-1,2026-01-05,2026-02-04,120.00,EUR\n"
    "F-2,A-2,2026-01-05,2026-02-04,80.00,USD\n"
)
# A ladder whose first stage writes by e-mail and by SMS on the day after the due date.
SETTINGS = """
[cycle]
default_ladder = "both"

[ladders.both]
[[ladders.both.stages]]
key = "first_notice"
offset = 1
channels = ["EMAIL", "SMS"]

[notifiers]
default = {{ type = "print" }}

[notifiers.EMAIL]
type = "smtp"
host = "127.0.0.1"
port = {smtp_port}
sender = "ACME Billing <billing@acme.example>"
security = "STARTTLS"
cafile = "{cafile}"
username = "billing"
password_env = "TEST_DUNNING_SMTP_PASSWORD"
timeout = 10

[notifiers.SMS]
type = "sms_http"
gateway = "json"
url = "{sms_url}"
sender = "ACME"
token_env = "TEST_DUNNING_SMS_TOKEN"

[routing]
quiet_hours = false
"""


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    with LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=("billing", PASSWORD)) as server:
        yield server


@pytest.fixture
def gateway() -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer() as server:
        server.script("/sms", [Reply(200, body=b'{"id": "SMS-1"}')] * 10)
        yield server


@pytest.fixture
def ledger(tmp_path: Path, smtp: LocalSmtpServer, gateway: ScriptedHttpServer) -> Path:
    """A database with overdue invoices run on 2026-03-01: reminders in the outbox."""
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (tmp_path / "invoices.csv").write_text(INVOICES, encoding="utf-8")
    (tmp_path / "dunning.toml").write_text(
        SETTINGS.format(smtp_port=smtp.port, cafile=smtp.ca_file, sms_url=gateway.url("/sms")),
        encoding="utf-8",
    )
    db = tmp_path / "dunning.sqlite3"
    env = _env(tmp_path)
    dunning("init", db=db, env=env)
    dunning("import", "accounts", str(tmp_path / "accounts.csv"), db=db, env=env)
    dunning("import", "invoices", str(tmp_path / "invoices.csv"), db=db, env=env)
    dunning("run", "--as-of", "2026-02-05", "--progress", "none", db=db, env=env)
    return db


def _env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        "DUNNING_CONFIG": str(folder / "dunning.toml"),
        "TEST_DUNNING_SMTP_PASSWORD": PASSWORD,
        "TEST_DUNNING_SMS_TOKEN": "sms-token",
        **extra,
    }


def test_dispatch_sends_the_email_through_smtp_and_the_sms_through_the_gateway(
    ledger: Path, smtp: LocalSmtpServer, gateway: ScriptedHttpServer
) -> None:
    env = _env(ledger.parent)
    at = "2026-02-05T16:00:00+00:00"
    done = dunning("dispatch", "--at", at, "--json", db=ledger, env=env)
    report = json.loads(done.stdout)
    mails = smtp.messages
    assert sorted(r for mail in mails for r in mail.recipients) == [
        "ap@martin.example",
        "billing@acme.example",
    ]
    assert all(mail.tls and mail.login == "billing" for mail in mails)
    assert {mail.message["From"] for mail in mails} == {"ACME Billing <billing@acme.example>"}
    texts = [json.loads(request.body) for request in gateway.requests]
    assert [text["to"] for text in texts] == ["+12125550100"]
    headers = {k.lower(): v for k, v in gateway.requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sms-token"
    assert report["sent"] == len(mails) + len(texts) and report["dead"] == 0
    assert report["printed"] == []  # nothing fell through to the default printer
    # Exactly once: a second dispatch has nothing left to send.
    again = json.loads(dunning("dispatch", "--at", at, "--json", db=ledger, env=env).stdout)
    assert again["claimed"] == 0
    assert len(smtp.messages) == len(mails) and len(gateway.requests) == len(texts)
    assert PASSWORD not in done.stdout + done.stderr


def test_a_secret_variable_not_set_is_bad_usage_and_sends_nothing(
    ledger: Path, smtp: LocalSmtpServer
) -> None:
    env = _env(ledger.parent, TEST_DUNNING_SMTP_PASSWORD="")
    done = dunning("dispatch", "--at", "2026-02-05T16:00:00+00:00", db=ledger, env=env, check=2)
    assert "TEST_DUNNING_SMTP_PASSWORD" in done.stderr
    assert smtp.messages == []


def test_quiet_hours_defer_the_sms_to_the_morning(
    ledger: Path, smtp: LocalSmtpServer, gateway: ScriptedHttpServer
) -> None:
    settings = ledger.parent / "dunning.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("quiet_hours = false", ""), encoding="utf-8"
    )
    env = _env(ledger.parent)
    night = "2026-02-06T03:00:00+00:00"  # 22:00 in New York
    report = json.loads(dunning("dispatch", "--at", night, "--json", db=ledger, env=env).stdout)
    assert report["deferred"] == 1 and gateway.requests == []
    assert len(smtp.messages) == 2  # e-mail keeps no quiet hours
    morning = "2026-02-06T14:00:00+00:00"  # 09:00 in New York
    later = json.loads(dunning("dispatch", "--at", morning, "--json", db=ledger, env=env).stdout)
    assert later["sent"] == 1 and len(gateway.requests) == 1


def test_an_unknown_notifier_type_or_channel_is_bad_usage(ledger: Path) -> None:
    settings = ledger.parent / "dunning.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('type = "smtp"', 'type = "carrier-pigeon"'), "utf-8")
    env = _env(ledger.parent)
    done = dunning("dispatch", db=ledger, env=env, check=2)
    assert "carrier-pigeon" in done.stderr and "smtp" in done.stderr
    settings.write_text(text.replace("[notifiers.SMS]", "[notifiers.FAX]"), "utf-8")
    assert "FAX" in dunning("dispatch", db=ledger, env=env, check=2).stderr
