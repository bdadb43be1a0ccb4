import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.factories import PartnerFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUE = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(po_text):
    """(msgid, msgstr) pairs of a .po file, plural forms folded to their first form."""
    pattern = re.compile(
        r'(#, fuzzy[^\n]*\n(?:#\|.*\n)*)?msgid ((?:".*"\n)+)'
        r'(?:msgid_plural (?:".*"\n)+)?msgstr(?:\[0\])? ((?:".*"\n)+)'
    )
    result = []
    for fuzzy, msgid, msgstr in pattern.findall(po_text):
        join = lambda block: "".join(re.findall(r'"(.*)"', block))  # noqa: E731
        result.append((join(msgid), join(msgstr), bool(fuzzy)))
    return [entry for entry in result if entry[0]]


def test_every_string_in_the_code_has_a_chinese_translation(tmp_path, settings, monkeypatch):
    # makemessages rewrites the catalogue it finds under the working directory, so it runs
    # on a copy of the source tree.
    source = tmp_path / "src"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(".venv", "var", "static", "staticfiles", ".git", "tests"),
    )
    monkeypatch.chdir(source)
    settings.LOCALE_PATHS = [source / "locale"]
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_obsolete=True,
        no_location=True,
        ignore_patterns=[".venv/*", "var/*", "static/*", "staticfiles/*", "tests/*"],
        verbosity=0,
    )
    fresh = (source / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()
    missing = [msgid for msgid, msgstr, fuzzy in entries(fresh) if not msgstr or fuzzy]
    assert missing == [], "run `make messages` and translate these"


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "zh_Hans/LC_MESSAGES/django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [
        msgid
        for msgid, msgstr, _fuzzy in entries(CATALOGUE.read_text())
        if "%(" not in msgid
        and catalogue.gettext(msgid.encode().decode("unicode_escape")) == msgid
        and msgstr != msgid
    ]
    assert stale == [], "run `make messages` to recompile"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", ["渠道商", "导出", "2020年1月1日"]), ("en", ["Partners", "Export", "01/01/2020"])],
)
def test_pages_render_in_each_language_with_its_date_format(as_user, manager, language, expected):
    partner = PartnerFactory(owner=manager)
    client = as_user(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    body = client.get(reverse("partners:partner_list")).content.decode()
    detail = client.get(partner.get_absolute_url()).content.decode()

    assert f'<html lang="{language}">' in body
    assert expected[0] in body
    assert expected[1] in body
    assert expected[2] in detail


def test_the_language_switcher_changes_the_language(as_user, manager):
    client = as_user(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/partners/"})
    assert "New partner" in client.get(reverse("partners:partner_list")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/partners/"})
    assert "新建渠道商" in client.get(reverse("partners:partner_list")).content.decode()


def test_the_default_language_is_simplified_chinese_and_the_zone_shanghai():
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE) == ("zh-hans", "Asia/Shanghai")
