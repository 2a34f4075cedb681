"""Languages: Vietnamese first, English second (gettext catalogues).

The reader's choice is a cookie set by ``/lang/{code}``; an API client may send
``Accept-Language``.  Compiled ``.mo`` files are built from the committed
``.po`` files at start-up when missing or older, so a fresh clone needs no
extra build step.
"""
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.i18n import TranslationString, TranslationStringFactory
from pyramid.view import view_config

_ = TranslationStringFactory("serepok")

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT = "vi"
COOKIE = "serepok_lang"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")


def translate(request, message):
    """Translate ``message``, including translation strings inside its mapping.

    Pyramid's localizer leaves a mapping value that is itself a translation
    string untranslated ("Không thể thêm DigitalItem…"); this translates those
    first, so a message can name a content type in the reader's language.
    """
    if not isinstance(message, TranslationString):
        return message
    if message.mapping:
        mapping = {k: translate(request, v) for k, v in message.mapping.items()}
        message = TranslationString(str(message), domain=message.domain,
                                    default=message.default, mapping=mapping)
    return request.localizer.translate(message)


def negotiate(request):
    code = request.params.get("_LOCALE_") or request.cookies.get(COOKIE)
    if code in LANGUAGES:
        return code
    if request.path.startswith("/api/") and request.accept_language:
        return request.accept_language.lookup(list(LANGUAGES), default=DEFAULT)
    return DEFAULT


def compile_catalogs(locale_dir=LOCALE_DIR):
    """(Re)build each ``.mo`` whose ``.po`` is newer; returns the paths written."""
    written = []
    for lang in LANGUAGES:
        base = os.path.join(locale_dir, lang, "LC_MESSAGES", "serepok")
        po, mo = base + ".po", base + ".mo"
        if not os.path.exists(po):
            continue
        if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
            continue
        with open(po, "rb") as f:
            catalog = read_po(f, locale=lang)
        tmp = mo + ".tmp"
        with open(tmp, "wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)
        written.append(mo)
    return written


@view_config(route_name="lang")
def set_language(request):
    code = request.matchdict["code"]
    target = request.params.get("came_from", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"          # never redirect off-site
    response = HTTPSeeOther(location=request.application_url + target)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def includeme(config):
    compile_catalogs()
    config.add_translation_dirs("portal:locale")
    config.set_locale_negotiator(negotiate)
    config.add_route("lang", "/lang/{code}")
