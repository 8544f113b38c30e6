"""The team's own notice templates: Jinja2 in a sandbox, checked when they are loaded.

Needs the ``templates`` extra (``pip install dunning-core[templates]``).

A template directory holds one directory per locale (``en``, ``fr``, ``fr_NC``, ``de``,
...), and in it up to three files per template key::

    templates/
      fr/
        notice.first.subject.txt    the subject line
        notice.first.txt            the plain-text body
        notice.first.html           the HTML body (optional: else built from the text)
        reminder.overdue.sms.txt    an SMS text (no subject)

A file overrides the built-in text of its key for its locale; keys and locales without
a file keep the built-in catalogs. The context is a plain mapping (documented in
docs/messages.md): strings, numbers, dates, lists, and mappings for amounts
(``{"amount": "1234.56", "currency": "EUR"}``) and invoices. Format them with the
filters ``money``, ``date`` and ``invoice_list``, which use the account's locale.

Everything a template could do wrong is found when it is loaded, with the file and the
line: a syntax error, an unknown variable, an attribute or a method reached for
(``{{ ''.__class__ }}``), a function call, an amount or a date printed without its
filter, an output over the size cap (each template is rendered once against a sample
context at load time, and every render is capped again).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from dunning_core.errors import InvalidLocale, RenderError, TemplateError
from dunning_core.money import Money
from dunning_core.ports import RenderedMessage, Renderer
from dunning_core.rendering._format import format_date, format_list, language_of
from dunning_core.rendering._notices import COMMON, VARIABLES
from dunning_core.rendering.catalog import (
    CatalogRenderer,
    catalog_languages,
    invoice_table,
    notice_variables,
    resolve_key,
)
from dunning_core.rendering.html import email_html
from dunning_core.rendering.samples import sample_values

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MAX_TEMPLATE_BYTES",
    "TemplateProblem",
    "TemplateRenderer",
    "check_templates",
    "plain_context",
]

#: The most characters one rendered part (subject, text or HTML) may have.
DEFAULT_MAX_CHARS: Final = 200_000
#: The largest template file accepted.
MAX_TEMPLATE_BYTES: Final = 64_000

_PARTS: Final = (("subject", ".subject.txt"), ("text", ".txt"), ("html", ".html"))
#: Fields of the context's mappings a template may read with a dot.
_FIELDS: Final = frozenset({"number", "due_on", "open_amount", "days_late", "amount", "currency"})
_LOOP_FIELDS: Final = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem", "nextitem"}
)
_MONEY_NAMES: Final = frozenset(
    {
        "amount_due",
        "balance",
        "credit_limit",
        "total_claimed",
        "late_interest",
        "recovery_compensation",
        "fees",
        "open_amount",
    }
)
_DATE_NAMES: Final = frozenset({"due_on", "deadline"})
#: Filters a template may use: the library's three and Jinja's that cannot blow up the
#: output (no center/indent/wordwrap widths, no replace, no safe: escaping stays on).
_FILTERS: Final = frozenset(
    {
        "money",
        "date",
        "invoice_list",
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "length",
        "count",
        "first",
        "last",
        "join",
        "default",
        "d",
        "e",
        "escape",
        "abs",
        "round",
        "int",
        "string",
        "sort",
        "reverse",
        "unique",
        "sum",
        "min",
        "max",
        "truncate",
        "wordcount",
        "striptags",
        "urlencode",
    }
)
#: Statements a template may not use: nothing is assigned, defined, imported or
#: inherited, so a template is one readable page and cannot build values in a loop.
_STATEMENTS: Final = {
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Import": "{% import %}",
    "FromImport": "{% from ... import %}",
    "Include": "{% include %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
}
_MAX_LOOP_DEPTH: Final = 2
_NUMBER_LOCALE: Final = "_number_locale"
_WORDS_LOCALE: Final = "_words_locale"


@attrs.frozen
class TemplateProblem:
    """One problem of a template directory.

    Attributes:
        path: The file (or directory) at fault.
        line: The line in the file, or 0 for the file as a whole.
        problem: What is wrong, in words.
    """

    path: str
    line: int
    problem: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.problem}"
            if self.line
            else (f"{self.path}: {self.problem}")
        )


# -- the plain context ----------------------------------------------------------------------


def plain_context(context: Mapping[str, object]) -> dict[str, object]:
    """The context as templates see it: amounts become ``{"amount", "currency"}``
    mappings, other objects their text; strings, numbers, dates, lists and mappings
    stay."""
    return {name: _plain(value) for name, value in context.items()}


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | bool | int | Decimal | date):
        return value
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def _as_money(value: object) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, Mapping) and "amount" in value and "currency" in value:
        return Money(str(value["amount"]), str(value["currency"]))
    raise TypeError(f"the money filter needs an amount, got {value!r}")


# -- filters ----------------------------------------------------------------------------------


def _environment(max_chars: int) -> jinja2.Environment:
    from jinja2 import StrictUndefined, pass_context
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        # "x" * 10**9 would build a gigabyte before any output is counted.
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and not (
                isinstance(right, int) and abs(right) <= 64 and _small_number(left)
            ):
                raise SecurityError("a power this large is not allowed")
            if operator == "*":
                sized = [v for v in (left, right) if isinstance(v, str | list | tuple)]
                counts = [v for v in (left, right) if isinstance(v, int)]
                if sized and counts and len(sized[0]) * counts[0] > max_chars:
                    raise SecurityError(f"the product passes the size cap of {max_chars}")
            return super().call_binop(context, operator, left, right)

    @pass_context
    def money(context: Any, value: object) -> str:
        return _as_money(value).format(str(context.get(_NUMBER_LOCALE) or "en"))

    @pass_context
    def date_filter(context: Any, value: object, style: str = "long") -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if not isinstance(value, date):
            raise TypeError(f"the date filter needs a date, got {value!r}")
        if style not in ("short", "medium", "long", "full"):
            raise ValueError(f"date style must be short, medium, long or full, not {style!r}")
        return format_date(value, str(context.get(_WORDS_LOCALE) or "en"), style)

    @pass_context
    def invoice_list(context: Any, value: object) -> str:
        if not isinstance(value, list | tuple):
            raise TypeError(f"the invoice_list filter needs a list, got {value!r}")
        numbers = [
            str(item["number"]) if isinstance(item, Mapping) else str(item) for item in value
        ]
        return format_list(numbers, str(context.get(_WORDS_LOCALE) or "en"))

    env = Sandbox(
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name) and str(name).endswith(".html"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(money=money, date=date_filter, invoice_list=invoice_list)
    return env


def _small_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) <= 10**6
    return isinstance(value, Decimal) and abs(value) <= 10**6


# -- loading ----------------------------------------------------------------------------------


@attrs.frozen
class _Loaded:
    key: str
    locale: str
    parts: Mapping[str, Any]  # part -> jinja2.Template
    paths: Mapping[str, str]


def _split_name(name: str) -> tuple[str, str] | None:
    for part, suffix in _PARTS:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], part
    return None


def _key_variables(
    key: str, keys: Mapping[str, Sequence[str]]
) -> tuple[frozenset[str], bool] | None:
    """The variables a key's context holds, and whether it has a subject."""
    if key in keys:
        groups = tuple(keys[key])
        return frozenset(n for g in groups for n in VARIABLES[g]), not key.endswith(".sms")
    resolved = resolve_key(key)
    if resolved is None:
        return None
    notice = resolved[0]
    return notice_variables(notice), notice.subject is not None


