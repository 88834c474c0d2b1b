"""The Simplified Chinese and Spanish catalogs: complete, compiled, and used by pages and the API.

The catalog checks read the .po and .mo files in pure Python, so they run without GNU gettext.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from partnerdesk.health.testing import build_catalog
from partnerdesk.health.tests.test_list_filters import issue
from partnerdesk.testing import World

LOCALES = {"zh-hans": "zh_Hans", "es": "es"}
SIGN_IN_HEADING = {"zh-hans": "登录 Partnerdesk", "es": "Iniciar sesión en Partnerdesk"}
WRONG_PASSWORD_MESSAGE = {
    "zh-hans": "电子邮件或密码不正确。",
    "es": "El correo electrónico o la contraseña no son correctos.",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> tuple[Entry, list[Entry]]:
    """Return the header entry and the other entries of a .po file (obsolete `#~` entries skipped)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if started and target is not None and target[0] == "msgstr":
                finish()  # a comment after the msgstr starts the next entry
            if line.startswith("#,") and "fuzzy" in line:
                entry.fuzzy = True
            continue
        keyword = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if keyword:
            name, index, text = keyword.group(1), keyword.group(2), ast.literal_eval(keyword.group(3))
            if name in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            if not started:
                entry.line = number
            started = True
            if name.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = text
            else:
                target = (name, 0)
                setattr(entry, name, text)
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += text
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    header = entries.pop(0)
    assert header.msgid == "" and header.msgctxt is None, f"{path}: the first entry must be the header"
    return header, entries


def catalog(code: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / LOCALES[code] / "LC_MESSAGES" / "django.po"


# --- The catalogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", LOCALES)
def test_the_catalog_lives_where_django_looks_for_the_language(code):
    assert code in dict(settings.LANGUAGES)
    assert catalog(code).is_file()
    assert catalog(code).with_suffix(".mo").is_file(), "run `make messages` (compilemessages)"


@pytest.mark.parametrize(("code", "nplurals"), [("zh-hans", 1), ("es", 2)])
def test_the_header_names_the_language_charset_and_plural_forms(code, nplurals):
    header, _ = parse_po(catalog(code))
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert not header.fuzzy
    assert fields["Language"] == LOCALES[code]
    assert "charset=UTF-8" in fields["Content-Type"]
    assert fields["Plural-Forms"].startswith(f"nplurals={nplurals};")


@pytest.mark.parametrize("code", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(code):
    _, entries = parse_po(catalog(code))
    assert len(entries) > 200
    fuzzy = [e.label for e in entries if e.fuzzy]
    untranslated = [e.label for e in entries if e.msgid and (not e.msgstr or not all(e.msgstr.values()))]
    assert fuzzy == []
    assert untranslated == []


@pytest.mark.parametrize(("code", "nplurals"), [("zh-hans", 1), ("es", 2)])
def test_translations_keep_every_placeholder_and_plural_form(code, nplurals):
    _, entries = parse_po(catalog(code))
    broken = []
    for entry in entries:
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        if entry.msgid_plural is not None and sorted(entry.msgstr) != list(range(nplurals)):
            broken.append(f"{entry.label}: plural forms {sorted(entry.msgstr)}")
        for text in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(text)) != expected:
                broken.append(f"{entry.label}: {text!r}")
    assert broken == []


@pytest.mark.parametrize("code", LOCALES)
def test_the_compiled_catalog_matches_the_po_file(code):
    """Catches a .po edited without running compilemessages (the .mo files are committed)."""
    _, entries = parse_po(catalog(code))
    with catalog(code).with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in entries:
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        for index, text in entry.msgstr.items():
            found = compiled.get((key, index) if entry.msgid_plural is not None else key)
            if found != text:
                stale.append(entry.label)
    assert stale == []


# --- Pages and the API in each language ---------------------------------------------------------


@pytest.mark.parametrize("code", LOCALES)
def test_the_sign_in_page_follows_the_language_cookie(db, code):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    response = client.get("/account/signin/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{code}">' in page
    assert SIGN_IN_HEADING[code] in page
    assert "Sign in to Partnerdesk" not in page


def test_the_sign_in_page_stays_english_without_a_choice(db):
    page = Client().get("/account/signin/").content.decode()
    assert "Sign in to Partnerdesk" in page


@pytest.mark.parametrize("code", LOCALES)
def test_an_api_error_message_follows_accept_language(world: World, code):
    response = Client().post(
        "/api/v1/auth/tokens",
        data={"email": world.user("operator.auditor").email, "password": "not-the-password"},
        content_type="application/json",
        headers={"Accept-Language": code},
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_credentials"  # machine-readable codes are never translated
    assert error["message"] == WRONG_PASSWORD_MESSAGE[code]


# Words that mean different things as a button and as a label: each use says which (a context), so
# that translators can translate each ("Finalizar" the relationship, "Fin" of an issue).
AMBIGUOUS = ("End",)
BARE_TEMPLATE_USE = re.compile(r"""\{%\s*(?:translate|trans)\s+["']([^"']+)["']\s*(?:as\s+\w+\s*)?%\}""")


def test_ambiguous_words_are_translated_with_a_context():
    root = Path(settings.BASE_DIR)
    bare = []
    for path in root.rglob("*.html"):
        for match in BARE_TEMPLATE_USE.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) in AMBIGUOUS:
                bare.append(f"{path.relative_to(root)}: {match.group(0)}")
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", ""))
                in {"_", "gettext", "gettext_lazy"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in AMBIGUOUS
            ):
                bare.append(f"{path.relative_to(root)}:{node.lineno}")
    assert bare == []


@pytest.mark.django_db
def test_the_button_and_the_date_label_have_distinct_contexts(web, world):
    template = (Path(settings.BASE_DIR) / "tenancy/templates/tenancy/relationship_list.html").read_text()
    assert '{% translate "End" context "button: end a delegated relationship" %}' in template
    mail_is_slow = issue(world, build_catalog(world), "Mail is slow", publish=True)
    page = web("a1.global_admin").get(f"/admin/health/issues/{mail_is_slow.pk}/").content.decode()
    assert "<dt>End</dt>" in page  # the label, read in English until its context is translated


def test_the_sender_of_a_mail_is_not_the_first_day_of_a_period():
    """ "From" bare is the date filters' label ("Desde", "开始日期"); the quarantine's sender column
    says it means the sender."""
    for name in ("quarantine_list.html", "quarantine_detail.html"):
        template = (Path(settings.BASE_DIR) / "support/templates/support" / name).read_text()
        assert '{% translate "From" context "the sender of an e-mail" %}' in template
        assert '{% translate "From" %}' not in template
