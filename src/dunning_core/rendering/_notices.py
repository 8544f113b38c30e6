"""The built-in notices: their English source texts, marked for ``pybabel extract``.

Each text is a gettext message with a context (``msgctxt``) naming the notice and the
part, so two notices can say the same English words and still be translated apart.
``_t(context, text)`` marks a text, ``_tn(context, singular, plural, count)`` a text
with plural forms chosen by the context variable ``count``. ``make messages`` extracts
them with ``-k _t:1c,2 -k _tn:1c,2,3``; the catalogs under ``rendering/locale`` carry
their French, German and Spanish translations.

Placeholders are ``{name}``; the variables each notice may use are in
:data:`VARIABLES` (documented in docs/messages.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

__all__ = [
    "ALIASES",
    "COMMON",
    "NOTICES",
    "VARIABLES",
    "Notice",
    "Text",
]


@attrs.frozen
class Text:
    """One translatable text.

    Attributes:
        context: The gettext context (``"notice.first|subject"``).
        singular: The English text (the msgid).
        plural: The English plural, for a text with plural forms.
        count: The context variable whose value chooses the plural form.
        when: Variables that must be present and not ``None`` for the text to be used
            (an optional paragraph: late interest only where it applies).
    """

    context: str
    singular: str
    plural: str | None = None
    count: str | None = None
    when: tuple[str, ...] = ()


def _t(context: str, text: str, *, when: tuple[str, ...] = ()) -> Text:
    return Text(context, text, when=when)


def _tn(context: str, singular: str, plural: str, count: str) -> Text:
    return Text(context, singular, plural, count)


@attrs.frozen
class Notice:
    """A built-in notice.

    Attributes:
        key: The template key.
        subject: The subject line (``None`` for SMS texts).
        paragraphs: The body, one text per paragraph.
        pay_link: End with the payment link (and a pay button in HTML).
        already_paid: End with "if you have already paid, ignore this message".
        html: Render an HTML part (email); SMS and call tasks have none.
        variables: The variable groups the notice's context carries (see
            :data:`VARIABLES`).
    """

    key: str
    subject: Text | None
    paragraphs: tuple[Text, ...]
    pay_link: bool = True
    already_paid: bool = True
    html: bool = True
    variables: tuple[str, ...] = ("account", "invoices")


#: Texts every notice shares.
COMMON: Final[Mapping[str, Text]] = {
    "greeting": _t("common|greeting", "Dear {customer_name},"),
    "pay_online": _t("common|pay_online", "Pay online: {pay_url}"),
    "pay_button": _t("common|pay_button", "Pay now"),
    "already_paid": _t(
        "common|already_paid", "If you have already paid, please ignore this message."
    ),
    "days_late": _tn(
        "common|days_late",
        "Payment is now {days_overdue} day late.",
        "Payment is now {days_overdue} days late.",
        "days_overdue",
    ),
    "col_invoice": _t("table|invoice", "Invoice"),
    "col_due_on": _t("table|due_on", "Due date"),
    "col_open": _t("table|open_amount", "Amount open"),
    "col_days_late": _t("table|days_late", "Days late"),
    "total": _t("table|total", "Total due"),
    "creditor_reference": _tn(
        "common|creditor_reference",
        "Payment reference: {creditor_references}",
        "Payment references: {creditor_references}",
        "creditor_reference_count",
    ),
}

_DAYS_LATE = COMMON["days_late"]

#: The variables a notice's context carries, by group. Every notice has ``account``;
#: ``invoices`` is there for notices about invoices.
VARIABLES: Final[Mapping[str, Mapping[str, str]]] = {
    "account": {
        "customer_name": "the customer's name (Account.name)",
        "account_id": "the account id",
        "pay_url": "the payment link (signed when SignedPaymentLinks is configured)",
        "locale": "the locale asked for (the account's)",
    },
    "invoices": {
        "invoice_numbers": "the invoices' numbers, oldest first (a list of str)",
        "invoice_count": "how many invoices the notice is about",
        "invoices": "one mapping per invoice: number, due_on, open_amount, days_late",
        "amount_due": "what is open on those invoices (money)",
        "due_on": "the oldest due date (date)",
        "days_overdue": "days past due of the most overdue invoice",
        "stage": "the ladder stage key",
        "creditor_reference": "the oldest invoice's RF creditor reference, or empty",
        "creditor_references": "every invoice's RF creditor reference, joined by ', '",
    },
    "termination": {"days": "days until the account is terminated"},
    "suspension": {
        "reason": "why the service is suspended, in words",
        "resumes_when": "what reactivates it, in words",
    },
    "credit": {
        "threshold": "the alert threshold, in percent (70, 85, 100)",
        "balance": "the account's exposure (money)",
        "credit_limit": "the account's credit limit (money)",
    },
    "formal_notice": {
        "deadline": "the day by which the customer must pay (date)",
        "total_claimed": "amount due plus interest, fees and compensation (money)",
        "late_interest": "late-payment interest so far (money), or None",
        "interest_rate": "the annual interest rate in percent (a Decimal: 12.15), or None",
        "recovery_compensation": "the fixed recovery compensation (money), or None",
        "fees": "the stage fees charged (money), or None",
    },
    "call": {
        "phone": "the number to call",
        "last_notice": "the last notice sent, or None",
    },
}

_INVOICE_NOTICES: Final[tuple[Notice, ...]] = (
    Notice(
        key="reminder.before_due",
        subject=_tn(
            "reminder.before_due|subject",
            "Invoice {invoice_numbers} is due on {due_on}",
            "Invoices {invoice_numbers} are due on {due_on}",
            "invoice_count",
        ),
        paragraphs=(
            _tn(
                "reminder.before_due|body",
                "A friendly reminder that invoice {invoice_numbers} for {amount_due} is "
                "due on {due_on}.",
                "A friendly reminder that invoices {invoice_numbers}, {amount_due} in "
                "total, are due on {due_on}.",
                "invoice_count",
            ),
        ),
    ),
    Notice(
        key="reminder.due_today",
        subject=_tn(
            "reminder.due_today|subject",
            "Invoice {invoice_numbers} is due today",
            "Invoices {invoice_numbers} are due today",
            "invoice_count",
        ),
        paragraphs=(
            _tn(
                "reminder.due_today|body",
                "Invoice {invoice_numbers} for {amount_due} is due today.",
                "Invoices {invoice_numbers}, {amount_due} in total, are due today.",
                "invoice_count",
            ),
        ),
    ),
    Notice(
        key="reminder.overdue",
        subject=_tn(
            "reminder.overdue|subject",
            "Invoice {invoice_numbers} is overdue",
            "Invoices {invoice_numbers} are overdue",
            "invoice_count",
        ),
        paragraphs=(
            _tn(
                "reminder.overdue|body",
                "Invoice {invoice_numbers} for {amount_due} was due on {due_on} and is "
                "still unpaid.",
                "Invoices {invoice_numbers}, {amount_due} in total, are still unpaid; the "
                "oldest was due on {due_on}.",
                "invoice_count",
            ),
            _DAYS_LATE,
        ),
    ),
    Notice(
        key="notice.first",
        subject=_t("notice.first|subject", "First notice: payment overdue"),
        paragraphs=(
            _tn(
                "notice.first|body",
                "Our records show {amount_due} unpaid on invoice {invoice_numbers}, due on "
                "{due_on}.",
                "Our records show {amount_due} unpaid on invoices {invoice_numbers}; the "
                "oldest was due on {due_on}.",
                "invoice_count",
            ),
            _DAYS_LATE,
        ),
    ),
    Notice(
        key="notice.second",
        subject=_t("notice.second|subject", "Second notice: payment overdue"),
        paragraphs=(
            _tn(
                "notice.second|body",
                "Despite our first notice, {amount_due} remains unpaid on invoice "
                "{invoice_numbers}.",
                "Despite our first notice, {amount_due} remains unpaid on invoices "
                "{invoice_numbers}.",
                "invoice_count",
            ),
            _DAYS_LATE,
            _t("notice.second|request", "Please pay without delay to avoid further action."),
        ),
    ),
    Notice(
        key="notice.third",
        subject=_t("notice.third|subject", "Third notice: payment overdue"),
        paragraphs=(
            _tn(
                "notice.third|body",
                "Despite our previous notices, {amount_due} remains unpaid on invoice "
                "{invoice_numbers}.",
                "Despite our previous notices, {amount_due} remains unpaid on invoices "
                "{invoice_numbers}.",
                "invoice_count",
            ),
            _DAYS_LATE,
            _t(
                "notice.third|request",
                "Please pay now: without payment we will have to take further steps.",
            ),
        ),
    ),
    Notice(
        key="notice.final",
        subject=_t("notice.final|subject", "Final notice before further action"),
        paragraphs=(
            _tn(
                "notice.final|body",
                "This is our final notice: {amount_due} remains unpaid on invoice "
                "{invoice_numbers}.",
                "This is our final notice: {amount_due} remains unpaid on invoices "
                "{invoice_numbers}.",
                "invoice_count",
            ),
            _DAYS_LATE,
            _t(
                "notice.final|request",
                "Without payment, we will act to recover this sum without further notice.",
            ),
        ),
    ),
    Notice(
        key="notice.termination_warning",
        subject=_tn(
            "notice.termination_warning|subject",
            "Notice: your account will be terminated in {days} day",
            "Notice: your account will be terminated in {days} days",
            "days",
        ),
        paragraphs=(
            _tn(
                "notice.termination_warning|body",
                "{amount_due} remains unpaid on invoice {invoice_numbers}.",
                "{amount_due} remains unpaid on invoices {invoice_numbers}.",
                "invoice_count",
            ),
            _tn(
                "notice.termination_warning|consequence",
                "Without payment, your account will be terminated in {days} day.",
                "Without payment, your account will be terminated in {days} days.",
                "days",
            ),
        ),
        variables=("account", "invoices", "termination"),
    ),
    Notice(
        key="notice.terminated",
        subject=_t("notice.terminated|subject", "Legal notice: account terminated"),
        paragraphs=(
            _tn(
                "notice.terminated|body",
                "As {amount_due} remains unpaid on invoice {invoice_numbers}, your account "
                "has been terminated.",
                "As {amount_due} remains unpaid on invoices {invoice_numbers}, your account "
                "has been terminated.",
                "invoice_count",
            ),
            _t("notice.terminated|still_due", "The amount remains due."),
        ),
        already_paid=False,
    ),
    Notice(
        key="collection.handover",
        subject=_t(
            "collection.handover|subject",
            "Your file has been handed over to our collection partner",
        ),
        paragraphs=(
            _tn(
                "collection.handover|body",
                "As {amount_due} remains unpaid on invoice {invoice_numbers} after our "
                "reminders, your file has been handed over to our collection partner, who "
                "will contact you.",
                "As {amount_due} remains unpaid on invoices {invoice_numbers} after our "
                "reminders, your file has been handed over to our collection partner, who "
                "will contact you.",
                "invoice_count",
            ),
        ),
        pay_link=False,
        already_paid=False,
    ),
    Notice(
        key="order.cancelled",
        subject=_t("order.cancelled|subject", "Your order is cancelled"),
        paragraphs=(
            _tn(
                "order.cancelled|body",
                "As {amount_due} remains unpaid on invoice {invoice_numbers} after our "
                "reminders and the collection procedure, your order is cancelled.",
                "As {amount_due} remains unpaid on invoices {invoice_numbers} after our "
                "reminders and the collection procedure, your order is cancelled.",
                "invoice_count",
            ),
        ),
        pay_link=False,
        already_paid=False,
    ),
    Notice(
        key="claim.declared",
        subject=_t("claim.declared|subject", "Our claim is declared in your insolvency proceeding"),
        paragraphs=(
            _tn(
                "claim.declared|body",
                "We have declared our claim of {amount_due} on invoice {invoice_numbers} in "
                "the insolvency proceeding concerning your company.",
                "We have declared our claim of {amount_due} on invoices {invoice_numbers} "
                "in the insolvency proceeding concerning your company.",
                "invoice_count",
            ),
            _t(
                "claim.declared|stop",
                "Our reminders stop while the proceeding is open; please address any "
                "question to the court-appointed administrator.",
            ),
        ),
        pay_link=False,
        already_paid=False,
    ),
    Notice(
        key="formal_notice",
        subject=_t("formal_notice|subject", "Formal notice to pay"),
        paragraphs=(
            _tn(
                "formal_notice|body",
                "Despite our reminders, {amount_due} remains unpaid on invoice "
                "{invoice_numbers}, due on {due_on}.",
                "Despite our reminders, {amount_due} remains unpaid on invoices "
                "{invoice_numbers}; the oldest was due on {due_on}.",
                "invoice_count",
            ),
            _t(
                "formal_notice|demand",
                "We hereby give you formal notice to pay {total_claimed} by {deadline} at "
                "the latest.",
            ),
            _t(
                "formal_notice|interest",
                "Late-payment interest at the annual rate of {interest_rate}% runs from the "
                "day after the due date; it amounts to {late_interest} so far.",
                when=("late_interest", "interest_rate"),
            ),
            _t(
                "formal_notice|compensation",
                "A fixed compensation of {recovery_compensation} per invoice for recovery "
                "costs is also due, as the law on late payment in commercial transactions "
                "provides.",
                when=("recovery_compensation",),
            ),
            _t(
                "formal_notice|fees",
                "Reminder fees of {fees} are included.",
                when=("fees",),
            ),
            _t(
                "formal_notice|consequence",
                "Failing payment by that date, we will take legal action to recover these "
                "sums without further notice, and the costs of that action will be added to "
                "your debt.",
            ),
        ),
        already_paid=False,
        variables=("account", "invoices", "formal_notice"),
    ),
)

_OTHER_NOTICES: Final[tuple[Notice, ...]] = (
    Notice(
        key="account.suspended",
        subject=_t("account.suspended|subject", "Your service is suspended"),
        paragraphs=(
            _t("account.suspended|body", "Your service is suspended: {reason}."),
            _t(
                "account.suspended|resume",
                "It resumes automatically once your payment is received and allocated.",
            ),
        ),
        already_paid=False,
        variables=("account", "suspension"),
    ),
    Notice(
        key="account.reactivated",
        subject=_t("account.reactivated|subject", "Your service is active again"),
        paragraphs=(
            _t(
                "account.reactivated|body",
                "Thank you: your payment has been received and your service is active again.",
            ),
        ),
        pay_link=False,
        already_paid=False,
        variables=("account",),
    ),
    Notice(
        key="credit.alert",
        subject=_t("credit.alert|subject", "You have used {threshold}% of your credit limit"),
        paragraphs=(
            _t(
                "credit.alert|body",
                "Your outstanding balance of {balance} has reached {threshold}% of your "
                "credit limit of {credit_limit}.",
            ),
        ),
        pay_link=False,
        already_paid=False,
        variables=("account", "credit"),
    ),
    Notice(
        key="credit.alert.70",
        subject=_t("credit.alert.70|subject", "You have used 70% of your credit limit"),
        paragraphs=(
            _t(
                "credit.alert.70|body",
                "For your information: your outstanding balance of {balance} has reached "
                "70% of your credit limit of {credit_limit}.",
            ),
        ),
        pay_link=False,
        already_paid=False,
        variables=("account", "credit"),
    ),
    Notice(
        key="credit.alert.85",
        subject=_t("credit.alert.85|subject", "You are close to your credit limit"),
        paragraphs=(
            _t(
                "credit.alert.85|body",
                "Your outstanding balance of {balance} has reached 85% of your credit "
                "limit of {credit_limit}. A payment now keeps your orders flowing.",
            ),
        ),
        already_paid=False,
        variables=("account", "credit"),
    ),
    Notice(
        key="credit.alert.100",
        subject=_t("credit.alert.100|subject", "You have reached your credit limit"),
        paragraphs=(
            _t(
                "credit.alert.100|body",
                "Your outstanding balance of {balance} has reached your credit limit of "
                "{credit_limit}. New orders may be held until a payment is received.",
            ),
        ),
        already_paid=False,
        variables=("account", "credit"),
    ),
    Notice(
        key="call.task",
        subject=_t("call.task|subject", "Call {customer_name} about {amount_due} overdue"),
        paragraphs=(
            _tn(
                "call.task|body",
                "Call {customer_name} on {phone} about invoice {invoice_numbers}: "
                "{amount_due}, due on {due_on}.",
                "Call {customer_name} on {phone} about invoices {invoice_numbers}: "
                "{amount_due} in total, the oldest due on {due_on}.",
                "invoice_count",
            ),
            _DAYS_LATE,
            _t(
                "call.task|script",
                "Say: we are calling about your unpaid balance of {amount_due}; when can "
                "we expect your payment?",
            ),
            _t(
                "call.task|report",
                "Then record the call report: reached with a promise (date and amount), "
                "reached with a dispute (the reason), reached and refused, no answer, wrong "
                "number or voicemail.",
            ),
        ),
        pay_link=False,
        already_paid=False,
        html=False,
        variables=("account", "invoices", "call"),
    ),
)


def _sms(key: str, text: Text) -> Notice:
    return Notice(
        key=f"{key}.sms",
        subject=None,
        paragraphs=(text,),
        pay_link=False,
        already_paid=False,
        html=False,
    )


_SMS_NOTICES: Final[tuple[Notice, ...]] = (
    _sms(
        "reminder.before_due",
        _t(
            "reminder.before_due.sms|body",
            "{customer_name}: {amount_due} due on {due_on} ({invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "reminder.due_today",
        _t(
            "reminder.due_today.sms|body",
            "{customer_name}: {amount_due} due today ({invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "reminder.overdue",
        _t(
            "reminder.overdue.sms|body",
            "{customer_name}: {amount_due} unpaid ({invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "notice.first",
        _t(
            "notice.first.sms|body",
            "{customer_name}: first notice, {amount_due} overdue ("
            "{invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "notice.second",
        _t(
            "notice.second.sms|body",
            "{customer_name}: second notice, {amount_due} overdue ("
            "{invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "notice.third",
        _t(
            "notice.third.sms|body",
            "{customer_name}: third notice, {amount_due} overdue ("
            "{invoice_numbers}). Pay: {pay_url}",
        ),
    ),
    _sms(
        "notice.final",
        _t(
            "notice.final.sms|body",
            "{customer_name}: final notice, {amount_due} overdue ("
            "{invoice_numbers}). Pay now: {pay_url}",
        ),
    ),
    attrs.evolve(
        _sms(
            "notice.termination_warning",
            _tn(
                "notice.termination_warning.sms|body",
                "{customer_name}: {amount_due} unpaid. Your account will be terminated in "
                "{days} day. Pay: {pay_url}",
                "{customer_name}: {amount_due} unpaid. Your account will be terminated in "
                "{days} days. Pay: {pay_url}",
                "days",
            ),
        ),
        variables=("account", "invoices", "termination"),
    ),
    attrs.evolve(
        _sms(
            "account.suspended",
            _t(
                "account.suspended.sms|body",
                "{customer_name}: your service is suspended until payment. Pay: {pay_url}",
            ),
        ),
        variables=("account", "suspension"),
    ),
    attrs.evolve(
        _sms(
            "account.reactivated",
            _t(
                "account.reactivated.sms|body",
                "{customer_name}: payment received, your service is active again. Thank you.",
            ),
        ),
        variables=("account",),
    ),
)

#: Every built-in notice, by key.
NOTICES: Final[Mapping[str, Notice]] = {
    notice.key: notice for notice in (*_INVOICE_NOTICES, *_OTHER_NOTICES, *_SMS_NOTICES)
}

#: The preset ladders' template keys (their stage keys) -> (built-in key, fixed values).
ALIASES: Final[Mapping[str, tuple[str, Mapping[str, object]]]] = {
    "due_soon": ("reminder.before_due", {}),
    "due_today": ("reminder.due_today", {}),
    "overdue": ("reminder.overdue", {}),
    "first_notice": ("notice.first", {}),
    "second_notice": ("notice.second", {}),
    "third_notice": ("notice.third", {}),
    "final_notice": ("notice.final", {}),
    "termination_in_10_days": ("notice.termination_warning", {"days": 10}),
    "termination_in_5_days": ("notice.termination_warning", {"days": 5}),
    "account_terminated": ("notice.terminated", {}),
    "reminder_1": ("reminder.overdue", {}),
    "reminder_2": ("notice.second", {}),
    "hand_over": ("collection.handover", {}),
    "relance_email": ("reminder.overdue", {}),
    "relance_sms": ("reminder.overdue.sms", {}),
    "appel": ("call.task", {}),
    "mise_en_demeure": ("formal_notice", {}),
    "order_cancelled": ("order.cancelled", {}),
    "declare_claim": ("claim.declared", {}),
}
