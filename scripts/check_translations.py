"""Fail when a catalogue has untranslated or fuzzy entries, or when a shipped .mo file
is missing or out of date with its .po source.

The Chinese translations ship compiled; this keeps the two from drifting apart. CI runs
``manage.py makemessages`` first, so a string added to the code without a translation
fails here. Both catalogues of LOCALE_PATHS are checked: ``locale/`` (the project's own
strings) and ``locale_wagtail/`` (Wagtail's admin strings that Wagtail leaves untranslated,
kept by hand: see scripts/wagtail_missing_translations.py).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_FOLDERS = ("locale", "locale_wagtail")


def main() -> int:
    problems = []
    po_files = []
    for folder in CATALOGUE_FOLDERS:
        found = sorted(ROOT.glob(f"{folder}/*/LC_MESSAGES/*.po"))
        if not found:
            problems.append(f"no .po files under {folder}/")
        po_files += found
    for po in po_files:
        mo = po.with_suffix(".mo")
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fresh.mo"
            result = subprocess.run(
                ["msgfmt", "--check-format", "-o", str(fresh), str(po)],
                capture_output=True,
                text=True,
            )
            stats = subprocess.run(
                ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
                capture_output=True,
                text=True,
            ).stderr
            if "fuzzy" in stats or "untranslated" in stats:
                problems.append(f"{po.relative_to(ROOT)}: {stats.strip()}")
            if result.returncode:
                problems.append(f"{po.relative_to(ROOT)}: {result.stderr.strip()}")
            elif not mo.exists() or mo.read_bytes() != fresh.read_bytes():
                problems.append(f"{mo.relative_to(ROOT)} is stale: run manage.py compilemessages")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(po_files)} catalogue(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
