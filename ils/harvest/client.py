"""An OAI-PMH 2.0 client that keeps going: retries, backoff, Retry-After, and
answers checked before they are believed.

``OaiClient(base_url).list_records(...)`` asks for one page and returns a
``Page``: its records (header, and the metadata element unless deleted), the
resumption token and the response date. A network error (refused, reset,
dropped mid-answer, timed out), an HTTP 5xx or 429, and XML that does not
parse are retried with exponential backoff; a ``Retry-After`` header (seconds
or an HTTP date) is honoured up to ``max_wait``. When the retries run out,
``HarvestFailure`` says why, in both languages. An OAI-PMH error answer
(``badArgument``, ``noRecordsMatch``…) is not retried: it raises ``OaiError``.

httpx makes the requests (keep-alive across the pages of a harvest);
``transport`` lets tests answer in-process.
"""
import email.utils
import logging
import random
import time

import httpx
from lxml import etree

from ..catalogue.report import Reason

__all__ = ["OaiClient", "Page", "Header", "OaiError", "HarvestFailure", "OAI_NS",
           "OAI_DC_NS", "DC_NS", "USER_AGENT"]

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
USER_AGENT = "Serepok-harvester/0.1 (OAI-PMH; Dak Lak Provincial Library)"
_O = "{%s}" % OAI_NS
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                          load_dtd=False)


class OaiError(Exception):
    """The source answered with an OAI-PMH error (``code``, ``message``)."""

    def __init__(self, code, message="", response_date=""):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.response_date = code, message, response_date


class HarvestFailure(Exception):
    """The source could not be harvested after retrying; ``reason`` says why."""

    def __init__(self, reason, kind):
        super().__init__(str(reason))
        self.reason, self.kind = reason, kind


class Header:
    __slots__ = ("identifier", "datestamp", "deleted", "sets", "metadata")

    def __init__(self, identifier, datestamp, deleted, sets, metadata):
        self.identifier, self.datestamp, self.deleted = identifier, datestamp, deleted
        self.sets, self.metadata = sets, metadata


class Page:
    """One answer of ListRecords: ``records`` (Header), ``token`` (None at the end)."""

    def __init__(self, records, token, response_date, complete_size=None):
        self.records, self.token = records, token
        self.response_date, self.complete_size = response_date, complete_size


def _text(element, path):
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def parse_page(root):
    """The records and resumption token of a ListRecords answer (its root element)."""
    container = root.find(_O + "ListRecords")
    if container is None:
        raise ValueError("no ListRecords element")
    records = []
    for record in container.iterfind(_O + "record"):
        header = record.find(_O + "header")
        if header is None:
            raise ValueError("a record without a header")
        identifier = _text(header, _O + "identifier")
        if not identifier:
            raise ValueError("a record without an identifier")
        metadata = record.find(_O + "metadata")
        records.append(Header(
            identifier, _text(header, _O + "datestamp"), header.get("status") == "deleted",
            [(s.text or "").strip() for s in header.iterfind(_O + "setSpec")],
            metadata[0] if metadata is not None and len(metadata) else None))
    token_element = container.find(_O + "resumptionToken")
    token, size = None, None
    if token_element is not None:
        token = (token_element.text or "").strip() or None
        size = token_element.get("completeListSize")
    return Page(records, token, _text(root, _O + "responseDate"),
                int(size) if size and size.isdigit() else None)


