"""OAI-PMH sources as staff manage them: list, add, edit, and what was harvested.

Like every service it works on the request's session and never commits;
``add`` and ``edit`` validate first and return errors (field name →
translation string), changing nothing when there are any.
"""
import re
import unicodedata
from urllib.parse import urlsplit

from pyramid.i18n import TranslationStringFactory
from sqlalchemy import func, select
from zope.interface import Interface, implementer

from .models import METADATA_PREFIXES, OaiRecord, OaiSource, utcnow

_ = TranslationStringFactory("serepok")

__all__ = ["IOaiSources", "OaiSources", "withdrawn_record_ids"]

NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}\Z")
# OAI-PMH setSpec: unreserved URI characters, parts separated by colons
SET_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
MAX_INTERVAL = 24 * 366


class IOaiSources(Interface):
    """The OAI-PMH sources the union catalogue harvests."""


def withdrawn_record_ids(session, record_ids):
    """Those of ``record_ids`` whose OAI-PMH source has deleted them."""
    ids, found = sorted(set(record_ids)), set()
    for i in range(0, len(ids), 500):
        found.update(session.scalars(select(OaiRecord.record_id).where(
            OaiRecord.record_id.in_(ids[i:i + 500]), OaiRecord.deleted.is_(True))))
    return found


def _text(value):
    return unicodedata.normalize("NFC", str(value or "")).strip()


@implementer(IOaiSources)
class OaiSources:
    def __init__(self, dbsession):
        self.db = dbsession

    def all(self):
        return list(self.db.scalars(select(OaiSource).order_by(OaiSource.name)))

    def get(self, source_id):
        try:
            return self.db.get(OaiSource, int(source_id))
        except (TypeError, ValueError):
            return None

    def counts(self):
        """Source id → (records held, records deleted at the source)."""
        rows = self.db.execute(
            select(OaiRecord.source_id, OaiRecord.deleted, func.count())
            .group_by(OaiRecord.source_id, OaiRecord.deleted))
        counts = {}
        for source_id, deleted, n in rows:
            held, gone = counts.get(source_id, (0, 0))
            counts[source_id] = (held, gone + n) if deleted else (held + n, gone)
        return counts

    def validate(self, values, source=None):
        clean, errors = {}, {}
        clean["title"] = _text(values.get("title"))
        if not clean["title"]:
            errors["title"] = _("This field is required.")
        elif len(clean["title"]) > 200:
            errors["title"] = _("At most ${n} characters.", mapping={"n": 200})
        clean["base_url"] = _text(values.get("base_url"))
        parts = urlsplit(clean["base_url"])
        if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query
                or len(clean["base_url"]) > 500):
            errors["base_url"] = _("Give the base URL of the OAI-PMH service, starting "
                                   "with https:// or http://, without ?verb=….")
        clean["metadata_prefix"] = _text(values.get("metadata_prefix")) or "oai_dc"
        if clean["metadata_prefix"] not in METADATA_PREFIXES:
            errors["metadata_prefix"] = _("Choose oai_dc or marc21.")
        clean["set_spec"] = _text(values.get("set_spec"))
        if clean["set_spec"] and (len(clean["set_spec"]) > 200
                                  or not SET_RE.match(clean["set_spec"])):
            errors["set_spec"] = _("Not an OAI-PMH set name.")
        interval = _text(values.get("interval_hours")) or "0"
        if not interval.isdigit() or int(interval) > MAX_INTERVAL:
            errors["interval_hours"] = _("Give a whole number of hours from 0 to ${n}.",
                                         mapping={"n": MAX_INTERVAL})
        else:
            clean["interval_hours"] = int(interval)
        clean["active"] = str(values.get("active", "")).lower() in ("1", "true", "on", "yes")
        if source is None:
            clean["name"] = _text(values.get("name")).lower()
            if not NAME_RE.match(clean["name"]):
                errors["name"] = _("Use 2 to 40 lower-case letters, digits and hyphens, "
                                   "such as xa-ea-kao.")
            elif self.db.scalars(select(OaiSource.id).where(
                    OaiSource.name == clean["name"])).first() is not None:
                errors["name"] = _("The code ${code} is already taken.",
                                   mapping={"code": clean["name"]})
        return clean, errors

    def add(self, values):
        clean, errors = self.validate(values)
        if errors:
            return None, errors
        now = utcnow()
        source = OaiSource(created=now, updated=now, last_counts={}, **clean)
        self.db.add(source)
        self.db.flush()
        return source, {}

    def edit(self, source, values):
        """Change a source (never its code). A new base URL, format or set starts
        the next harvest from the beginning."""
        clean, errors = self.validate(values, source)
        if errors:
            return errors
        if any(getattr(source, name) != clean[name]
               for name in ("base_url", "metadata_prefix", "set_spec")):
            source.last_datestamp = None
            source.resumption_token = source.resumption_from = None
            source.resumption_started = None
        for name, value in clean.items():
            setattr(source, name, value)
        source.updated = utcnow()
        self.db.flush()
        return {}
