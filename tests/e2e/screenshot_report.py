"""Re-make docs/cli-report.png: the sample session of docs/cli.md, then its report in
headless Chromium (not a test; run it when the report or the sample changes).

    .venv/bin/python tests/e2e/screenshot_report.py docs/cli-report.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser
from test_cli import FIRST, LAST, dunning, import_sample


def main(target: Path) -> None:
    """Run the sample's 60 days on a temporary database and screenshot its report."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "dunning.sqlite3"
        import_sample(db)
        dunning(
            "run",
            "--as-of",
            FIRST.isoformat(),
            "--until",
            LAST.isoformat(),
            "--dispatch",
            "--progress",
            "none",
            db=db,
        )
        page = Path(folder) / "report.html"
        dunning("report", "--html", str(page), "--as-of", LAST.isoformat(), db=db)
        with browser.Page(page.as_uri(), width=1100, height=1300) as opened:
            assert opened.console == [], opened.console
            browser.write(target, opened.screenshot())
    print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/cli-report.png"))
