"""``dunning``: the command line of dunning_core.

Every command opens the store named by ``--db`` (``DUNNING_DB``, default
``dunning.sqlite3``), reads the optional settings file (``--config``,
``DUNNING_CONFIG``), calls one service and prints what it did: as text, or as JSON with
``--json``. Exit status: 0 done; 1 the run found errors in some accounts (they are
listed); 2 bad usage or bad input (nothing was written); 3 the store refused (a schema
written by a newer version, a lock held too long, not a database).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from dunning_core import (
    ConstraintViolation,
    DunningError,
    Money,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RemittanceAdvice,
    RemittanceLine,
    StoreError,
    UnknownRecord,
)
from dunning_core.cli import _commands
from dunning_core.cli._settings import UsageError
from dunning_core.errors import InvalidInputFile

__all__ = ["main"]

EXIT_OK, EXIT_ACCOUNT_ERRORS, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 3

#: Commands that only read the store: it is opened read-only for them (as for
#: ``run --dry-run``), so they cannot change it and never wait for a writer.
_READ_ONLY = frozenset({"cases", "statement", "aging", "explain", "report"})


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors raised (so ``main`` returns 2) instead of exiting."""

    def error(self, message: str) -> Any:
        raise UsageError(f"{self.prog}: {message}")


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="SQLite file or postgresql:// URL (env DUNNING_DB; default dunning.sqlite3)",
    )
    common.add_argument(
        "--config", default=argparse.SUPPRESS, help="settings TOML file (env DUNNING_CONFIG)"
    )
    common.add_argument(
        "--busy-timeout",
        type=float,
        default=argparse.SUPPRESS,
        metavar="SECONDS",
        help="wait this long for another writer (or a PostgreSQL connection) before "
        "giving up with status 3 (default 30)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return common


def _as_of_arg(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--as-of",
        type=_commands.parse_as_of,
        required=required,
        help="YYYY-MM-DD, or an ISO datetime with its offset (default: today)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    common = _common()
    parser = _Parser(
        prog="dunning",
        description="Accounts-receivable dunning: import a ledger, run the day, work the cases.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text, parents=[common]
        )
        return sub

    command("init", "create the database (and migrate an existing one)")

    importing = command("import", "import accounts, invoices, credit notes, payments or advices")
    importing.add_argument(
        "kind", choices=["accounts", "invoices", "credit-notes", "payments", "advices"]
    )
    importing.add_argument("file", type=Path)
    importing.add_argument("--decimal", choices=["point", "comma"], default="point")
    importing.add_argument("--date-format", help="strptime pattern (default ISO 8601)")
    importing.add_argument("--format", dest="file_format", choices=["csv", "jsonl"])
    importing.add_argument("--delimiter", help="CSV delimiter (default: sniffed)")
    importing.add_argument(
        "--partial", action="store_true", help="write the good rows, reject the bad ones"
    )
    importing.add_argument("--rejects", type=Path, help="reject file (default FILE.rejects.EXT)")
    importing.add_argument("--advices", type=Path, help="payments: their remittance advices")
    importing.add_argument(
        "--as-of",
        type=_commands.parse_as_of,
        help="when the records are recorded (default: now for accounts, each "
        "document's own date for the others)",
    )
    importing.add_argument(
        "--defer-suspension",
        action="store_true",
        help="leave suspension to the next run (a first load of a ledger in several files)",
    )

    run = command("run", "run the dunning cycle for a day")
    _as_of_arg(run, required=True)
    run.add_argument(
        "--until", type=_commands.parse_day, help="run every day from --as-of to this day"
    )
    run.add_argument(
        "--dispatch",
        nargs="?",
        const=time(23, 0),
        type=_commands.parse_time,
        metavar="HH:MM",
        help="after each day's run, dispatch the outbox at this UTC time (default 23:00)",
    )
    run.add_argument("--dry-run", action="store_true", help="evaluate, write nothing")
    run.add_argument(
        "--full",
        action="store_true",
        help="evaluate every account, not only those due (marked by a write or woken up)",
    )
    run.add_argument("--shard", type=_commands.parse_shard, help="i/n: one shard of n")
    run.add_argument("--batch-size", type=int, default=500, help=argparse.SUPPRESS)
    run.add_argument(
        "--progress",
        choices=["auto", "bar", "lines", "none"],
        default="auto",
        help="progress on stderr (auto: a bar on a terminal, lines otherwise)",
    )

    sending = command("dispatch", "send the outbox through the configured notifiers")
    sending.add_argument("--at", type=_commands.parse_instant, help="ISO datetime (default now)")
    sending.add_argument("--bodies", action="store_true", help="print message bodies too")

    pay = command("pay", "record a payment (and its remittance advice)")
    pay.add_argument("--id", required=True, help="payment id")
    pay.add_argument("--account", help="account id (omit for a payment to identify)")
    pay.add_argument("--amount", required=True)
    pay.add_argument("--currency", required=True)
    pay.add_argument("--on", type=_commands.parse_day, help="value date (default today)")
    pay.add_argument("--method", choices=[str(m) for m in PaymentMethod], default="TRANSFER")
    pay.add_argument("--status", choices=[str(s) for s in PaymentStatus], default="CLEARED")
    pay.add_argument("--reference", default="", help="bank reference")
    pay.add_argument(
        "--advice",
        action="append",
        default=[],
        metavar="INVOICE=AMOUNT",
        help="remittance line: cash paid on an invoice (repeatable)",
    )
    pay.add_argument(
        "--withheld", action="append", default=[], metavar="INVOICE=AMOUNT", help="tax withheld"
    )
    pay.add_argument(
        "--discount",
        action="append",
        default=[],
        metavar="INVOICE=AMOUNT",
        help="discount the customer deducted (early payment, agreed rebate)",
    )
    pay.add_argument("--short-reason", help="why the customer paid less (on the advice)")

    reverse = command("reverse", "reverse a payment: chargeback or returned direct debit")
    reverse.add_argument("payment_id")
    reverse.add_argument("--status", choices=["CHARGED_BACK", "FAILED"], default="CHARGED_BACK")
    reverse.add_argument("--on", type=_commands.parse_as_of, help="when (default today)")

    cases = command("cases", "the case list")
    _as_of_arg(cases)
    cases.add_argument("--stage")
    cases.add_argument(
        "--status", choices=["overdue", "suspended", "handed-over", "promise", "dispute", "current"]
    )
    cases.add_argument("--min-days", type=int)
    cases.add_argument("--currency")
    cases.add_argument("--option", choices=["reminders", "collection"])
    cases.add_argument("--by", choices=["account", "invoice"], default="account")
    cases.add_argument("--format", choices=["table", "csv", "json"], default="table")
    cases.add_argument("--output", "-o", type=Path, help="write to a file instead of stdout")

    statement = command("statement", "an account's statement")
    statement.add_argument("account")
    _as_of_arg(statement)

    aging = command("aging", "open amounts by aging bucket, per currency")
    _as_of_arg(aging)

    explain = command("explain", "why an account is where it is, in words")
    explain.add_argument("account")
    _as_of_arg(explain)

    sms = command("sms", "count an SMS's segments, encoding and cost")
    sms.add_argument("text")
    sms.add_argument("--price", help="price of one segment, e.g. 0.07")
    sms.add_argument("--currency", default="EUR", help="currency of --price")

    report = command("report", "the portfolio as one self-contained HTML page")
    report.add_argument("--html", type=Path, required=True, help="the page to write")
    _as_of_arg(report)
    report.add_argument("--days", type=int, default=60, help="activity window in days")
    return parser


def _parse_pairs(values: Sequence[str], option: str, currency: str) -> dict[str, Money]:
    pairs: dict[str, Money] = {}
    for value in values:
        number, sep, amount = value.partition("=")
        if not sep or not number.strip():
            raise UsageError(f"{option} {value!r}: expected INVOICE=AMOUNT")
        pairs[number.strip()] = Money(_commands.parse_decimal(amount, option), currency)
    return pairs


def payment_from_args(args: argparse.Namespace) -> tuple[Payment, RemittanceAdvice | None]:
    """The payment and advice ``dunning pay`` describes.

    Raises:
        UsageError, DunningError: an argument is not valid.
    """
    currency = args.currency.upper()
    payment = Payment(
        id=args.id,
        account_id=args.account,
        amount=Money(_commands.parse_decimal(args.amount, "--amount"), currency),
        received_on=args.on or date.today(),
        method=args.method,
        status=args.status,
        bank_reference=args.reference,
    )
    paid = _parse_pairs(args.advice, "--advice", currency)
    withheld = _parse_pairs(args.withheld, "--withheld", currency)
    discounts = _parse_pairs(args.discount, "--discount", currency)
    numbers = list(dict.fromkeys([*paid, *withheld, *discounts]))
    if not numbers:
        if args.short_reason:
            raise UsageError("--short-reason goes with --advice, --withheld or --discount")
        return payment, None
    zero = Money.zero(currency)
    lines = [
        RemittanceLine(
            invoice_number=number,
            amount_paid=paid.get(number, zero),
            tax_withheld=withheld.get(number, zero),
            discount_taken=discounts.get(number, zero),
            reason=args.short_reason,
        )
        for number in numbers
    ]
    return payment, RemittanceAdvice(payment_id=payment.id, lines=lines)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(stream: TextIO, data: object) -> None:
    """``data`` as indented JSON (amounts as exact strings, dates ISO)."""
    stream.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


_HANDLERS: dict[str, Callable[[_commands.Context], int]] = {
    "init": _commands.init,
    "import": _commands.import_,
    "run": _commands.run,
    "dispatch": _commands.dispatch_outbox,
    "pay": lambda ctx: _commands.pay(ctx, *payment_from_args(ctx.args)),
    "reverse": _commands.reverse,
    "cases": _commands.cases,
    "statement": _commands.statement,
    "aging": _commands.aging,
    "explain": _commands.explain,
    "sms": _commands.sms,
    "report": _commands.report,
}


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command.

    Args:
        argv: The arguments (``sys.argv[1:]`` when ``None``).
        stdout: Where data goes (``sys.stdout``).
        stderr: Where progress and errors go (``sys.stderr``).

    Returns:
        The exit status: 0, 1 (accounts in error), 2 (bad usage or input), 3 (store).
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        if argv is None:
            argv = sys.argv[1:]
        if not argv:
            parser.print_help(err)
            return EXIT_USAGE
        args = parser.parse_args(argv)
        context = _commands.Context(
            args=args,
            out=out,
            err=err,
            db=getattr(args, "db", None) or os.environ.get("DUNNING_DB") or "dunning.sqlite3",
            busy_timeout=getattr(args, "busy_timeout", 30.0),
            config_path=getattr(args, "config", None) or os.environ.get("DUNNING_CONFIG"),
            as_json=bool(getattr(args, "json", False)),
            write_json=write_json,
            read_only=args.command in _READ_ONLY or bool(getattr(args, "dry_run", False)),
        )
        try:
            return _HANDLERS[args.command](context)
        finally:
            context.close()
    except UsageError as error:
        err.write(f"{error}\n")
        return EXIT_USAGE
    except InvalidInputFile as error:
        err.write(f"dunning: refused: {error}; nothing written\n")
        return EXIT_USAGE
    except (ConstraintViolation, UnknownRecord) as error:
        err.write(f"dunning: {error}\n")
        return EXIT_USAGE
    except StoreError as error:
        err.write(f"dunning: the store refused: {error}\n")
        return EXIT_STORE
    except DunningError as error:
        err.write(f"dunning: {error}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `dunning cases | head`
        return EXIT_OK
    except KeyboardInterrupt:
        err.write("dunning: interrupted\n")
        return 130


def run() -> None:
    """The console script's entry point."""
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(status)


if __name__ == "__main__":
    run()