def _sample(key: str, keys: Mapping[str, Sequence[str]], currency: str) -> dict[str, object]:
    values = sample_values(currency)
    groups: Sequence[str]
    fixed: Mapping[str, object] = {}
    if key in keys:
        groups = keys[key]
    else:
        resolved = resolve_key(key)
        assert resolved is not None
        groups, fixed = resolved[0].variables, resolved[1]
    context: dict[str, object] = {}
    for group in groups:
        context.update({name: values[group][name] for name in VARIABLES[group]})
    context.update(fixed)
    return context


def _static_problems(
    env: jinja2.Environment, source: str, path: str, allowed: frozenset[str]
) -> list[TemplateProblem]:
    from jinja2 import TemplateAssertionError, TemplateSyntaxError, meta, nodes

    try:
        tree = env.parse(source, name=path, filename=path)
    except TemplateSyntaxError as error:
        return [TemplateProblem(path, error.lineno or 0, f"syntax error: {error.message}")]
    problems: list[TemplateProblem] = []
    for filter_node in tree.find_all(nodes.Filter):
        if filter_node.name not in _FILTERS:
            problems.append(
                TemplateProblem(
                    path,
                    filter_node.lineno,
                    f"filter {filter_node.name!r} is not allowed; use "
                    + ", ".join(sorted(_FILTERS)),
                )
            )
    if problems:  # jinja2 cannot compile a template with an unknown filter
        return problems
    try:
        unknown = meta.find_undeclared_variables(tree) - allowed
    except TemplateAssertionError as error:  # an unknown filter or test
        return [TemplateProblem(path, error.lineno or 0, str(error.message))]
    reported: set[str] = set()
    for name_node in tree.find_all(nodes.Name):
        if name_node.ctx == "load" and name_node.name in unknown and name_node.name not in reported:
            reported.add(name_node.name)
            problems.append(
                TemplateProblem(
                    path,
                    name_node.lineno,
                    f"unknown variable {name_node.name!r}; this template's context has: "
                    + ", ".join(sorted(allowed)),
                )
            )
    for attr_node in tree.find_all(nodes.Getattr):
        owner = attr_node.node
        if isinstance(owner, nodes.Name) and owner.name == "loop":
            if attr_node.attr in _LOOP_FIELDS:
                continue
        elif attr_node.attr in _FIELDS:
            continue
        problems.append(
            TemplateProblem(
                path,
                attr_node.lineno,
                f"attribute access .{attr_node.attr} is not allowed: the context is plain data; "
                "read the documented fields (" + ", ".join(sorted(_FIELDS)) + ")",
            )
        )
    for item_node in tree.find_all(nodes.Getitem):
        arg = item_node.arg
        if isinstance(arg, nodes.Const) and str(arg.value).startswith("_"):
            problems.append(
                TemplateProblem(path, item_node.lineno, f"item [{arg.value!r}] is not allowed")
            )
    for call_node in tree.find_all(nodes.Call):
        problems.append(
            TemplateProblem(
                path,
                call_node.lineno,
                "calling a function or method is not allowed; use the filters "
                "(money, date, invoice_list, and Jinja's own)",
            )
        )
    for statement in tree.find_all(nodes.Stmt):
        name = type(statement).__name__
        if name in _STATEMENTS:
            problems.append(
                TemplateProblem(path, statement.lineno, f"{_STATEMENTS[name]} is not allowed")
            )
    problems.extend(_deep_loops(tree, path))
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            bare = _bare_name(child)
            if bare in _MONEY_NAMES:
                problems.append(
                    TemplateProblem(
                        path,
                        child.lineno,
                        f"format {bare} with the money filter: {{{{ {bare} | money }}}}",
                    )
                )
            elif bare in _DATE_NAMES:
                problems.append(
                    TemplateProblem(
                        path,
                        child.lineno,
                        f"format {bare} with the date filter: {{{{ {bare} | date }}}}",
                    )
                )
    return problems


