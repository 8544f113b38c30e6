"""SMS segment counting: messages per second against the public peers, same corpus.

Peers, installed by this script into ``.bench-cache/`` (git-ignored) when missing:
``split-sms`` and ``sms-length`` from npm, run under node, and ``gsm0338`` from PyPI
(a codec only: its count is "GSM-7 if it encodes, else UTF-16", then ceil by 153 / 67).

The corpus is generated from a fixed seed: dunning reminders in English, French, German
and Spanish with amounts, dates, invoice numbers, IBANs and payment links, one third
forced into UCS-2 (typographic quotes, accents outside GSM, emoji), 1 to 19 parts.
Only the counting loops are timed (best of several passes); node gets the corpus
through a temporary JSON file. Each peer's counts are compared with ours.

Run: ``.venv/bin/python benchmarks/bench_sms.py`` (``--quick`` for a small corpus).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dunning_core.policies.sms import count_segments, gsm_normalize

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
NPM_DIR = CACHE / "npm"
PY_DIR = CACHE / "py"
NPM_PEERS = {"split-sms": "0.1.7", "sms-length": "0.2.2"}
PY_PEER = ("gsm0338", "1.1.0")

# --------------------------------------------------------------------------- corpus

_SENTENCES: dict[str, dict[str, list[str]]] = {
    "en": {
        "greeting": ["Dear {name},", "Hello {name},", "Hi {name},"],
        "body": [
            "Our records show that invoice {inv} for {amount}, due on {date}, is still unpaid.",
            "This is a friendly reminder that invoice {inv} ({amount}) was due on {date}.",
            "The outstanding balance on your account is {amount}.",
            "You can pay securely online at {link}",
            "If you've already paid, please ignore this message.",
            "Please settle the amount within {days} days to avoid a late fee of {fee}.",
            "Your service will be suspended on {date} if the balance remains unpaid.",
            "Questions? Call us on {phone} or reply to this message.",
            "Pay by bank transfer to IBAN {iban}, reference {ref}.",
            "We haven't received your payment of {amount} for order #{order}.",
            "Invoice {inv} dated {date}: {amount} [{status}]",
            "Don't miss the deadline - it's {date}.",
        ],
        "closing": ["Thank you, {company} Accounts Receivable", "Regards, {company}"],
        "status": ["OVERDUE", "DUE", "PART PAID"],
    },
    "fr": {
        "greeting": ["Bonjour {name},", "Madame, Monsieur,", "Cher client,"],
        "body": [
            "Sauf erreur de notre part, la facture {inv} d'un montant de {amount}, "
            "échue le {date}, reste impayée.",
            "Nous vous remercions de bien vouloir procéder à son règlement sous {days} jours.",
            "Vous pouvez régler en ligne en toute sécurité : {link}",
            "Si vous avez déjà effectué ce paiement, merci de ne pas tenir compte de ce message.",
            "À défaut de règlement avant le {date}, votre accès sera suspendu.",
            "Des frais de retard de {fee} pourront être appliqués.",
            "Pour toute question, contactez notre service client au {phone}.",
            "Virement possible sur l'IBAN {iban} avec la référence {ref}.",
            "Facture {inv} du {date} : {amount} [{status}]",
            "Nous n'avons pas reçu votre règlement de {amount} pour la commande n°{order}.",
            "Le solde dû à ce jour s'élève à {amount}.",
        ],
        "closing": [
            "Cordialement, le service comptabilité de {company}",
            "Merci, l'équipe recouvrement {company}",
        ],
        "status": ["EN RETARD", "À PAYER", "PARTIEL"],
    },
    "de": {
        "greeting": ["Sehr geehrte Damen und Herren,", "Guten Tag {name},", "Hallo {name},"],
        "body": [
            "laut unseren Unterlagen ist die Rechnung {inv} über {amount}, fällig am {date}, "
            "noch offen.",
            "Bitte überweisen Sie den Betrag innerhalb von {days} Tagen.",
            "Sie können bequem online bezahlen: {link}",
            "Sollten Sie bereits gezahlt haben, betrachten Sie diese Nachricht als erledigt.",
            "Bei Nichtzahlung bis zum {date} wird Ihr Zugang gesperrt.",
            "Es können Mahngebühren in Höhe von {fee} anfallen.",
            "Fragen? Rufen Sie uns unter {phone} an.",
            "Überweisung an IBAN {iban}, Verwendungszweck {ref}.",
            "Rechnung {inv} vom {date}: {amount} [{status}]",
            "Der offene Saldo Ihres Kontos beträgt {amount}.",
            "Wir haben Ihre Zahlung über {amount} zur Bestellung {order} nicht erhalten.",
        ],
        "closing": ["Mit freundlichen Grüßen, Ihre Buchhaltung {company}", "Danke! {company}"],
        "status": ["ÜBERFÄLLIG", "OFFEN", "TEILWEISE"],
    },
    "es": {
        "greeting": ["Estimado/a {name}:", "Hola {name},", "Apreciado cliente:"],
        "body": [
            "Le recordamos que la factura {inv} por importe de {amount}, con vencimiento el "
            "{date}, sigue pendiente de pago.",
            "Le rogamos que realice el pago en un plazo de {days} días.",
            "Puede pagar de forma segura en {link}",
            "Si ya ha realizado el pago, por favor ignore este mensaje.",
            "Si no recibimos el pago antes del {date}, su cuenta será suspendida.",
            "Se podrán aplicar gastos de demora de {fee}.",
            "¿Tiene alguna pregunta? Llámenos al {phone}.",
            "Transferencia al IBAN {iban} con la referencia {ref}.",
            "Factura {inv} del {date}: {amount} [{status}]",
            "El saldo pendiente de su cuenta es de {amount}.",
            "No hemos recibido su pago de {amount} del pedido nº {order}.",
        ],
        "closing": ["Atentamente, el departamento de cobros de {company}", "Gracias, {company}"],
        "status": ["VENCIDA", "PENDIENTE", "PARCIAL"],
    },
}
_NAMES = {
    "en": ["Mr Smith", "Ms Patel", "John", "Olivia Brown", "Dr O'Connor"],
    "fr": ["M. Dupont", "Mme Lefèvre", "Françoise", "M. Gaëtan Rivière", "Mme Benoît"],
    "de": ["Herr Müller", "Frau Schäfer", "Jürgen", "Frau Köhler", "Herr Groß"],
    "es": ["Sr. García", "Sra. Núñez", "José", "María López", "Sr. Ibáñez"],
}
_COMPANIES = ["Acme Telecom", "Nordwind Energie", "Aquitaine Eaux", "Solaria Ibérica", "Hôtel 3G"]
_EMOJI = ["⚠️", "💳", "📄", "✅", "🙏", "🔔", "👉"]
# Letters outside the GSM alphabet, spelt without their accent in a "cheap" message.
_PLAIN_LETTERS = str.maketrans(
    "êëîïôûâçáíóúÊËÎÏÔÛÂÁÍÓÚÀ°º", "eeiiouacaiouEEIIOUAAIOUAoo"
)  # fmt: skip


def _amount(rng: random.Random, language: str, fancy: bool) -> str:
    value = rng.choice([rng.randint(5, 200), rng.randint(200, 5000), rng.randint(5000, 250000)])
    cents = rng.randint(0, 99)
    if language == "en":
        symbol = rng.choice(["£", "$", "EUR ", "€"])
        return f"{symbol}{value:,}.{cents:02d}"
    if language == "fr":
        space = "\u202f" if fancy else " "
        whole = f"{value:,}".replace(",", space)
        return f"{whole},{cents:02d}{space}{rng.choice(['€', 'EUR'])}"
    whole = f"{value:,}".replace(",", ".")
    return f"{whole},{cents:02d} {rng.choice(['€', 'EUR'])}"


def _date(rng: random.Random, language: str) -> str:
    year, month, day = rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)
    if language == "en":
        return rng.choice([f"{year}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year}"])
    if language == "de":
        return f"{day:02d}.{month:02d}.{year}"
    return f"{day:02d}/{month:02d}/{year}"


def _token(rng: random.Random, size: int) -> str:
    return "".join(
        rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(size)
    )


def _fill(template: str, rng: random.Random, language: str, fancy: bool) -> str:
    link = f"https://pay.example-billing.com/{language}/i/{_token(rng, rng.randint(8, 16))}"
    if rng.random() < 0.3:
        link += f"?ref={rng.randint(10000, 99999)}&utm_source=sms"
    series = rng.choice(["INV", "F", "RE", "FAC"])
    groups = " ".join(str(rng.randint(1000, 9999)) for _ in range(3))
    return template.format(
        name=rng.choice(_NAMES[language]),
        inv=f"{series}-{rng.randint(2023, 2026)}-{rng.randint(1, 99999):05d}",
        amount=_amount(rng, language, fancy),
        fee=_amount(rng, language, fancy),
        date=_date(rng, language),
        link=link,
        days=rng.choice([5, 8, 10, 15, 30]),
        phone=f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        iban=f"FR76 {groups} {rng.randint(10, 99)}",
        ref=f"{_token(rng, 4)}/{rng.randint(100, 999)}",
        order=rng.randint(100000, 999999),
        status=rng.choice(_SENTENCES[language]["status"]),
        company=rng.choice(_COMPANIES),
    )


def _typographic(text: str, rng: random.Random, language: str) -> str:
    text = text.replace("'", "\u2019").replace(" - ", " \u2013 ")
    if language == "fr":
        text = text.replace(" :", "\u202f:").replace(" ?", "\u202f?")
    if rng.random() < 0.5:
        position = rng.choice([0, len(text)])
        emoji = rng.choice(_EMOJI)
        text = f"{emoji} {text}" if position == 0 else f"{text} {emoji}"
    return text


def _is_gsm(text: str) -> bool:
    return count_segments(text).encoding == "GSM-7"


_GSM_PAIRS = frozenset("\f^{}\\[]~|€")


def _naive_cut(text: str, budget: int, ucs2: bool) -> str:
    """The longest prefix of at most ``budget`` units, cut between any characters: what
    a sender that truncates to "N x 153 septets" produces. Pairs land on boundaries."""
    used = 0
    for index, char in enumerate(text):
        cost = 2 if (ord(char) > 0xFFFF if ucs2 else char in _GSM_PAIRS) else 1
        if used + cost > budget:
            return text[:index]
        used += cost
    return text


def _message(
    rng: random.Random, language: str, ucs2: bool, parts: int, budget_cut: bool = False
) -> str:
    bank = _SENTENCES[language]
    per_part, single = (67, 70) if ucs2 else (153, 160)
    low, high = (20, single) if parts == 1 else (per_part * (parts - 1) + 1, per_part * parts)
    target = high + 40 if budget_cut else rng.randint(low, high)
    closing = _fill(rng.choice(bank["closing"]), rng, language, ucs2)
    pieces = [_fill(rng.choice(bank["greeting"]), rng, language, ucs2)]
    while sum(len(p) + 1 for p in pieces) + len(closing) < target + 40:
        pieces.append(_fill(rng.choice(bank["body"]), rng, language, ucs2))
    separator = "\n" if rng.random() < 0.3 else " "
    text = separator.join([*pieces, closing])
    if ucs2:
        text = _typographic(text, rng, language)
    else:
        text = gsm_normalize(text.translate(_PLAIN_LETTERS))[0]
    if budget_cut:
        if ucs2 and count_segments(text[:high]).encoding == "GSM-7":
            text = f"{rng.choice(_EMOJI)} {text}"
        return _naive_cut(text, high - rng.randint(0, 2), ucs2)
    # Cut at a word boundary so the message lands in the part count drawn.
    while True:
        counted = count_segments(text)
        if (counted.encoding == "UCS-2") != ucs2:
            if not ucs2:
                raise AssertionError(f"not GSM after transliteration: {text!r}")
            text = f"{rng.choice(_EMOJI)} {text}"  # the forcing emoji went with the cut
            continue
        if counted.segments <= parts:
            break
        cut = text.rfind(" ", 0, min(len(text) - 1, target))
        text = text[: cut if cut > 0 else len(text) - 1]
        target = len(text)
    return text


def build_corpus(size: int, seed: int) -> list[str]:
    """``size`` reminders; a third of them UCS-2, 1 to 19 parts (skewed to short).

    One in ten is cut by a naive budget (exactly N x 153 septets or N x 67 units, give
    or take 2) instead of at a word boundary, as senders that truncate do: those are
    the messages where a pair can land on a part boundary and add a part.
    """
    rng = random.Random(seed)
    weights = {1: 28, 2: 18, 3: 12, 4: 8} | dict.fromkeys(range(5, 20), 34 / 15)
    corpus = []
    for index in range(size):
        language = ("en", "fr", "de", "es")[index % 4]
        ucs2 = index % 3 == 2
        parts = rng.choices(list(weights), weights=list(weights.values()))[0]
        budget_cut = index % 10 == 7 and 2 <= parts <= 18
        corpus.append(_message(rng, language, ucs2, parts, budget_cut))
    rng.shuffle(corpus)
    return corpus


# --------------------------------------------------------------------------- peers

_NODE_SCRIPT = r"""
const fs = require('fs');
const [corpusPath, modules, repeats] = process.argv.slice(2);
const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
const out = {};
function bench(name, load, count) {
  let fn;
  try { fn = count(require(modules + '/' + load)); }
  catch (e) { out[name] = {error: String(e)}; return; }
  const counts = corpus.map(fn);           // results, and JIT warm-up
  let best = Infinity, sink = 0;
  for (let r = 0; r < Number(repeats); r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < corpus.length; i++) sink += fn(corpus[i]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (seconds < best) best = seconds;
  }
  out[name] = {seconds: best, counts, sink};
}
bench('split-sms', 'split-sms', (m) => (t) => m.split(t, {summary: true}).parts.length);
bench('sms-length', 'sms-length', (m) => (t) => m.count(t).messages);
process.stdout.write(JSON.stringify(out));
"""


def _install_npm_peers() -> str | None:
    """Install the npm peers if missing; return why they cannot be used, or None."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "node or npm is not installed"
    wanted = [f"{name}@{version}" for name, version in NPM_PEERS.items()]
    if all((NPM_DIR / "node_modules" / name / "package.json").exists() for name in NPM_PEERS):
        return None
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    manifest = NPM_DIR / "package.json"
    if not manifest.exists():
        manifest.write_text('{"name": "sms-bench-peers", "private": true}\n')
    done = subprocess.run(
        ["npm", "install", "--no-save", "--no-audit", "--no-fund", *wanted],
        cwd=NPM_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        return f"npm install failed: {done.stderr.strip()[-300:]}"
    return None


def _run_node_peers(corpus: list[str], repeats: int) -> dict[str, Any]:
    problem = _install_npm_peers()
    if problem:
        return {name: {"error": problem} for name in NPM_PEERS}
    with tempfile.TemporaryDirectory() as folder:
        corpus_file = Path(folder) / "corpus.json"
        corpus_file.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
        script = Path(folder) / "peers.js"
        script.write_text(_NODE_SCRIPT, encoding="utf-8")
        modules = str(NPM_DIR / "node_modules")
        done = subprocess.run(
            ["node", str(script), str(corpus_file), modules, str(repeats)],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if done.returncode != 0:
        return {name: {"error": f"node failed: {done.stderr.strip()[-300:]}"} for name in NPM_PEERS}
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def _gsm0338_counter() -> Callable[[str], int] | str:
    """A segment counter built on gsm0338's codec, or why it cannot be had."""
    if not (PY_DIR / PY_PEER[0]).exists():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(PY_DIR), f"{PY_PEER[0]}=={PY_PEER[1]}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            return f"pip install failed: {done.stderr.strip()[-300:]}"
    sys.path.insert(0, str(PY_DIR))
    try:
        import gsm0338  # type: ignore[import-not-found]
    except ImportError as error:
        return f"import failed: {error}"
    encode = gsm0338.Codec().encode

    def count(text: str) -> int:
        try:
            units, single, per_part = len(encode(text)[0]), 160, 153
        except UnicodeEncodeError:
            units, single, per_part = len(text.encode("utf-16-le")) // 2, 70, 67
        return 1 if units <= single else -(-units // per_part)

    return count


# --------------------------------------------------------------------------- timing


def _time_python(count: Callable[[str], int], corpus: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        sink = 0
        started = time.perf_counter()
        for text in corpus:
            sink += count(text)
        best = min(best, time.perf_counter() - started)
    return best


def _ours(text: str) -> int:
    return count_segments(text).segments


def _example(corpus: list[str], ours: list[int], theirs: list[int]) -> tuple[int, str]:
    differing = [i for i in range(len(corpus)) if ours[i] != theirs[i]]
    if not differing:
        return 0, ""
    shortest = min(differing, key=lambda i: len(corpus[i]))
    counted = count_segments(corpus[shortest])
    return len(differing), (
        f"{len(corpus[shortest])} chars, {counted.encoding} {counted.units} units: ours "
        f"{ours[shortest]}, theirs {theirs[shortest]}"
    )


def main() -> None:
    """Build the corpus, time every counter on it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 messages, fewer passes")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=23038)
    arguments = parser.parse_args()
    size = arguments.size or (2_000 if arguments.quick else 20_000)
    repeats = 3 if arguments.quick else 7

    corpus = build_corpus(size, arguments.seed)
    ours = [_ours(text) for text in corpus]
    encodings = Counter(count_segments(text).encoding for text in corpus)
    print(
        f"SMS segment counting: {size:,} reminders (EN/FR/DE/ES, seed {arguments.seed}), "
        f"{encodings['UCS-2']:,} UCS-2, {min(ours)}-{max(ours)} parts, "
        f"{sum(map(len, corpus)) / size:.0f} chars on average"
    )

    rows: list[tuple[str, float | None, str]] = []
    our_seconds = _time_python(_ours, corpus, repeats)
    rows.append(("dunning_core count_segments (Python)", size / our_seconds, "-"))

    node = _run_node_peers(corpus, repeats)
    for name, version in NPM_PEERS.items():
        result = node.get(name, {"error": "no result"})
        label = f"{name} {version} (node {_node_version()})"
        if "error" in result:
            rows.append((label, None, f"not measured: {result['error']}"))
            continue
        differing, example = _example(corpus, ours, result["counts"])
        note = f"{differing} differ" + (f", e.g. {example}" if example else "")
        rows.append((label, size / result["seconds"], note))

    counter = _gsm0338_counter()
    label = f"{PY_PEER[0]} {PY_PEER[1]} codec + ceil (Python)"
    if isinstance(counter, str):
        rows.append((label, None, f"not measured: {counter}"))
    else:
        theirs = [counter(text) for text in corpus]
        seconds = _time_python(counter, corpus, 1)  # pure Python per character: one pass
        differing, example = _example(corpus, ours, theirs)
        note = f"{differing} differ" + (f", e.g. {example}" if example else "")
        rows.append((label, size / seconds, note))

    pushed = sum(1 for text in corpus if _pushed_by_a_pair(text))
    print(
        f"{pushed} messages take one part more than ceil(units / per part): a pair on a "
        "part boundary moved on"
    )
    baseline = next((rate for name, rate, _ in rows if name.startswith("split-sms")), None)
    print(f"{'counter':44} {'msgs/s':>12} {'vs split-sms':>13}  counts differing from ours")
    for name, rate, note in rows:
        shown = f"{rate:12,.0f}" if rate else f"{'-':>12}"
        ratio = f"{rate / baseline:12.2f}x" if rate and baseline else f"{'-':>13}"
        print(f"{name:44} {shown} {ratio}  {note}")
    print("(best of", repeats, "passes; gsm0338, pure Python per character: one pass)")


def _pushed_by_a_pair(text: str) -> bool:
    counted = count_segments(text)
    return counted.segments > 1 and counted.segments > -(-counted.units // counted.capacity)


def _node_version() -> str:
    if not shutil.which("node"):
        return "absent"
    done = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
