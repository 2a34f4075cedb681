"""Vietnamese first: every message is translated, and the portal speaks Vietnamese by default.

The messages are extracted from the code and the templates here, with babel and
the project's babel.cfg (what ``scripts/i18n`` does), so a string added without
a translation fails this module rather than reaching a reader in English.
"""
import html.parser
import os
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LOCALE = os.path.join(ROOT, "portal", "locale")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
SKIP_DIRS = {"var", "node_modules", "build", "dist", "tests", "test-artifacts"}

ITEM = "/bmt/dia-chi/lich-su-dak-lak-qua-cac-thoi-ky-tai-lieu-mau/"
BOOK = "/bmt/sach-noi/chuyen-ke-ben-bep-lua-nha-dai-sach-noi-mau/"
PUBLIC_PAGES = ["/", "/bmt/", "/bmt/dia-chi/", ITEM, "/bmt/sach-noi/", BOOK,
                "/bmt/khai-truong-khong-gian-doc-sach-cho-thieu-nhi/", "/bmt/search?q=dak+lak",
                "/bmt/search?q=khong+co+gi+ca", "/login"]
STAFF_PAGES = ["/workspace", "/bmt/", ITEM, ITEM + "edit", ITEM + "move", ITEM + "delete",
               ITEM + "set-cover", BOOK + "tracks", "/bmt/dia-chi/add?type=DigitalItem",
               "/bmt/staff", "/password"]


def directory_filter(path):
    name = os.path.basename(path)
    return not (name.startswith((".", "_")) or name in SKIP_DIRS)


def extracted():
    """{msgid: "file:line"} of every message in the code and templates."""
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, os.path.join(ROOT, "babel.cfg"))
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS,
            directory_filter=directory_filter):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalog(lang):
    with open(os.path.join(LOCALE, lang, "LC_MESSAGES", "serepok.po"), "rb") as f:
        return read_po(f, locale=lang)


@pytest.fixture(scope="module")
def messages():
    found = extracted()
    assert len(found) > 100, "extraction found almost nothing: is babel.cfg right?"
    return found


@pytest.fixture(scope="module")
def vi():
    return catalog("vi")


def test_every_message_has_a_vietnamese_translation(messages, vi):
    missing = [f"{where}: {msgid!r}" for msgid, where in sorted(messages.items())
               if vi.get(msgid) is None or not vi.get(msgid).string or vi.get(msgid).fuzzy]
    assert not missing, ("not translated in portal/locale/vi/LC_MESSAGES/serepok.po "
                         "(run scripts/i18n, then translate):\n" + "\n".join(missing))


def test_the_extraction_sees_python_and_template_messages(messages):
    where = {loc.split(":")[0] for loc in messages.values()}
    assert any(w.endswith(".jinja2") for w in where)
    assert any(w.startswith("repository") for w in where)
    # A message a TranslationStringFactory creates in Python and one from a template.
    assert "This field is required." in messages
    assert "Sign in" in messages


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for m in catalog(lang):
        if m.id and m.string:
            if sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string)):
                wrong.append(f"{m.id!r} -> {m.string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_vietnamese_translations_are_vietnamese(vi):
    # Catches an English text pasted as a "translation": most entries must differ from the
    # msgid and carry Vietnamese letters.
    entries = [m for m in vi if m.id and m.string]
    vietnamese = [m for m in entries if re.search("[ăâđêôơưạ-ỹàáèéìíòóùúýảẻỉỏủỷãẽĩõũ]",
                                                  m.string.lower())]
    assert len(vietnamese) >= 0.9 * len(entries)


class VisibleText(html.parser.HTMLParser):
    """Text a reader sees or hears: text nodes and the attributes that are read out.

    Text marked as another language (``lang="en"`` on the language switch) is left out.
    """

    ATTRS = {"placeholder", "aria-label", "title", "alt"}

    def __init__(self, lang="vi"):
        super().__init__()
        self.lang, self.texts, self.skip, self.langs = lang, [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        if "lang" in attrs and tag != "html":
            self.langs.append((tag, attrs["lang"]))
        if self.in_page_language:
            self.texts.extend(v.strip() for k, v in attrs.items() if k in self.ATTRS and v)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if self.langs and self.langs[-1][0] == tag:
            self.langs.pop()

    @property
    def in_page_language(self):
        return not self.langs or self.langs[-1][1] == self.lang

    def handle_data(self, data):
        if not self.skip and self.in_page_language and data.strip():
            self.texts.append(data.strip())


def english_leftovers(page_text, vi_catalog):
    """Texts on a Vietnamese page that are an English msgid with a different translation."""
    parser = VisibleText()
    parser.feed(page_text)
    leftovers = []
    for text in parser.texts:
        for piece in [text] + [p.strip(" :·*›‹") for p in re.split(r"[·:]", text)]:
            m = vi_catalog.get(piece)
            if m is not None and m.string and m.string != m.id:
                leftovers.append(piece)
    return leftovers


def test_the_portal_is_vietnamese_by_default_and_english_on_request(demo, testapp):
    page = testapp.get("/")
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text
    assert "Thư viện số" in page.text
    assert "Sign in" not in page.text

    response = testapp.get("/lang/en", {"came_from": "/bmt/"}, status=303)
    assert response.location.endswith("/bmt/")
    page = testapp.get("/")
    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text
    assert "Đăng nhập" not in page.text

    testapp.get("/lang/vi", status=303)
    assert "Đăng nhập" in testapp.get("/").text


def test_messages_from_python_reach_the_page_in_vietnamese(demo, testapp):
    # Field titles come from repository.schemas as TranslationStrings.
    item = testapp.get(ITEM)
    assert "Nhà xuất bản" in item.text and "Publisher" not in item.text
    missing = testapp.get("/khong-co-trang-nay", status=404)
    assert "Không tìm thấy trang" in missing.text


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_show_no_english_message(demo, testapp, path):
    assert english_leftovers(testapp.get(path).text, catalog("vi")) == []


def test_error_pages_show_no_english_message(demo, testapp):
    assert english_leftovers(testapp.get("/khong-co-trang-nay", status=404).text,
                             catalog("vi")) == []


def test_staff_pages_show_no_english_message(demo, signed_in):
    app = signed_in("quantri", site_roles=[("bmt", "Librarian"), ("bmt", "SiteAdmin")])
    vi_catalog = catalog("vi")
    for path in STAFF_PAGES:
        assert english_leftovers(app.get(path).text, vi_catalog) == [], path
    # A form sent back with errors: the error messages are Vietnamese too.
    form = next(f for f in app.get(ITEM + "edit").forms.values() if f.action.endswith("/edit"))
    form["year"] = "năm ngoái"
    page = form.submit(status=400)
    assert "Phải là một năm, ví dụ 1975." in page.text
    assert english_leftovers(page.text, vi_catalog) == []