def _deep_loops(node: Any, path: str, depth: int = 0) -> list[TemplateProblem]:
    from jinja2 import nodes

    found: list[TemplateProblem] = []
    for child in node.iter_child_nodes():
        inner = depth + 1 if isinstance(child, nodes.For) else depth
        if isinstance(child, nodes.For) and inner > _MAX_LOOP_DEPTH:
            found.append(
                TemplateProblem(path, child.lineno, f"loops nest at most {_MAX_LOOP_DEPTH} deep")
            )
            continue
        found.extend(_deep_loops(child, path, inner))
    return found


def _bare_name(node: Any) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return str(node.name)
    if isinstance(node, nodes.Getattr):
        return str(node.attr)
    return None


def _compile(env: jinja2.Environment, source: str, name: str, path: str) -> Any:
    code = env.compile(source, name=name, filename=path)
    return env.template_class.from_code(env, code, env.make_globals(None))


def _line_of(error: BaseException, path: str) -> int:
    line = 0
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == path and frame.lineno:
            line = frame.lineno
    return line


def _locale_problem(name: str) -> str | None:
    try:
        language_of(name)
    except InvalidLocale:
        return f"{name!r} is not a locale babel knows (use en, fr, fr_FR, de_AT, ...)"
    return None


def _load(
    root: Path, keys: Mapping[str, Sequence[str]], max_chars: int
) -> tuple[dict[tuple[str, str], _Loaded], list[TemplateProblem]]:
    env = _environment(max_chars)
    problems: list[TemplateProblem] = []
    loaded: dict[tuple[str, str], _Loaded] = {}
    if not root.is_dir():
        return {}, [TemplateProblem(str(root), 0, "not a directory")]
    for locale_dir in sorted(root.iterdir()):
        if not locale_dir.is_dir():
            problems.append(
                TemplateProblem(str(locale_dir), 0, "templates go in a directory per locale")
            )
            continue
        locale = locale_dir.name
        bad_locale = _locale_problem(locale)
        if bad_locale is not None:
            problems.append(TemplateProblem(str(locale_dir), 0, bad_locale))
            continue
        found: dict[str, dict[str, Path]] = {}
        for file in sorted(locale_dir.iterdir()):
            split = _split_name(file.name) if file.is_file() else None
            if split is None:
                problems.append(
                    TemplateProblem(
                        str(file), 0, "not a template (<key>.subject.txt, <key>.txt, <key>.html)"
                    )
                )
                continue
            found.setdefault(split[0], {})[split[1]] = file
        for key, files in sorted(found.items()):
            template = _load_key(env, root, locale, key, files, keys, max_chars, problems)
            if template is not None:
                loaded[(locale, key)] = template
    for key in sorted(keys):
        if not any(loaded_key == key for (loc, loaded_key) in loaded if language_of(loc) == "en"):
            problems.append(
                TemplateProblem(
                    str(root),
                    0,
                    f"key {key!r} has no English template (en/{key}.txt), which "
                    "every other locale falls back to",
                )
            )
    return loaded, problems


