"""The default :class:`~dunning_core.ports.PaymentLinks`: deterministic pay-now URLs.

Pure (it only formats a URL), so it lives with the rendering, not with the adapters.

.. versionchanged:: 0.2
   Moved from ``dunning_core.adapters.links``.

>>> StaticPaymentLinks("https://pay.example").url_for("A 1", ["F-1", "F/2"])
'https://pay.example/A%201?invoices=F-1%2CF%2F2'
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

from dunning_core.errors import InvalidField

__all__ = ["StaticPaymentLinks"]


class StaticPaymentLinks:
    """Builds ``{base_url}/{account_id}?invoices=N1,N2`` with every part URL-encoded.

    It signs nothing: put it behind a payment page that checks what it is asked to
    collect, or supply your own :class:`~dunning_core.ports.PaymentLinks` that signs.

    Args:
        base_url: The payment site, ``https://`` (or ``http://`` for local tests).

    Raises:
        InvalidField: ``base_url`` is not an http(s) URL.
    """

    def __init__(self, base_url: str = "https://pay.example") -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise InvalidField("base_url", base_url, "must start with https:// or http://")
        self.base_url = base_url.rstrip("/")

    def url_for(self, account_id: str, invoice_numbers: Sequence[str]) -> str:
        """The URL to pay ``invoice_numbers`` of ``account_id`` (every open one if empty)."""
        url = f"{self.base_url}/{quote(account_id, safe='')}"
        if invoice_numbers:
            url += "?" + urlencode({"invoices": ",".join(invoice_numbers)}, quote_via=quote)
        return url
