# Every target bootstraps .venv from a fresh clone; nothing is installed by hand.
#
# Tools, test dependencies and the runtime dependencies at their tested versions come
# from requirements/dev.lock (exact versions with hashes, written by `make lock`); the
# package's own dependencies in pyproject.toml stay ranges.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/dev.lock
# Install exactly the lock: hashes required, nothing resolved on the way.
PIP_LOCKED := -m pip install --quiet --require-hashes --no-deps
# The project itself, from the working tree, with the locked build backend.
PIP_PROJECT := -m pip install --quiet --no-deps --no-build-isolation --editable .

.PHONY: help test lint typecheck pytest postgres-binaries check-lock demo demo-smtp bench soak \
	fuzz docs lock \
	lock-upgrade test-latest test-oldest clean messages pdf-tools browser

help:
	@echo "make test         - ruff, ruff format --check, mypy --strict, pytest (hypothesis profile ci)"
	@echo "make demo         - run the sample portfolio on the embedded SQLite default"
	@echo "make demo-smtp    - the same, e-mail sent through SmtpNotifier to a local server"
	@echo "make bench        - performance figures (ratios against baselines of the same run)"
	@echo "make soak         - the suite with the long hypothesis profile (stateful test, sweep, fuzz)"
	@echo "make fuzz         - atheris on every parser of outside input, $(FUZZ_SECONDS) s per target"
	@echo "make docs         - build the documentation (warnings fail the build)"
	@echo "make lock         - rewrite $(LOCK) after a dependency change (keeps existing pins)"
	@echo "make messages     - extract the built-in texts, update and compile the catalogs (babel)"
	@echo "make lock-upgrade - rewrite $(LOCK) with the newest releases"
	@echo "make test-latest  - the suite against the newest runtime dependencies (no lock)"
	@echo "make test-oldest  - the unit tests against the lowest versions pyproject.toml admits"

$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_LOCKED) -r $(LOCK)
	$(BIN)/python $(PIP_PROJECT)
	$(BIN)/python scripts/check_lock.py $(LOCK)
	@touch $(STAMP)

check-lock: $(STAMP)
	$(BIN)/python scripts/check_lock.py $(LOCK)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples scripts fuzz
	$(BIN)/ruff format --check src tests benchmarks examples scripts fuzz

typecheck: $(STAMP)
	$(BIN)/mypy --strict src scripts

# The PostgreSQL tests start a throwaway server from the machine's PostgreSQL binaries
# (and a PgBouncer in front of it); install them when missing (as root, through apt), or say how. The tests themselves fail
# with the same hint if they are still missing: they are never skipped.
postgres-binaries:
	@if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; \
		else \
			echo "PostgreSQL 15 binaries missing: apt-get install postgresql-15"; \
		fi; \
	fi
	@if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; \
		else \
			echo "PgBouncer missing: apt-get install pgbouncer"; \
		fi; \
	fi

# Debian's chromium, for the HTML report's test in a headless browser
# (tests/e2e/test_cli_report.py); installed once, when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

pytest: $(STAMP) pdf-tools browser postgres-binaries
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q

test: check-lock lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m examples.demo

# The demo's e-mail through SmtpNotifier to an SMTP server it starts on 127.0.0.1.
demo-smtp: $(STAMP)
	$(BIN)/python -m examples.demo --smtp

bench: $(STAMP) postgres-binaries
	@for f in benchmarks/bench_*.py; do \
		echo "== $$f"; $(BIN)/python $$f || exit 1; \
	done

soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q tests

# Coverage-guided fuzzing (atheris, the `fuzz` extra): each target for FUZZ_SECONDS; a
# finding stops the run and leaves its input in fuzz/findings/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := toml money invoice_row bank_reference sms template account import_csv \
	import_jsonl mt940 camt