def _load_key(
    env: jinja2.Environment,
    root: Path,
    locale: str,
    key: str,
    files: Mapping[str, Path],
    keys: Mapping[str, Sequence[str]],
    max_chars: int,
    problems: list[TemplateProblem],
) -> _Loaded | None:
    described = _key_variables(key, keys)
    first = str(next(iter(files.values())))
    if described is None:
        problems.append(
            TemplateProblem(
                first,
                0,
                f"{key!r} is not a template key (a built-in key, a preset stage key, "
                "or one declared with keys=...)",
            )
        )
        return None
    allowed, has_subject = described
    before = len(problems)
    if "text" not in files:
        problems.append(TemplateProblem(first, 0, f"{key!r} needs a text body: {key}.txt"))
    if has_subject and "subject" not in files:
        problems.append(TemplateProblem(first, 0, f"{key!r} needs a subject: {key}.subject.txt"))
    if not has_subject and "subject" in files:
        problems.append(TemplateProblem(str(files["subject"]), 0, f"{key!r} has no subject"))
    parts: dict[str, Any] = {}
    for part, file in files.items():
        path = str(file)
        if file.stat().st_size > MAX_TEMPLATE_BYTES:
            problems.append(TemplateProblem(path, 0, f"larger than {MAX_TEMPLATE_BYTES} bytes"))
            continue
        try:
            source = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            problems.append(TemplateProblem(path, 0, f"not UTF-8: {error}"))
            continue
        static = _static_problems(env, source, path, allowed)
        if static:
            problems.extend(static)
            continue
        try:
            parts[part] = _compile(env, source, file.relative_to(root).as_posix(), path)
        except Exception as error:  # jinja2's TemplateAssertionError (an unknown filter)
            problems.append(TemplateProblem(path, getattr(error, "lineno", 0) or 0, str(error)))
    if len(problems) > before:
        return None
    loaded = _Loaded(key, locale, parts, {part: str(file) for part, file in files.items()})
    sample = _sample(key, keys, "EUR")
    for part, template in parts.items():
        try:
            _render_part(template, loaded.paths[part], key, sample, locale, locale, max_chars)
        except RenderError as error:
            problems.append(_problem_of(error, loaded.paths[part]))
    return None if len(problems) > before else loaded