def _retry_after(value, now=None):
    """Seconds a Retry-After header asks to wait (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class OaiClient:
    def __init__(self, base_url, transport=None, timeout=60.0, retries=4, backoff=2.0,
                 max_wait=300.0, sleep=time.sleep):
        self.base_url = base_url
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait
        self.sleep = sleep
        self.http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=True,
                                 headers={"User-Agent": USER_AGENT})
        self.requests = 0

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wait(self, attempt, asked=None):
        if asked is not None:
            delay = min(asked, self.max_wait)
        else:
            delay = min(self.backoff * (2 ** attempt), self.max_wait)
            delay *= random.uniform(0.75, 1.25)
        if delay > 0:
            self.sleep(delay)

    def request(self, **params):
        """GET ``params`` from the base URL; the parsed OAI-PMH root element."""
        failure = None
        for attempt in range(self.retries + 1):
            if attempt:
                self._wait(attempt - 1, failure[2])
            self.requests += 1
            try:
                response = self.http.get(self.base_url, params=params)
            except httpx.TransportError as exc:
                failure = ("network", Reason.of(
                    "The source could not be reached: ${error}.",
                    "Không kết nối được với nguồn: ${error}.",
                    error=(str(exc) or type(exc).__name__)[:200]), None)
                log.info("OAI %s: %s (attempt %d)", self.base_url, exc, attempt + 1)
                continue
            if response.status_code in _RETRY_STATUS:
                failure = ("http", Reason.of(
                    "The source answered HTTP ${status}.", "Nguồn trả lời HTTP ${status}.",
                    status=response.status_code),
                    _retry_after(response.headers.get("Retry-After")))
                log.info("OAI %s: HTTP %s (attempt %d)", self.base_url, response.status_code,
                         attempt + 1)
                continue
            if response.status_code != 200:
                raise HarvestFailure(Reason.of(
                    "The source answered HTTP ${status}; check the base URL.",
                    "Nguồn trả lời HTTP ${status}; hãy kiểm tra địa chỉ gốc (base URL).",
                    status=response.status_code), "http")
            try:
                root = etree.fromstring(response.content, _PARSER)
                if root.tag != _O + "OAI-PMH":
                    raise ValueError(f"the root element is {root.tag}, not OAI-PMH")
            except (etree.XMLSyntaxError, ValueError) as exc:
                failure = ("malformed", Reason.of(
                    "The source's answer is not well-formed OAI-PMH XML: ${error}.",
                    "Câu trả lời của nguồn không phải XML OAI-PMH hợp lệ: ${error}.",
                    error=str(exc)[:200]), None)
                log.info("OAI %s: malformed answer (attempt %d): %s", self.base_url,
                         attempt + 1, exc)
                continue
            error = root.find(_O + "error")
            if error is not None:
                raise OaiError(error.get("code", ""), (error.text or "").strip(),
                               _text(root, _O + "responseDate"))
            return root
        kind, reason, _asked = failure
        raise HarvestFailure(Reason.of(
            "${reason} Tried ${n} times; the harvest stopped there and will resume from "
            "the last page stored.",
            "${reason_vi} Đã thử ${n} lần; lần thu thập dừng ở đó và sẽ tiếp tục từ trang "
            "cuối cùng đã lưu.", reason=reason.en, reason_vi=reason.vi,
            n=self.retries + 1), kind)

    def identify(self):
        """The source's Identify answer as a dict (granularity, earliestDatestamp…)."""
        root = self.request(verb="Identify")
        element = root.find(_O + "Identify")
        if element is None:
            raise HarvestFailure(Reason.of(
                "The source's Identify answer is empty.",
                "Câu trả lời Identify của nguồn trống."), "malformed")
        return {name: _text(element, _O + name) for name in (
            "repositoryName", "baseURL", "protocolVersion", "earliestDatestamp",
            "deletedRecord", "granularity")}

    def list_records(self, token=None, metadata_prefix=None, from_=None, set_spec=None):
        """One page of ListRecords: the first (with arguments) or the next (``token``)."""
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
            if from_:
                params["from"] = from_
            if set_spec:
                params["set"] = set_spec
        root = self.request(**params)
        try:
            return parse_page(root)
        except ValueError as exc:
            raise HarvestFailure(Reason.of(
                "The source's answer is not well-formed OAI-PMH XML: ${error}.",
                "Câu trả lời của nguồn không phải XML OAI-PMH hợp lệ: ${error}.",
                error=str(exc)[:200]), "malformed") from None