fuzz: $(STAMP)
	@mkdir -p fuzz/findings
	@for target in $(FUZZ_TARGETS); do \
		echo "== $$target ($(FUZZ_SECONDS) s)"; \
		$(BIN)/python fuzz/atheris_targets.py $$target -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz/findings/$$target- -print_final_stats=1 2>&1 \
			| grep -E "^(Done|stat::number_of_executed_units|==|.*Uncaught|.*Error)" || exit 1; \
		test -z "$$(ls fuzz/findings/$$target-* 2>/dev/null)" || exit 1; \
	done

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# uv keeps the versions already in the lock and adds what a changed pyproject.toml needs.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/tools.in --all-extras \
	--generate-hashes --universal --python-version 3.11 --quiet -o $(LOCK)

lock: $(STAMP)
	$(UV_COMPILE)

lock-upgrade: $(STAMP)
	$(UV_COMPILE) --upgrade

# The runtime dependencies at their newest releases, tools from the lock: a release of
# babel, attrs or dateutil that breaks users shows here before it reaches them.
test-latest: $(STAMP)
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python $(PIP_LOCKED) -r $(LOCK)
	$(BIN)/python scripts/runtime_requirements.py > .venv-latest/runtime.txt
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
		-r .venv-latest/runtime.txt
	.venv-latest/bin/python $(PIP_PROJECT)
	.venv-latest/bin/python -m pip list --format=freeze | grep -i -E '^(attrs|babel|python-dateutil)=='
	HYPOTHESIS_PROFILE=ci .venv-latest/bin/python -m pytest -q -p no:cacheprovider

# The lowest versions the published ranges admit (direct dependencies and the testing
# extra), tools from the lock: the ranges in pyproject.toml must be true.
test-oldest: $(STAMP)
	rm -rf .venv-oldest
	$(PYTHON) -m venv .venv-oldest
	.venv-oldest/bin/python $(PIP_LOCKED) -r $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra testing --resolution lowest-direct \
		--python-version 3.11 --quiet -o .venv-oldest/lowest.txt
	.venv-oldest/bin/python -m pip install --quiet --no-deps -r .venv-oldest/lowest.txt
	.venv-oldest/bin/python $(PIP_PROJECT)
	.venv-oldest/bin/python -m pip list --format=freeze \
		| grep -i -E '^(attrs|babel|python-dateutil|hypothesis|pytest)=='
	HYPOTHESIS_PROFILE=ci .venv-oldest/bin/python -m pytest -q -p no:cacheprovider tests/unit

clean:
	rm -rf $(VENV) .venv-latest .venv-oldest docs/_build .pytest_cache .mypy_cache \
		.ruff_cache .hypothesis

# The built-in notices: English texts marked in rendering/_notices.py, catalogs per
# language under rendering/locale (shipped in the wheel). Extract -> update (a new
# language is initialised) -> compile. tests/unit/test_catalogs.py fails when a catalog
# misses a text or its placeholders differ, or when the compiled files are stale.
LOCALE_DIR := src/dunning_core/rendering/locale
POT := $(LOCALE_DIR)/dunning_core.pot
CATALOG_LANGUAGES := fr de es

messages: $(STAMP)
	mkdir -p $(LOCALE_DIR)
	$(BIN)/pybabel extract --no-default-keywords -k _t:1c,2 -k _tn:1c,2,3 --no-location \
		--project=dunning-core --copyright-holder="dunning_core maintainers" \
		--msgid-bugs-address="" -o $(POT) src/dunning_core/rendering/_notices.py \
		src/dunning_core/rendering/_document_texts.py
	for language in $(CATALOG_LANGUAGES); do \
		$(BIN)/pybabel update -D dunning_core -i $(POT) -d $(LOCALE_DIR) -l $$language \
			--init-missing --no-fuzzy-matching --ignore-obsolete \
			--ignore-pot-creation-date || exit 1; \
	done
	$(BIN)/python scripts/compile_catalogs.py $(LOCALE_DIR) dunning_core $(CATALOG_LANGUAGES)

# pdftotext / pdftoppm (poppler-utils) read back the PDFs the letter tests write.
pdf-tools:
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || { \
		echo "installing poppler-utils (pdftotext, pdftoppm) for the PDF tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }
