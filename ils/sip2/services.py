"""Setting up self-check terminals: add, edit, enable, change the password.

The staff screen (``portal/views/sip2_staff.py``) checks who may do it; this
service checks what is done: a login of letters, digits, ``-`` and ``_``, unique;
a password of at least ``MIN_PASSWORD`` characters stored only as its argon2
hash (the accounts' hasher); a site among the library's sites; ``vi`` or ``en``.
Errors are ``{field: TranslationString}``; nothing is written when there are any.
"""
import re

from pyramid.i18n import TranslationStringFactory
from sqlalchemy import select

from .models import Terminal

_ = TranslationStringFactory("serepok")

__all__ = ["TerminalService", "MIN_PASSWORD", "LANGUAGES"]

MIN_PASSWORD = 10
LANGUAGES = ("vi", "en")
_LOGIN = re.compile(r"[A-Za-z0-9_-]{3,60}")
_CODE = re.compile(r"[^|\r\n]{0,60}")


class TerminalService:
    def __init__(self, dbsession, hasher):
        self.db = dbsession
        self.hasher = hasher

    def all(self, sites=None):
        query = select(Terminal).order_by(Terminal.site, Terminal.login)
        if sites is not None:
            query = query.where(Terminal.site.in_(list(sites)))
        return list(self.db.scalars(query))

    def get(self, terminal_id):
        return self.db.get(Terminal, int(terminal_id)) if str(terminal_id).isdigit() else None

    def _check(self, values, sites, terminal=None):
        errors = {}
        if terminal is None:
            login = (values.get("login") or "").strip()
            if not _LOGIN.fullmatch(login):
                errors["login"] = _("3 to 60 letters, digits, “-” or “_”.")
            elif self.db.scalar(select(Terminal.id).where(Terminal.login == login)):
                errors["login"] = _("Another terminal already has this login.")
        if values.get("site") not in sites:
            errors["site"] = _("Choose one of your sites.")
        password = values.get("password") or ""
        if (terminal is None or password) and len(password) < MIN_PASSWORD:
            errors["password"] = _("The password must have at least ${n} characters.",
                                   mapping={"n": MIN_PASSWORD})
        for name in ("institution_id", "location_code"):
            if not _CODE.fullmatch(values.get(name) or ""):
                errors[name] = _("At most 60 characters, without “|”.")
        if (values.get("language") or "vi") not in LANGUAGES:
            errors["language"] = _("Choose a language.")
        return errors

    def _apply(self, terminal, values, actor):
        terminal.name = (values.get("name") or "").strip()[:200]
        terminal.site = values["site"]
        terminal.institution_id = (values.get("institution_id") or "").strip()
        terminal.location_code = (values.get("location_code") or "").strip()
        terminal.language = values.get("language") or "vi"
        terminal.enabled = bool(values.get("enabled"))
        terminal.patron_password_required = bool(values.get("patron_password_required"))
        terminal.updated_by = str(actor)[:100]
        if values.get("password"):
            terminal.password_hash = self.hasher.hash(values["password"])

    def add(self, values, sites, actor):
        """(Terminal or None, errors). ``sites``: the site codes the actor may use."""
        errors = self._check(values, sites)
        if errors:
            return None, errors
        terminal = Terminal(login=values["login"].strip(), password_hash="")
        self._apply(terminal, values, actor)
        self.db.add(terminal)
        self.db.flush()
        return terminal, {}

    def edit(self, terminal, values, sites, actor):
        errors = self._check(values, sites, terminal)
        if not errors:
            self._apply(terminal, values, actor)
            self.db.flush()
        return errors

    def delete(self, terminal):
        self.db.delete(terminal)
        self.db.flush()