def _problem_of(error: RenderError, path: str) -> TemplateProblem:
    line = getattr(error, "line", 0)
    return TemplateProblem(path, line, str(getattr(error, "problem", error)))


class _PartError(RenderError):
    def __init__(self, key: str, path: str, line: int, problem: str) -> None:
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line else path
        super().__init__(key, f"{where}: {problem}")


def _innermost_line(template: Any, generator: Iterator[str]) -> int:
    frame_generator: Any = generator
    line = 0
    while frame_generator is not None:
        frame = getattr(frame_generator, "gi_frame", None)
        if frame is None:
            break
        try:
            line = template.get_corresponding_lineno(frame.f_lineno)
        except Exception:  # a frame outside the template's code
            break
        frame_generator = getattr(frame_generator, "gi_yieldfrom", None)
    return int(line)


def _render_part(
    template: Any,
    path: str,
    key: str,
    values: Mapping[str, object],
    number_locale: str,
    words_locale: str,
    max_chars: int,
) -> str:
    context = template.new_context(
        {**plain_context(values), _NUMBER_LOCALE: number_locale, _WORDS_LOCALE: words_locale}
    )
    generator = template.root_render_func(context)
    pieces: list[str] = []
    size = 0
    try:
        for piece in generator:
            size += len(piece)
            if size > max_chars:
                line = _innermost_line(template, generator)
                generator.close()
                raise _PartError(
                    key, path, line, f"the output passes the size cap of {max_chars} characters"
                )
            pieces.append(piece)
    except _PartError:
        raise
    except Exception:
        try:
            template.environment.handle_exception()
        except Exception as rewritten:
            raise _PartError(
                key, path, _line_of(rewritten, path), f"{type(rewritten).__name__}: {rewritten}"
            ) from None
    return "".join(pieces)


# -- the renderer -----------------------------------------------------------------------------


