"""The demo scenario end to end (examples/portfolio.json, 60 days on SQLite): the facts
the seeds' collection teams would check, worked out from the scenario by hand."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from examples.demo import DemoResult, run_demo
from examples.demo import _summary as summary

D = date.fromisoformat


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, list[str], Path]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    lines: list[str] = []
    return run_demo(path, lines.append), lines, path


def test_small_customer_suspended_at_16_days_and_reactivated_by_its_payment(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    # F-A03-1 due 5 March: 15 days past due on the 20th, 16 on the 21st.
    assert result.suspended_on["A03"] == [D("2026-03-21")]
    assert result.reactivated["A03"] == [(D("2026-03-28"), "P-A03-1")]


def test_large_customer_suspended_at_31_days(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, _, _ = demo
    # F-A04-1 due 5 March: 31 days past due on 5 April.
    assert result.suspended_on["A04"] == [D("2026-04-05")]
    assert "A04" not in result.reactivated


def test_broken_promise_suspends_the_day_after(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, _, _ = demo
    # Promised for 10 March (invoice due 6 March: only 5 days late on the 11th).
    assert result.suspended_on["A05"] == [D("2026-03-11")]


def test_receivership_stops_collection_and_declares_the_claim(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    assert "ladder.declare_claim" in result.events["A06"]
    assert "A06" in result.suspended_on
    # After the ruling (15 April) the pre-opening invoice is a claim in the proceeding:
    # the account comes back on prepayment the moment the ruling is recorded, and no
    # notice or termination follows.
    assert result.reactivated["A06"] == [(D("2026-04-15"), "ruling")]  # at once, by the service
    after_ruling = [
        m
        for m in result.messages
        if m.account_id == "A06" and m.created_at.date() >= D("2026-04-15")
    ]
    assert [m.key.split(":")[0] for m in after_ruling] == ["account.reactivated"]
    assert "ladder.terminate" not in result.events["A06"]


def test_disputed_invoice_does_not_suspend_until_the_dispute_is_resolved(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    # F-A07-1 (disputed from 28 February to 1 April) is 16 days late on 19 March; the
    # other invoice is paid on 4 March. Suspension waits for the resolution.
    assert result.suspended_on["A07"] == [D("2026-04-01")]


def test_withholding_tax_settles_the_invoice(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, lines, _ = demo
    assert any("F-A08-1 50.00 EUR (withholding)" in line for line in lines)
    assert "A08" not in result.suspended_on


def test_overpayment_becomes_credit(demo: tuple[DemoResult, list[str], Path]) -> None:
    _, lines, _ = demo
    assert any("A09: payment P-A09-2 -> 430.00 EUR kept as credit" in line for line in lines)


def test_chargeback_reopens_and_suspends_again(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, lines, _ = demo
    assert any("chargeback of P-A10-1: F-A10-1 reopened" in line for line in lines)
    # F-A10-1 due 7 March, reopened on 20 March: 16 days late on 23 March.
    assert result.suspended_on["A10"] == [D("2026-03-23")]


def test_central_billing_pays_the_sister_account(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, lines, _ = demo
    assert any("A11: payment P-A11-1 -> F-A11-1 300.00 EUR (cash), F-A12-1" in x for x in lines)
    assert "A11" not in result.suspended_on
    assert "A12" not in result.suspended_on


def test_incomplete_address_blocks_the_hand_over(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    _, _, path = demo
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = dict(
            db.execute(
                "SELECT account_id, payload FROM events WHERE kind = ?",
                ("ladder.hand_over_to_collection",),
            ).fetchall()
        )
    assert "A13" not in rows  # no postal code nor city: blocked, retried every run
    assert json.loads(rows["A14"])["needs_review"] is False  # complete, automatic option


def test_credit_alerts_fire_once_at_each_threshold(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    # 7,200 / 10,000 on 2 March, 8,600 on 16 March, 10,200 on 6 April.
    assert Counter(result.events["A16"])["credit.alert"] == 3
    alerts = [m for m in result.messages if m.key.startswith("credit.alert:A16:")]
    assert [m.key.split(":")[2] for m in alerts] == ["70", "85", "100"]
    # Each threshold has its own text (70 informs, 85 warns, 100 says orders may be held).
    assert len({m.subject for m in alerts}) == 3


def test_payment_in_flight_and_identified_payments_avoid_suspension(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, lines, _ = demo
    assert "A18" not in result.suspended_on  # direct debit pending from 17 to 27 March
    assert any("A21: payment P-A21-1 (identified from its bank reference)" in x for x in lines)
    assert "A21" not in result.suspended_on
    assert "A22" not in result.suspended_on


def test_no_dunning_tag_sends_no_reminder(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, _, _ = demo
    reminders = [
        m for m in result.messages if m.account_id == "A17" and "suspendu" not in m.subject
    ]
    assert reminders == []


def test_every_message_is_sent_exactly_once(demo: tuple[DemoResult, list[str], Path]) -> None:
    result, _, _ = demo
    keys = [m.key for m in result.messages]
    assert len(keys) == len(set(keys))
    assert result.outbox["SENT"] == len(keys)
    assert result.outbox.get("PENDING", 0) == result.outbox.get("DEAD", 0) == 0


def test_the_five_notice_ladder_reaches_termination(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    subjects = [m.subject for m in result.messages if m.account_id == "A02"]
    assert subjects[-1] == "Avis légal : compte résilié"
    assert "ladder.terminate" in result.events["A02"]


def test_two_runs_print_the_same_thing(
    demo: tuple[DemoResult, list[str], Path], tmp_path: Path
) -> None:
    _, first, _ = demo
    second: list[str] = []
    run_demo(tmp_path / "again.sqlite3", second.append)
    assert second == first


def test_the_formal_notice_is_spooled_as_a_registered_letter(
    demo: tuple[DemoResult, list[str], Path],
) -> None:
    result, _, _ = demo
    [pdf] = result.letters
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    [notice] = [m for m in result.messages if m.channel == "REGISTERED_LETTER"]
    assert notice.text_locale == "fr" and notice.document is not None
    manifest = (pdf.parent / "manifest.csv").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == 2 and manifest[1].startswith(notice.key + ",")
    assert ",yes,1," in manifest[1]
    printed: list[str] = []
    summary(result, printed.append)  # what `make demo` prints at the end
    assert f"  {pdf}" in printed
    start = printed.index("The French formal notice (first lines):")
    assert "  | Mise en demeure de payer" in printed[start:]


def test_the_smtp_demo_delivers_every_sent_email_once(tmp_path: Path) -> None:
    from examples.demo import SMTP_PASSWORD, SMTP_USER

    from dunning_core.testing.servers import LocalSmtpServer, TlsMode

    lines: list[str] = []
    server = LocalSmtpServer(tls=TlsMode.STARTTLS, credentials=(SMTP_USER, SMTP_PASSWORD))
    with server:
        result = run_demo(tmp_path / "smtp.sqlite3", lines.append, smtp=server)
        received = server.messages
    assert result.emails_sent == result.smtp_received == len(received) > 50
    assert len(set(result.smtp_message_ids)) == len(received)
    assert all(m.tls and m.login == SMTP_USER for m in received)
    emails = [m for m in result.messages if m.channel == "EMAIL"]
    assert sorted(m.recipient for m in emails) == sorted(m.message["To"] for m in received), (
        "every e-mail printed went to the server, to the same recipients"
    )


def test_the_smtp_demo_command_prints_equal_counts() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--smtp"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    [counts] = [line for line in done.stdout.splitlines() if line.startswith("SMTP: ")]
    assert "(equal)" in counts
