"""The composition root: what the services decide with, and where the defaults come from.

:class:`CycleConfig` composes the policies (ladders and assignments, suspension,
allocation, credit alerts) with the renderer and the payment links the services write
notices with. :func:`bootstrap` is the one place the defaults are chosen (the built-in
notices in English, French, German and Spanish, the team's templates over them, static
or signed pay-now links, the preset ladders, ladders from a TOML file): call it once at
start-up and hand the result to every service::

    config = bootstrap(ladders_file="dunning.toml", links=MyPaymentLinks())
    run_cycle(store.unit_of_work, config, as_of)

``CycleConfig()`` builds the same defaults, so a test can still write it bare.

>>> config = bootstrap(default_ladder="five-notices-then-termination")
>>> config.ladder_of("A-1")[0].name
'five-notices-then-termination'
>>> config.credit.thresholds
(70, 85, 100)

.. versionadded:: 0.2
   ``CycleConfig`` moved here from ``dunning_core.config``; ``bootstrap`` is new.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import attrs

from dunning_core._version import __version__
from dunning_core.config import load_ladders
from dunning_core.documents.letter import Sender
from dunning_core.domain.account import Account
from dunning_core.domain.calendar import BusinessCalendar
from dunning_core.errors import ConfigError, InvalidField, InvalidLadder
from dunning_core.policies.allocation import AllocationPolicy
from dunning_core.policies.credit import CreditAlertPolicy
from dunning_core.policies.ladder import Ladder, LadderAssignment, Stage, presets
from dunning_core.policies.suspension import SuspensionPolicy
from dunning_core.ports import PaymentLinks, Renderer, TemplateCatalog
from dunning_core.rendering.catalog import CatalogRenderer
from dunning_core.rendering.links import StaticPaymentLinks
from dunning_core.service._fingerprint import fingerprint
from dunning_core.service.attachments import AttachmentPolicy
from dunning_core.service.formal_notice import FormalNoticeTerms

__all__ = ["CycleConfig", "bootstrap", "missing_templates"]


def _ladder_table(value: Any) -> dict[str, Ladder]:
    if value is None:
        return {ladder.name: ladder for ladder in presets.ALL}
    ladders = dict(value)
    for name, ladder in ladders.items():
        if not isinstance(ladder, Ladder) or ladder.name != name:
            raise InvalidField("CycleConfig.ladders", name, "must map each ladder's name to it")
    return ladders


def _assignments(value: Any) -> dict[str, LadderAssignment]:
    table = dict(value)
    for account_id, assignment in table.items():
        if not isinstance(assignment, LadderAssignment) or assignment.account_id != account_id:
            raise InvalidField(
                "CycleConfig.assignments", account_id, "must map account ids to their assignment"
            )
    return table


def _credit(value: Any) -> CreditAlertPolicy:
    if not isinstance(value, CreditAlertPolicy):
        raise InvalidField("CycleConfig.credit", value, "must be a CreditAlertPolicy")
    return value


def _attachment_policy(value: Any) -> AttachmentPolicy:
    if not isinstance(value, AttachmentPolicy):
        raise InvalidField("CycleConfig.attachments", value, "must be an AttachmentPolicy")
    return value


@attrs.frozen(kw_only=True)
class CycleConfig:
    """Everything a dunning cycle and the account services decide with.

    ``CycleConfig()`` runs the seeds' defaults: the preset ladders (accounts without an
    assignment follow ``default_ladder``), the standard suspension policy (15 / 30 days,
    broken promises, insolvency, manual holds), oldest-first allocation, credit alerts
    at 70 / 85 / 100 % and the built-in notices in four languages. :func:`bootstrap`
    builds it with the defaults spelled out in one place.

    Args:
        ladders: Ladder name -> ladder; every preset by default.
        default_ladder: The ladder of accounts without an assignment.
        assignments: Account id -> its :class:`LadderAssignment` (ladder, hand-over
            option, chargebacks to collection).
        suspension: The suspension policy.
        allocation: The allocation policy for incoming payments and credit notes.
        credit: The credit-limit alert policy (thresholds and hysteresis).
        renderer: Renders notices (subject, body and HTML per template key and locale);
            the built-in catalogs (English, French, German, Spanish) by default.
        links: Builds the pay-now URL put in notices.
        formal_notice: What a formal notice claims: deadline, interest, compensation.
        letter_sender: Who signs the letters the cycle writes (its city is the place
            beside the date, its country is left off domestic addresses); a
            ``LetterNotifier`` adds its own sender to letters written without one.
        attachments: Which e-mail notices carry the invoices' PDFs, a statement of
            account or the notice as a letter (nothing by default).
        notify_suspension: Send the customer a notice when suspended or reactivated.
        notify_credit_alerts: Send the customer a notice at each credit alert.
        country_holidays: Count business-day stages and business hours of each account
            with the public holidays of its country and subdivision
            (:meth:`~dunning_core.domain.calendar.BusinessCalendar.for_country`, the
            ``holidays`` extra) instead of the ladder's own calendar; accounts without
            a country (:attr:`~dunning_core.domain.account.Account.home_country`) keep
            the ladder's.
        credit_thresholds: Deprecated; use ``credit=CreditAlertPolicy(thresholds=...)``.
        credit_hysteresis: Deprecated; use ``credit=CreditAlertPolicy(hysteresis=...)``.

    Raises:
        InvalidField: a table maps names inconsistently, or ``default_ladder`` is unknown.
        InvalidLadder: a stage sends a notice with a template the renderer does not
            know (checked when the renderer lists its templates, see
            :class:`~dunning_core.ports.TemplateCatalog`).
        InvalidPolicy: deprecated credit thresholds are not whole percentages > 0.

    .. versionchanged:: 0.2
       Moved from ``dunning_core.config``; the credit thresholds are a
       :class:`~dunning_core.policies.credit.CreditAlertPolicy`.
    """

    ladders: Mapping[str, Ladder] = attrs.field(default=None, converter=_ladder_table)
    default_ladder: str = "due-date-reminders"
    assignments: Mapping[str, LadderAssignment] = attrs.field(factory=dict, converter=_assignments)
    suspension: SuspensionPolicy = attrs.field(factory=SuspensionPolicy)
    allocation: AllocationPolicy = attrs.field(factory=AllocationPolicy)
    credit: CreditAlertPolicy = attrs.field(factory=CreditAlertPolicy, converter=_credit)
    renderer: Renderer = attrs.field(factory=CatalogRenderer)
    links: PaymentLinks = attrs.field(factory=StaticPaymentLinks)
    formal_notice: FormalNoticeTerms = attrs.field(factory=FormalNoticeTerms)
    letter_sender: Sender | None = None
    attachments: AttachmentPolicy = attrs.field(
        factory=AttachmentPolicy, converter=_attachment_policy
    )
    notify_suspension: bool = True
    notify_credit_alerts: bool = True
    country_holidays: bool = False
    # The 0.1 spelling, folded into ``credit`` by __attrs_post_init__.
    _legacy_thresholds: Any = attrs.field(
        default=None, alias="credit_thresholds", repr=False, eq=False
    )
    _legacy_hysteresis: Any = attrs.field(
        default=None, alias="credit_hysteresis", repr=False, eq=False
    )
    _fingerprint: str | None = attrs.field(init=False, default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self._legacy_thresholds is not None or self._legacy_hysteresis is not None:
            warnings.warn(
                "CycleConfig(credit_thresholds=..., credit_hysteresis=...) is deprecated; "
                "use CycleConfig(credit=CreditAlertPolicy(thresholds=..., hysteresis=...))",
                DeprecationWarning,
                stacklevel=3,
            )
            changes: dict[str, Any] = {}
            if self._legacy_thresholds is not None:
                changes["thresholds"] = self._legacy_thresholds
            if self._legacy_hysteresis is not None:
                changes["hysteresis"] = self._legacy_hysteresis
            object.__setattr__(self, "credit", attrs.evolve(self.credit, **changes))
            object.__setattr__(self, "_legacy_thresholds", None)
            object.__setattr__(self, "_legacy_hysteresis", None)
        if self.default_ladder not in self.ladders:
            raise InvalidField(
                "CycleConfig.default_ladder",
                self.default_ladder,
                f"is not one of the ladders ({', '.join(sorted(self.ladders))})",
            )
        for assignment in self.assignments.values():
            if assignment.ladder not in self.ladders:
                raise InvalidField(
                    "CycleConfig.assignments",
                    assignment.account_id,
                    f"follows ladder {assignment.ladder!r}, which is not configured",
                )
        missing = missing_templates(self.ladders.values(), self.renderer)
        if missing:
            ladder, stage = missing[0]
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise InvalidLadder(
                "Stage.template",
                stage.template,
                f"ladder {ladder.name!r}, stage {stage.key!r}: the renderer has no "
                f"template {stage.template!r}{more}",
                stage=stage.key,
            )

    @property
    def credit_thresholds(self) -> tuple[int, ...]:
        """Deprecated: ``credit.thresholds``."""
        warnings.warn(
            "CycleConfig.credit_thresholds is deprecated; use CycleConfig.credit.thresholds",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.credit.thresholds

    @property
    def credit_hysteresis(self) -> int | Decimal:
        """Deprecated: ``credit.hysteresis``."""
        warnings.warn(
            "CycleConfig.credit_hysteresis is deprecated; use CycleConfig.credit.hysteresis",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.credit.hysteresis

    def fingerprint(self) -> str:
        """A digest of everything that decides: ladders and assignments, calendars,
        the suspension, allocation and credit-alert policies, the notification switches.

        Equal configurations have equal fingerprints in any process (built afresh from
        the same file, say), and any change to a deciding value changes it. The renderer
        and the payment links are left out: they shape the wording of notices, never
        whether one is due. The cycle stores it with the accounts' wake-up dates, and
        a run with another fingerprint evaluates every account (see
        :func:`~dunning_core.service.cycle.run_cycle`).

        A custom suspension rule is part of it through its fields if it is an attrs
        class, else through its ``repr``: give it a repr without an address, or every
        new process will look like a change of configuration. So is the library's
        version (an upgrade may decide differently), and the ``holidays`` package's
        with ``country_holidays`` (its data is the calendars).

        .. versionadded:: 0.2
        """
        found = self._fingerprint
        if found is None:
            found = fingerprint(self, skip=("renderer", "links"), also=_deciding_code(self))
            object.__setattr__(self, "_fingerprint", found)
        return found

    def calendar_of(self, account: Account) -> BusinessCalendar | None:
        """The calendar the account's ladder counts business days with, when it is not
        the ladder's own: its country's public holidays with ``country_holidays``.

        Raises:
            InvalidField: the ``holidays`` package knows no such country or subdivision.
        """
        country = account.home_country
        if not self.country_holidays or country is None:
            return None
        return _country_calendar(country, account.subdivision)

    def ladder_of(self, account_id: str) -> tuple[Ladder, LadderAssignment | None]:
        """The ladder an account follows, and its assignment if it has one."""
        assignment = self.assignments.get(account_id)
        if assignment is None:
            return self.ladders[self.default_ladder], None
        return self.ladders[assignment.ladder], assignment


def _deciding_code(config: CycleConfig) -> tuple[str, ...]:
    """The versions of the code whose decisions the fingerprint vouches for."""
    from importlib.metadata import PackageNotFoundError, version

    versions = [f"dunning_core {__version__}"]
    if config.country_holidays:
        try:
            versions.append(f"holidays {version('holidays')}")
        except PackageNotFoundError:  # calendar_of will say it is missing
            versions.append("holidays missing")
    return tuple(versions)


@lru_cache(maxsize=256)
def _country_calendar(country: str, subdivision: str | None) -> BusinessCalendar:
    # One value per region: the ladder caches its compiled plan per calendar.
    return BusinessCalendar.for_country(country, subdivision)


def missing_templates(ladders: Iterable[Ladder], renderer: Renderer) -> list[tuple[Ladder, Stage]]:
    """The notice stages whose template ``renderer`` does not know, in ladder order.

    Empty when the renderer cannot list its templates (it is not a
    :class:`~dunning_core.ports.TemplateCatalog`): then it is trusted.
    """
    if not isinstance(renderer, TemplateCatalog):
        return []
    known = renderer.template_keys()
    return [
        (ladder, stage)
        for ladder in ladders
        for stage in ladder.stages
        if stage.sends_notice and stage.template not in known
    ]


def bootstrap(
    *,
    ladders_file: str | os.PathLike[str] | None = None,
    ladders: Mapping[str, Ladder] | None = None,
    renderer: Renderer | None = None,
    templates: str | os.PathLike[str] | None = None,
    links: PaymentLinks | None = None,
    **settings: Any,
) -> CycleConfig:
    """Build the :class:`CycleConfig` the services run with, defaults filled in.

    The one place the library picks its defaults: the preset ladders (plus those of
    ``ladders_file``, which replace presets of the same name), the built-in catalogs
    (:class:`~dunning_core.rendering.catalog.CatalogRenderer`), the team's templates
    over them when ``templates`` names a directory
    (:class:`~dunning_core.rendering.templates.TemplateRenderer`, checked now) and
    static pay-now links (:class:`~dunning_core.rendering.links.StaticPaymentLinks`;
    pass :class:`~dunning_core.rendering.signed_links.SignedPaymentLinks` to sign).

    Args:
        ladders_file: A TOML file with ``[ladders.<name>]`` tables
            (:func:`dunning_core.config.load_ladders`).
        ladders: Ladders by name, added after the presets and the file's.
        renderer: The renderer; the built-in catalogs by default (the base of the
            templates when both are given).
        templates: A directory of the team's templates (a directory per locale).
        links: The payment links; ``StaticPaymentLinks()`` by default.
        **settings: Any other :class:`CycleConfig` field (``default_ladder``,
            ``assignments``, ``suspension``, ``allocation``, ``credit``,
            ``formal_notice``, ``attachments``, ``notify_suspension``,
            ``notify_credit_alerts``).

    Returns:
        The configuration.

    Raises:
        ConfigError: the ladders file holds bad values, or a stage of it sends a notice
            with a template the renderer does not know (every problem listed).
        InvalidField: see :class:`CycleConfig`.
        TypeError: a setting is not a field of :class:`CycleConfig`.
        TemplateError: a template has a problem (every problem listed with its file
            and line).
    """
    table = {ladder.name: ladder for ladder in presets.ALL}
    chosen: Renderer = CatalogRenderer() if renderer is None else renderer
    if templates is not None:
        from dunning_core.rendering.templates import TemplateRenderer

        chosen = TemplateRenderer(templates, base=chosen)
    if ladders_file is not None:
        from_file = load_ladders(ladders_file)
        missing = missing_templates(from_file.values(), chosen)
        if missing:
            # At load, with the file's place of each stage, like every other problem.
            raise ConfigError(
                os.fspath(ladders_file),
                [
                    (
                        f"ladder {ladder.name!r}, stage {stage.key!r}",
                        "template",
                        stage.template,
                        "the renderer has no such template (a stage's template is its "
                        "key unless `template` names another)",
                    )
                    for ladder, stage in missing
                ],
            )
        table.update(from_file)
    if ladders is not None:
        table.update(ladders)
    return CycleConfig(
        ladders=table,
        renderer=chosen,
        links=StaticPaymentLinks() if links is None else links,
        **settings,
    )
