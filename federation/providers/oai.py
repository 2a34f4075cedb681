"""OAI-PMH 2.0 at ``/oai``: partners harvest the union catalogue.

All six verbs; ``oai_dc`` and ``marc21`` (MARCXML); sets per site
(``site:bmt``) and per library (``library:xa-ea-kao``), hierarchical (``site``
holds every ``site:…``); deleted records kept for ever (``persistent``),
datestamps to the second. Lists come in pages; the resumption token is
opaque and stateless: the request's arguments, the last id served, the
cursor, the list size and an expiry, signed with HMAC-SHA256 under the
application secret, so any process of the portal can continue a harvest and
nobody can forge or alter one.

Records come from the union catalogue (``IUnionCatalogue``): ``changes``
lists union records in id order after a given id, so the token's "last id"
is a cursor that stays valid while records change. Errors are OAI-PMH error
elements with HTTP 200, their text in Vietnamese and English.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import time
from urllib.parse import urlsplit

from lxml import etree
from pyramid.i18n import TranslationStringFactory

from . import bilingual, xml_response
from .marc import (MARCXML_NS, MARCXML_SCHEMA, NOT_XML as _NOT_XML, OAI_DC_NS, OAI_DC_SCHEMA,
                   dublin_core, marcxml, xml_text)
from .union import UnionAccess

_ = TranslationStringFactory("serepok")

__all__ = ["oai_view", "OaiError", "TokenSigner", "FORMATS", "GRANULARITY"]

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
# metadataPrefix -> (schema, namespace)
FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "marc21": (MARCXML_SCHEMA, MARCXML_NS),
}
VERBS = {
    # verb -> (required, optional, exclusive)
    "Identify": ((), (), None),
    "ListMetadataFormats": ((), ("identifier",), None),
    "ListSets": ((), (), "resumptionToken"),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), "resumptionToken"),
    "GetRecord": (("identifier", "metadataPrefix"), (), None),
}
# The parents of the hierarchical sets, and their names.
SET_PARENTS = {
    "site": _("Sites of the provincial library"),
    "library": _("Commune and ward libraries"),
}
_REPOSITORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+\Z")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
MAX_ARGUMENT = 1000          # characters of one argument (a token is far shorter)


class OaiError(Exception):
    """An OAI-PMH error: ``code`` (``badArgument``…) and a message."""

    def __init__(self, code, message):
        super().__init__(code)
        self.code = code
        self.message = message


def utc(moment):
    """An aware UTC datetime; naive values (SQLite gives those) are UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def datestamp(moment):
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Resumption tokens --------------------------------------------------------

class TokenSigner:
    """Opaque, stateless resumption tokens: JSON, base64url, an HMAC-SHA256.

    ``dump(state)`` → token; ``load(token)`` → state, or None when the token
    was altered, is not ours, or has expired.
    """

    def __init__(self, secret, lifetime=86400, clock=time.time):
        self.key = hashlib.sha256(b"serepok-oai-token\x00" + secret.encode("utf-8")).digest()
        self.lifetime = lifetime
        self.clock = clock

    def dump(self, state):
        state = dict(state, exp=int(self.clock()) + self.lifetime)
        body = base64.urlsafe_b64encode(
            json.dumps(state, separators=(",", ":"), sort_keys=True).encode()).rstrip(b"=")
        mac = hmac.new(self.key, body, hashlib.sha256).digest()[:18]
        return (body + b"." + base64.urlsafe_b64encode(mac)).decode("ascii"), state["exp"]

    def load(self, token):
        if not token or len(token) > MAX_ARGUMENT or token.count(".") != 1:
            return None
        body, _sep, mac = token.encode("ascii", "replace").partition(b".")
        expected = base64.urlsafe_b64encode(hmac.new(self.key, body, hashlib.sha256)
                                            .digest()[:18])
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            state = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(state, dict) or int(state.get("exp", 0)) < self.clock():
            return None
        return state


# --- The provider -------------------------------------------------------------

