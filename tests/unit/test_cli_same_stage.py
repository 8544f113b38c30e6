"""``dunning dispatch`` routes with the stage check of ``RoutingNotifier``: a bounced
e-mail does not fall back to a channel on which its ladder stage already sent."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path

from dunning_core.adapters.storage.sqlite import SqliteStore
from dunning_core.cli._notify import DispatchClock, build_notifier
from dunning_core.domain.account import Channel
from dunning_core.service.cycle import run_cycle
from dunning_core.service.dispatch import dispatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from test_routing_same_stage import ACCOUNT, CONFIG, DISPATCH_AT, DUE, INVOICE, Transport


def test_the_commands_router_does_not_send_a_stage_twice_on_one_channel(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "dunning.sqlite3"))
    with store.unit_of_work() as uow:
        uow.accounts.add(ACCOUNT)
        uow.ledger.add_invoices([INVOICE])
        uow.commit()
    for offset in (1, 8):  # stage "first" on EMAIL and SMS, "second" on EMAIL
        run_cycle(store.unit_of_work, CONFIG, DUE + timedelta(days=offset))
    router, _ = build_notifier(
        {"default": {"type": "print"}},
        {"fallbacks": {"EMAIL": ["SMS", "LETTER"]}},
        io.StringIO(),
        uow_factory=store.unit_of_work,
        clock=DispatchClock(DISPATCH_AT),
    )
    email, sms, letter = Transport(bounce=True), Transport(), Transport()
    router.transports.update({Channel.EMAIL: email, Channel.SMS: sms, Channel.LETTER: letter})
    assert dispatch(store.unit_of_work, router, DispatchClock(DISPATCH_AT)).sent == 3
    # "first" already has its SMS, so its bounced e-mail goes by letter; "second"'s by SMS.
    assert len(letter.sent) == 1 and len(sms.sent) == 2
    store.close()
