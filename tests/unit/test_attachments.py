"""Attachment values: validated, JSON round trips, safe file names; which notices carry
them, and the day of the last statement."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning_core.domain.account import Channel
from dunning_core.domain.attachments import (
    Attachment,
    AttachmentKind,
    AttachmentOutcome,
    attachments_from_json,
    attachments_to_json,
    safe_filename,
)
from dunning_core.domain.history import ActionRecord
from dunning_core.errors import InvalidField
from dunning_core.service.attachments import AttachmentPolicy, last_statement_day

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
# A file name needs something besides spaces (Attachment refuses "   ").
_filename = _text.filter(str.strip)
attachments = st.one_of(
    st.builds(Attachment.invoice, _text, filename=_filename),
    st.builds(
        Attachment.document,
        st.sampled_from([AttachmentKind.STATEMENT, AttachmentKind.NOTICE]),
        _text,
        filename=_filename,
    ),
).flatmap(
    lambda asked: st.one_of(
        st.just(asked),
        st.builds(
            asked.carried,
            st.sampled_from(AttachmentOutcome),
            data=st.none() | st.binary(max_size=50),
            url=st.none() | st.just("https://docs.example/d/A-1/x?sig=1"),
        ),
    )
)


@given(st.lists(attachments, max_size=4))
def test_attachments_survive_their_json_unchanged(items: list[Attachment]) -> None:
    assert attachments_from_json(attachments_to_json(items)) == tuple(items)


@given(_text)
def test_a_safe_file_name_never_leaves_its_directory_nor_breaks_a_header(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe) <= 120
    assert not any(c in safe for c in '/\\:*?"<>|\r\n\0')
    assert safe not in (".", "..") and not safe.startswith(".")


def test_requests_are_checked() -> None:
    with pytest.raises(InvalidField, match="invoice_number"):
        Attachment(kind=AttachmentKind.INVOICE, filename="f.pdf")
    with pytest.raises(InvalidField, match="letter"):
        Attachment(kind=AttachmentKind.STATEMENT, filename="s.pdf")
    with pytest.raises(InvalidField, match="filename"):
        Attachment.invoice("F-1", filename="  ")
    with pytest.raises(InvalidField, match="kind"):
        Attachment(kind="SPREADSHEET", filename="x.pdf", invoice_number="F-1")
    with pytest.raises(InvalidField, match="attachments"):
        attachments_from_json('[{"kind": "INVOICE"}]')


def test_carried_then_requested_comes_back_to_the_request() -> None:
    asked = Attachment.invoice("F-1", filename="facture-F-1.pdf")
    sent = asked.carried(AttachmentOutcome.ATTACHED, data=b"%PDF-1.4")
    assert (sent.size, len(sent.sha256 or "")) == (8, 64)
    assert sent.requested == asked


def test_only_email_notices_of_the_chosen_stages_carry_files() -> None:
    policy = AttachmentPolicy(invoices=True, stages={"notice.first"})
    assert policy.applies_to("notice.first", Channel.EMAIL)
    assert not policy.applies_to("notice.first", Channel.SMS)
    assert not policy.applies_to("notice.second", Channel.EMAIL)
    assert not AttachmentPolicy().applies_to("notice.first", Channel.EMAIL)
    with pytest.raises(InvalidField, match="stages"):
        AttachmentPolicy(stages="notice.first")  # type: ignore[arg-type]


def _fired(stage: str, day: date, channel: str = "EMAIL", skipped: bool = False) -> ActionRecord:
    return ActionRecord(
        key=f"k-{stage}-{day}-{channel}",
        account_id="A-1",
        ladder="l",
        stage=stage,
        action="REMIND",
        channel=channel,
        fired_on=day,
        skipped=skipped,
    )


def test_the_last_statement_is_the_latest_earlier_email_notice_that_carried_one() -> None:
    policy = AttachmentPolicy(statement=True, stages={"first", "second"})
    records = [
        _fired("first", date(2026, 2, 1)),
        _fired("second", date(2026, 2, 15)),
        _fired("second", date(2026, 2, 20), channel="SMS"),  # no statement by SMS
        _fired("courtesy", date(2026, 2, 25)),  # a stage without statements
        _fired("first", date(2026, 2, 26), skipped=True),  # caught up, never sent
        _fired("second", date(2026, 3, 2)),  # today's own notice
    ]
    assert last_statement_day(policy, records, date(2026, 3, 2)) == date(2026, 2, 15)
    assert last_statement_day(policy, records[:0], date(2026, 3, 2)) is None
    assert last_statement_day(AttachmentPolicy(invoices=True), records, date(2026, 3, 2)) is None