class Provider:
    """One OAI-PMH request."""

    def __init__(self, request):
        self.request = request
        settings = request.registry.settings
        self.settings = settings
        self.union = UnionAccess(request)
        self.base_url = request.route_url("oai")
        self.repository_id = repository_identifier(settings)
        self.page_size = max(1, min(int(settings.get("oai.page_size", 100)), 1000))
        self.identifier_page_size = self.page_size * 5
        self.tokens = TokenSigner(application_secret(settings),
                                  int(settings.get("oai.token_lifetime", 86400)))

    # -- the envelope --

    def respond(self):
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        etree.SubElement(root, f"{{{OAI_NS}}}responseDate").text = datestamp(
            datetime.datetime.now(datetime.timezone.utc))
        request_element = etree.SubElement(root, f"{{{OAI_NS}}}request")
        request_element.text = self.base_url
        try:
            verb, arguments = self.arguments()
            for name, value in arguments.items():
                request_element.set(name, value)
            request_element.set("verb", verb)
            getattr(self, verb)(root, **{("from_" if k == "from" else k): v
                                         for k, v in arguments.items()})
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request_element.attrib.clear()
            for child in list(root)[2:]:
                root.remove(child)
            node = etree.SubElement(root, f"{{{OAI_NS}}}error", code=error.code)
            node.text = xml_text(bilingual(self.request, error.message))
        body = etree.tostring(root, encoding="utf-8", xml_declaration=True)
        return xml_response(body)

    def arguments(self):
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        verbs = params.getall("verb")
        if len(verbs) != 1 or verbs[0] not in VERBS:
            raise OaiError("badVerb", _("The verb is missing, repeated or not an OAI-PMH verb: "
                                        "use Identify, ListMetadataFormats, ListSets, "
                                        "ListIdentifiers, ListRecords or GetRecord."))
        verb = verbs[0]
        required, optional, exclusive = VERBS[verb]
        arguments = {}
        for name in params.keys():
            if name == "verb":
                continue
            values = params.getall(name)
            if name not in required + optional + ((exclusive,) if exclusive else ()):
                raise OaiError("badArgument", _("${verb} does not take the argument "
                                                "“${name}”.",
                                                mapping={"verb": verb,
                                                         "name": xml_text(name)[:40]}))
            if len(values) > 1:
                raise OaiError("badArgument", _("The argument “${name}” is repeated.",
                                                mapping={"name": name}))
            if len(values[0]) > MAX_ARGUMENT or not values[0] or _NOT_XML.search(values[0]):
                raise OaiError("badArgument", _("The argument “${name}” is empty or too long.",
                                                mapping={"name": name}))
            arguments[name] = values[0]
        if exclusive and exclusive in arguments:
            if len(arguments) > 1:
                raise OaiError("badArgument", _("resumptionToken must be the only argument "
                                                "besides the verb."))
            return verb, arguments
        missing = [name for name in required if name not in arguments]
        if missing:
            raise OaiError("badArgument", _("${verb} needs the argument “${name}”.",
                                            mapping={"verb": verb, "name": missing[0]}))
        return verb, arguments

    def element(self, parent, name, text=None, **attributes):
        node = etree.SubElement(parent, f"{{{OAI_NS}}}{name}", **attributes)
        if text is not None:
            node.text = xml_text(text)
        return node

    # -- verbs --

    def Identify(self, root):
        node = self.element(root, "Identify")
        self.element(node, "repositoryName", self.settings.get(
            "oai.repository_name",
            "Thư viện tỉnh Đắk Lắk — Mục lục liên hợp / "
            "Đắk Lắk Provincial Library — Union catalogue"))
        self.element(node, "baseURL", self.base_url)
        self.element(node, "protocolVersion", "2.0")
        self.element(node, "adminEmail", self.settings.get(
            "oai.admin_email", f"webmaster@{self.repository_id}"))
        earliest = self.union.earliest_datestamp()
        self.element(node, "earliestDatestamp", datestamp(earliest) if earliest
                     else "1970-01-01T00:00:00Z")
        self.element(node, "deletedRecord", "persistent")
        self.element(node, "granularity", GRANULARITY)
        description = self.element(node, "description")
        ident = etree.SubElement(description, f"{{{OAI_ID_NS}}}oai-identifier",
                                 nsmap={None: OAI_ID_NS})
        ident.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_ID_NS} {OAI_ID_SCHEMA}")
        for name, text in (("scheme", "oai"), ("repositoryIdentifier", self.repository_id),
                           ("delimiter", ":"),
                           ("sampleIdentifier", f"oai:{self.repository_id}:"
                                                "0123456789abcdef0123456789abcdef")):
            etree.SubElement(ident, f"{{{OAI_ID_NS}}}{name}").text = text

    def ListMetadataFormats(self, root, identifier=None):
        if identifier is not None:
            self.header_of(identifier)      # idDoesNotExist when unknown
        node = self.element(root, "ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            entry = self.element(node, "metadataFormat")
            self.element(entry, "metadataPrefix", prefix)
            self.element(entry, "schema", schema)
            self.element(entry, "metadataNamespace", namespace)

    def ListSets(self, root, resumptionToken=None):
        if resumptionToken is not None:
            raise OaiError("badResumptionToken", _("This repository lists its sets in one "
                                                   "answer; no resumption token is valid."))
        specs = self.union.set_specs()
        if not specs:       # an empty catalogue; ListSets may not be empty
            raise OaiError("noSetHierarchy", _("There are no sets yet: the catalogue is empty."))
        names = self.union.set_names(specs)
        node = self.element(root, "ListSets")
        parents = sorted({spec.split(":", 1)[0] for spec in specs if ":" in spec})
        for spec in parents + sorted(specs):
            entry = self.element(node, "set")
            self.element(entry, "setSpec", spec)
            name = SET_PARENTS.get(spec)
            self.element(entry, "setName", bilingual(self.request, name) if name
                         else names.get(spec) or spec)

    def GetRecord(self, root, identifier, metadataPrefix):
        self.check_prefix(metadataPrefix)
        entry = self.header_of(identifier)
        node = self.element(root, "GetRecord")
        self.record(node, entry, metadataPrefix)

    def ListIdentifiers(self, root, **arguments):
        self.list(root, "ListIdentifiers", **arguments)

    def ListRecords(self, root, **arguments):
        self.list(root, "ListRecords", **arguments)

    # -- lists --

    def list(self, root, verb, metadataPrefix=None, from_=None, until=None, set=None,
             resumptionToken=None):
        if resumptionToken is not None:
            state = self.tokens.load(resumptionToken)
            if state is None or state.get("verb") != verb:
                raise OaiError("badResumptionToken", _(
                    "The resumption token is invalid or has expired: start the list again."))
            metadataPrefix, from_, until, set = (state["prefix"], state.get("from"),
                                                 state.get("until"), state.get("set"))
            after, cursor, total = state.get("after"), int(state["cursor"]), state.get("total")
        else:
            after, cursor, total = None, 0, None
        self.check_prefix(metadataPrefix)
        low, high = parse_range(from_, until)
        if set is not None and not _SET_SPEC.match(set):
            raise OaiError("badArgument", _("“${set}” is not a set specification.",
                                            mapping={"set": set[:40]}))
        limit = self.page_size if verb == "ListRecords" else self.identifier_page_size
        entries = self.union.changes(low, high, set, after, limit + 1)
        if total is None:
            if not entries:
                raise OaiError("noRecordsMatch", _("No records match these arguments."))
            total = (len(entries) if len(entries) <= limit
                     else self.union.count_changes(low, high, set))
        more = len(entries) > limit
        entries = entries[:limit]
        node = self.element(root, verb)
        records = self.union.records(entries) if verb == "ListRecords" else {}
        marc = (self.union.stored_marc(records.values()) if metadataPrefix == "marc21"
                and records else None)
        for entry in entries:
            if verb == "ListRecords":
                self.record(node, entry, metadataPrefix, records.get(entry.id), marc)
            else:
                self.header(node, entry)
        if more or resumptionToken is not None:
            self.resumption(node, verb, metadataPrefix, from_, until, set,
                            entries[-1].id if more else None, cursor, len(entries), total, more)

    def resumption(self, node, verb, prefix, from_, until, set_, after, cursor, served, total,
                   more):
        attributes = {"cursor": str(cursor)}
        if total is not None:
            attributes["completeListSize"] = str(max(total, cursor + served))
        if not more:        # the last page: an empty token ends the list
            self.element(node, "resumptionToken", "", **attributes)
            return
        token, expires = self.tokens.dump({
            "verb": verb, "prefix": prefix, "from": from_, "until": until, "set": set_,
            "after": after, "cursor": cursor + served, "total": total})
        attributes["expirationDate"] = datestamp(
            datetime.datetime.fromtimestamp(expires, datetime.timezone.utc))
        self.element(node, "resumptionToken", token, **attributes)

    # -- records --

    def check_prefix(self, prefix):
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", _(
                "The metadata format “${prefix}” is not offered: use oai_dc or marc21.",
                mapping={"prefix": (prefix or "")[:40]}))

    def header_of(self, identifier):
        prefix = f"oai:{self.repository_id}:"
        entry = None
        if identifier.startswith(prefix):
            entry = self.union.entry(identifier[len(prefix):])
        if entry is None:
            raise OaiError("idDoesNotExist", _("No record has the identifier “${id}”.",
                                               mapping={"id": identifier[:120]}))
        return entry

    def header(self, parent, entry):
        attributes = {"status": "deleted"} if entry.deleted else {}
        node = self.element(parent, "header", **attributes)
        self.element(node, "identifier", f"oai:{self.repository_id}:{entry.id}")
        self.element(node, "datestamp", datestamp(entry.datestamp))
        for spec in entry.sets:
            self.element(node, "setSpec", spec)

    def record(self, parent, entry, prefix, record=None, marc=None):
        node = self.element(parent, "record")
        self.header(node, entry)
        if entry.deleted:
            return
        if record is None:
            record = self.union.record(entry.id)
        if record is None:
            return
        metadata = self.element(node, "metadata")
        if prefix == "marc21":
            metadata.append(marcxml(record, marc or self.union.catalogue,
                                    self.union.library_names()))
        else:
            metadata.append(dublin_core(record, self.union.page_url(record.id)))