class TemplateRenderer:
    """A :class:`~dunning_core.ports.Renderer`: the team's templates where they exist,
    the built-in catalogs elsewhere.

    For a locale, the template of the locale wins, then the template of its language;
    then the built-in text if the built-in catalogs have that language; then the
    team's English template, then the built-in English text.

    Args:
        path: The template directory (a directory per locale).
        base: The renderer for keys and locales without a template
            (:class:`~dunning_core.rendering.catalog.CatalogRenderer` by default).
        keys: The team's own template keys (stage templates of its own ladders), each
            with the variable groups its context carries (``("account", "invoices")``).
        max_chars: The most characters a rendered part may have.

    Raises:
        TemplateError: any template has a problem (every problem is listed, with the
            file and line).
        ImportError: jinja2 is not installed (the ``templates`` extra).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        base: Renderer | None = None,
        keys: Mapping[str, Sequence[str]] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self._keys = _checked_keys(keys)
        self._max_chars = max_chars
        self._root = Path(path)
        self._templates, problems = _load(self._root, self._keys, max_chars)
        if problems:
            raise TemplateError([(p.path, p.line, p.problem) for p in problems])
        self._base = base if base is not None else CatalogRenderer()

    def template_keys(self) -> frozenset[str]:
        """Every key this renderer can render: the team's templates (in at least one
        locale) and, when the base renderer can list its keys, the base's (it renders
        the keys the team has no template for)."""
        own = frozenset(key for _, key in self._templates)
        base_keys = getattr(self._base, "template_keys", None)
        return own | frozenset(base_keys()) if callable(base_keys) else own

    def _find(self, key: str, locale: str) -> _Loaded | str | None:
        language = language_of(locale)
        for candidate in (locale, language):
            found = self._templates.get((candidate, key))
            if found is not None:
                return found
        if language in catalog_languages() and key not in self._keys:
            return "base"
        return self._templates.get(("en", key))

    def render(
        self, template_key: str, locale: str, context: Mapping[str, object]
    ) -> RenderedMessage:
        """Render ``template_key`` for ``locale`` (see the class docstring).

        Raises:
            RenderError: no template and no built-in text for the key, a value the
                template needs is missing, or the output passes the size cap (the
                message names the file and the line).
        """
        found = self._find(template_key, locale)
        if found is None or found == "base":
            return self._base.render(template_key, locale, context)
        assert isinstance(found, _Loaded)
        words = locale if language_of(found.locale) == language_of(locale) else found.locale
        values = dict(context)
        numbers = values.get("invoice_numbers")
        if "invoice_count" not in values and isinstance(numbers, list | tuple):
            values["invoice_count"] = len(numbers)
        resolved = resolve_key(template_key)
        if resolved is not None:
            values.update(resolved[1])
        values.setdefault("locale", locale)

        def part(name: str) -> str | None:
            template = found.parts.get(name)
            if template is None:
                return None
            return _render_part(
                template,
                found.paths[name],
                template_key,
                values,
                locale,
                words,
                self._max_chars,
            )

        subject = " ".join((part("subject") or "").split())
        text = (part("text") or "").strip()
        html = part("html")
        if html is None and "subject" in found.parts:
            html = self._generated_html(found, subject, text, values, locale, words)
        return RenderedMessage(
            subject=subject,
            body=text,
            html=html,
            locale=found.locale,
            requested_locale=locale,
        )

    def _generated_html(
        self,
        found: _Loaded,
        subject: str,
        text: str,
        values: Mapping[str, object],
        locale: str,
        words: str,
    ) -> str:
        import gettext

        from dunning_core.rendering.catalog import _translations

        language = language_of(found.locale)
        translations: gettext.NullTranslations = (
            _translations(language) if language in catalog_languages() else _translations("en")
        )
        pay_url = values.get("pay_url")
        label = COMMON["pay_button"]
        return email_html(
            lang=found.locale.replace("_", "-"),
            subject=subject,
            paragraphs=[p.strip() for p in text.split("\n\n") if p.strip()],
            table=invoice_table(values, locale, words, translations),
            pay_url=str(pay_url) if pay_url else None,
            pay_label=translations.pgettext(label.context, label.singular),
            footer=[],
        )


def _checked_keys(keys: Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    checked: dict[str, tuple[str, ...]] = {}
    for key, groups in (keys or {}).items():
        unknown = [g for g in groups if g not in VARIABLES]
        if unknown or "account" not in groups:
            raise TemplateError(
                [
                    (
                        "keys",
                        0,
                        f"key {key!r}: variable groups must include 'account' and be among "
                        + ", ".join(sorted(VARIABLES)),
                    )
                ]
            )
        checked[key] = tuple(groups)
    return checked


def check_templates(
    path: str | os.PathLike[str],
    *,
    keys: Mapping[str, Sequence[str]] | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[TemplateProblem]:
    """Check a template directory against every key and locale, without raising.

    Each file must be a known key in a known locale, use only its key's variables,
    reach no attribute or method, and render its sample context under the size cap;
    each key of the team's own must have an English template to fall back to.

    Args:
        path: The template directory.
        keys: The team's own template keys and their variable groups.
        max_chars: The size cap.

    Returns:
        Every problem, with the file and line; empty when the directory is good.
    """
    return _load(Path(path), _checked_keys(keys), max_chars)[1]
