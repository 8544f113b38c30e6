"""build_email writes MIME the standard library reads back to the same text."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default

from hypothesis import given
from hypothesis import strategies as st

from dunning_core.adapters.notify.smtp import build_email
from dunning_core.domain.outbox import OutboxMessage

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_characters = st.characters(codec="utf-8", exclude_categories=("Cs",))
texts = st.text(_characters, max_size=300) | st.sampled_from(
    [".\n..\n.", "--=_dunning_x\n=_", "x" * 2000, "ligne\r\nsuivante\rfin", "a\0b", ""]
)
subjects = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=120
).map(lambda s: " ".join(s.split()))
recipients = st.sampled_from(
    [
        "jean@client.example",
        "Jean Dupont <jean@client.example>",
        '"Dupont, Jean" <jean@client.example>, compta@client.example',
        "compta@société.example",
        "José Núñez <josé@client.example>",
    ]
)


def _read(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _lines(text: str) -> str:
    # Line breaks travel as CRLF (RFC 5321); what a line holds must come back intact.
    return text.replace("\r\n", "\n").replace("\r", "\n")


@given(subject=subjects, body=texts, html=st.none() | texts, recipient=recipients)
def test_what_is_built_reads_back_as_the_same_subject_and_texts(
    subject: str, body: str, html: str | None, recipient: str
) -> None:
    message = OutboxMessage.new(
        key="k-1",
        account_id="A-1",
        channel="EMAIL",
        recipient=recipient,
        subject=subject,
        body=body,
        html_body=html,
        created_at=NOW,
    )
    built = build_email(
        message, sender="ACME <billing@acme.example>", message_id_domain="acme.example", date=NOW
    )
    parsed = _read(built.data)
    assert parsed.defects == []
    assert str(parsed["Subject"]) == subject
    assert parsed["Message-ID"] == "<dunning.k-1@acme.example>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert len(parsed["To"].addresses) == len(built.recipients)
    if html is None:
        assert parsed.get_content_type() == "text/plain"
        assert _lines(parsed.get_content()) == _lines(body)
    else:
        assert parsed.get_content_type() == "multipart/alternative"
        plain, rich = parsed.iter_parts()
        assert plain.get_content_type() == "text/plain" and rich.get_content_type() == "text/html"
        assert _lines(plain.get_content()) == _lines(body)  # type: ignore[attr-defined]
        assert _lines(rich.get_content()) == _lines(html)  # type: ignore[attr-defined]
    assert all(len(line) <= 998 for line in built.data.split(b"\r\n"))
    assert b"\n" not in built.data.replace(b"\r\n", b"")


# -- attachments: multipart/mixed around the text (and its HTML) ------------------------

filenames = st.sampled_from(
    ["facture-F-1.pdf", "relevé-A-1.pdf", "rechnung-Ä 9 ü.pdf", "x" * 110 + ".pdf", "a;b=c.pdf"]
)


@given(
    body=texts,
    html=st.none() | texts,
    files=st.lists(st.tuples(filenames, st.binary(max_size=3000)), min_size=1, max_size=3),
)
def test_attachments_read_back_byte_for_byte_after_the_text(
    body: str, html: str | None, files: list[tuple[str, bytes]]
) -> None:
    from dunning_core.adapters.notify.attachments import FileAttachment

    message = OutboxMessage.new(
        key="k-2",
        account_id="A-1",
        channel="EMAIL",
        recipient="jean@client.example",
        subject="Relance",
        body=body,
        html_body=html,
        created_at=NOW,
    )
    attached = [FileAttachment(name, data) for name, data in files]
    built = build_email(
        message,
        sender="ACME <billing@acme.example>",
        message_id_domain="acme.example",
        date=NOW,
        attachments=attached,
    )
    parsed = _read(built.data)
    assert parsed.defects == []
    assert parsed.get_content_type() == "multipart/mixed"
    first, *rest = parsed.iter_parts()
    if html is None:
        assert first.get_content_type() == "text/plain"
        assert _lines(first.get_content()) == _lines(body)  # type: ignore[attr-defined]
    else:
        assert first.get_content_type() == "multipart/alternative"
        plain, rich = first.iter_parts()  # type: ignore[attr-defined]
        assert _lines(plain.get_content()) == _lines(body)
        assert _lines(rich.get_content()) == _lines(html)
    assert [(part.get_filename(), part.get_content()) for part in rest] == [
        (name, data) for name, data in files
    ]
    assert all(part.get_content_disposition() == "attachment" for part in rest)
    assert all(part.get_content_type() == "application/pdf" for part in rest)
    assert all(len(line) <= 998 for line in built.data.split(b"\r\n"))
    assert b"\n" not in built.data.replace(b"\r\n", b"")