def parse_range(from_, until):
    """The ``from``/``until`` arguments as aware UTC datetimes (inclusive);
    raises ``badArgument`` for a bad date, mixed granularities or from > until."""
    bounds, kinds = [], []
    for value, upper in ((from_, False), (until, True)):
        if value is None:
            bounds.append(None)
            continue
        try:
            if _SECOND.match(value):
                moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
                kinds.append("second")
                if upper:
                    moment += datetime.timedelta(seconds=1) - datetime.timedelta(microseconds=1)
            elif _DAY.match(value):
                moment = datetime.datetime.strptime(value, "%Y-%m-%d")
                kinds.append("day")
                if upper:
                    moment += datetime.timedelta(days=1) - datetime.timedelta(microseconds=1)
            else:
                raise ValueError(value)
        except (ValueError, OverflowError):
            raise OaiError("badArgument", _("“${value}” is not a date of the form YYYY-MM-DD "
                                            "or YYYY-MM-DDThh:mm:ssZ.",
                                            mapping={"value": value[:40]})) from None
        bounds.append(moment.replace(tzinfo=datetime.timezone.utc))
    if len(set(kinds)) > 1:
        raise OaiError("badArgument", _("from and until must have the same granularity."))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise OaiError("badArgument", _("from is later than until."))
    return bounds[0], bounds[1]


def application_secret(settings):
    """The application's secret, found where the portal keeps it: the setting
    ``serepok.secret``, the environment (``SEREPOK_SECRET``) or the file
    ``serepok.secret_file`` (default ``<serepok.var>/secret``)."""
    secret = settings.get("serepok.secret") or os.environ.get("SEREPOK_SECRET")
    if secret:
        return secret
    path = settings.get("serepok.secret_file") or os.path.join(
        settings.get("serepok.var", "var"), "secret")
    try:
        with open(path) as f:
            secret = f.read().strip()
    except OSError:
        secret = ""
    if not secret:
        raise RuntimeError("no application secret (serepok.secret, SEREPOK_SECRET or "
                           f"{path}) to sign OAI-PMH resumption tokens")
    return secret


def repository_identifier(settings):
    """The repository identifier of OAI identifiers (a domain name)."""
    configured = settings.get("oai.repository_identifier")
    if configured:
        return configured
    host = urlsplit(settings.get("serepok.base_url") or "").hostname or ""
    return host if _REPOSITORY_ID.match(host) else "serepok.local"


def oai_view(request):
    return Provider(request).respond()
