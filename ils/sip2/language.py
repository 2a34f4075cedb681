"""Screen messages in the terminal's language, read from the portal's gettext catalogues.

The SIP2 server runs outside any web request, so it reads the ``.po`` files
itself (Babel): Vietnamese by default, English (the msgids) for ``en``.
"""
import os

from babel.messages.pofile import read_po
from pyramid.i18n import TranslationString
from pyramid.path import AssetResolver

__all__ = ["CatalogueTranslator"]


class CatalogueTranslator:
    """callable(message, language) -> str, for ``Responder(translate=...)``."""

    def __init__(self, locale_dir="portal:locale", domain="serepok"):
        if ":" in locale_dir:
            locale_dir = AssetResolver().resolve(locale_dir).abspath()
        self.catalogues = {}
        for language in ("vi", "en"):
            path = os.path.join(locale_dir, language, "LC_MESSAGES", domain + ".po")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    catalog = read_po(f, locale=language)
                self.catalogues[language] = {m.id: m.string for m in catalog
                                             if m.id and m.string and not m.fuzzy}

    def __call__(self, message, language):
        if not isinstance(message, TranslationString):
            return str(message)
        mapping = {k: self(v, language) for k, v in (message.mapping or {}).items()}
        msgid = str(message)
        translated = self.catalogues.get(language, {}).get(msgid) or message.default or msgid
        return TranslationString(translated, mapping=mapping).interpolate()
