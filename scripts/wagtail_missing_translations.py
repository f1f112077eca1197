"""List the admin strings that Wagtail's own zh_Hans catalogues leave untranslated.

Wagtail (and wagtailmedia) ship a Chinese catalogue per app that lags their English one by
a few hundred strings, which the admin then shows in English. The project fills the gap in
``locale_wagtail/zh_Hans/LC_MESSAGES/django.po`` (and ``djangojs.po`` for the admin's
scripts), the second entry of LOCALE_PATHS, which ``makemessages`` never rewrites.

A string is *missing* when an installed Wagtail app (every app whose name starts with
``wagtail``: see INSTALLED_APPS) defines it in its ``en`` catalogue and no installed Wagtail
app translates it in its compiled zh_Hans catalogue. This script compares that set with
``locale_wagtail``:

    .venv/bin/python scripts/wagtail_missing_translations.py         # what to add / drop
    .venv/bin/python scripts/wagtail_missing_translations.py --po    # entries to add, as .po

After a Wagtail upgrade: append the ``--po`` output to the catalogue of its domain, translate
each entry by hand in the terminology of Wagtail's own zh_Hans catalogue, drop the entries
listed as no longer needed, then ``msgfmt -o django.mo django.po`` in that folder (or
``manage.py compilemessages``); ``scripts/check_translations.py`` checks the result.
Exit status: 1 when something is missing from ``locale_wagtail``, else 0.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = ROOT / "locale_wagtail" / "zh_Hans" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")

Key = tuple[str | None, str, str | None]  # (msgctxt, msgid, msgid_plural)


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        return "fuzzy" not in self.flags and bool(self.msgstr) and all(self.msgstr.values())


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (without the header and obsolete ``#~`` entries)."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int | None] | None = None
    seen_msgid = False

    def finish():
        nonlocal entry, current, seen_msgid
        if seen_msgid and entry.msgid:
            entries.append(entry)
        entry, current, seen_msgid = Entry(), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            if seen_msgid:
                finish()
            continue
        if line.startswith("#"):
            if seen_msgid:
                finish()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.references.extend(line[2:].split())
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if seen_msgid and keyword in ("msgctxt", "msgid"):
                finish()
            if keyword == "msgctxt":
                current = ("msgctxt", None)
                entry.msgctxt = ""
            elif keyword == "msgid":
                current, seen_msgid = ("msgid", None), True
            elif keyword == "msgid_plural":
                current = ("msgid_plural", None)
                entry.msgid_plural = ""
            elif keyword.startswith("msgstr"):
                index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                current = ("msgstr", index)
                entry.msgstr[index] = ""
            else:
                raise ValueError(f"{path}: cannot read {raw!r}")
        name, index = current
        if name == "msgstr":
            entry.msgstr[index] += value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    finish()
    return entries


def mo_keys(path: Path) -> set[Key]:
    """The entries a compiled catalogue translates."""
    if not path.exists():
        return set()
    with path.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    keys = set()
    for raw in catalog:
        msgid = raw[0] if isinstance(raw, tuple) else raw
        if not msgid:
            continue  # the header
        ctxt, _, msgid = msgid.rpartition("\x04") if "\x04" in msgid else (None, "", msgid)
        keys.add((ctxt, msgid, "plural" if isinstance(raw, tuple) else None))
    return keys


def normal(key: Key) -> Key:
    """Compare plural entries by msgid only (a .mo keeps no msgid_plural)."""
    ctxt, msgid, plural = key
    return (ctxt, msgid, "plural" if plural is not None else None)


def wagtail_app_paths() -> list[Path]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    sys.path.insert(0, str(ROOT))
    import django
    from django.apps import apps

    django.setup()
    return [Path(app.path) for app in apps.get_app_configs() if app.name.startswith("wagtail")]


def missing_entries(domain: str, app_paths: list[Path]) -> dict[Key, Entry]:
    """Entries the Wagtail apps define in English but none translates in zh_Hans."""
    english: dict[Key, Entry] = {}
    translated: set[Key] = set()
    for path in app_paths:
        en_po = path / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
        if en_po.exists():
            for entry in parse_po(en_po):
                entry.msgstr = {}
                entry.flags.discard("fuzzy")
                entry.references = [f"{path.name}/{ref}" for ref in entry.references]
                english.setdefault(normal(entry.key), entry)
        translated |= mo_keys(path / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.mo")
    return {key: entry for key, entry in english.items() if key not in translated}


def po_text(entry: Entry) -> str:
    def quoted(keyword: str, value: str) -> str:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{keyword} "{escaped}"\n'

    lines = ""
    if entry.references:
        lines += "#: " + " ".join(entry.references[:3]) + "\n"
    flags = sorted(flag for flag in entry.flags if flag != "fuzzy")
    if flags:
        lines += "#, " + ", ".join(flags) + "\n"
    if entry.msgctxt is not None:
        lines += quoted("msgctxt", entry.msgctxt)
    lines += quoted("msgid", entry.msgid)
    if entry.msgid_plural is not None:
        lines += quoted("msgid_plural", entry.msgid_plural)
        lines += quoted("msgstr[0]", "")
    else:
        lines += quoted("msgstr", "")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--po", action="store_true", help="print the entries to add as .po text")
    args = parser.parse_args(argv)

    app_paths = wagtail_app_paths()
    status = 0
    for domain in DOMAINS:
        missing = missing_entries(domain, app_paths)
        ours_po = CATALOGUE_DIR / f"{domain}.po"
        ours = {normal(e.key): e for e in parse_po(ours_po)} if ours_po.exists() else {}
        provided = {key for key, entry in ours.items() if entry.translated}
        to_add = [entry for key, entry in missing.items() if key not in provided]
        unneeded = [entry for key, entry in ours.items() if key not in missing]
        if to_add:
            status = 1
        if args.po:
            for entry in to_add:
                print(po_text(entry))
            continue
        print(
            f"{domain}: Wagtail leaves {len(missing)} string(s) untranslated in zh_Hans; "
            f"{ours_po.relative_to(ROOT)} translates {len(provided & missing.keys())}, "
            f"{len(to_add)} to add, {len(unneeded)} no longer needed"
        )
        for entry in to_add:
            print(f"  to add: {entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}")
        for entry in unneeded:
            print(f"  no longer needed: {entry.msgid!r}")
    return status


if __name__ == "__main__":
    sys.exit(main())
