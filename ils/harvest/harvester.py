"""Harvest one OAI-PMH source into the catalogue, incrementally and resumably.

``Harvester(session, client, checkpoint).run(source)``:

1. A new harvest asks Identify for the source's datestamp granularity, then
   ListRecords ``from`` the response date of the last complete harvest (all
   records the first time), in the source's set and metadata format.
2. Each page is stored, then ``checkpoint()`` is called (the command line and
   the background job commit there), with the page's resumption token saved
   on the source. A harvest that stops (the source went away, answered 5xx
   or broken XML until the retries ran out) keeps that token; the next run
   carries on from it instead of starting again. A source that has forgotten
   the token (``badResumptionToken``) is asked again from the same from-date.
3. When the list is complete, the response date of its first page becomes the
   next harvest's from-date.

Records are stored under the source ``oai:<name>`` and held by the library
``<name>`` (see ``ils.harvest.store``). ``oai_dc`` is converted to a minimal
MARC record; ``marc21`` is stored as it came. A deleted record (header status
``deleted``) is marked withdrawn, never erased. A record that cannot be read
is listed in the report with its identifier and skipped; the stored version
of it, if any, stays. Nothing a harvest stores is ever removed by a later
failure.
"""
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import insert, select, update

from ..catalogue.charsets import convert_mojibake
from ..catalogue.marc import MARCXML_NS, RecordError
from ..catalogue.marcxml import from_marcxml
from ..catalogue.report import Reason
from .client import OAI_DC_NS, HarvestFailure, OaiError, Page
from .dublincore import marc_from_dc
from .models import OaiRecord, utcnow
from .store import CREATED, UNCHANGED, UPDATED, Incoming, SourceRecords, key_of

__all__ = ["Harvester", "HarvestReport"]

_MARC_RECORD = "{%s}record" % MARCXML_NS
_DC = "{%s}dc" % OAI_DC_NS
_CHUNK = 500
MAX_LISTED = 200          # record problems kept in a report


def _datestamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class HarvestReport:
    """How a harvest went. ``status``: ``ok``, ``warnings`` (some records could
    not be read) or ``error`` (the harvest stopped; it resumes next time)."""

    source: str
    pages: int = 0
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: list = field(default_factory=list)      # (identifier, Reason)
    failed_count: int = 0
    error: Reason | None = None
    resumed: bool = False
    restarted: bool = False
    complete: bool = False
    from_date: str | None = None
    changed_ids: list = field(default_factory=list)
    withdrawn_ids: list = field(default_factory=list)

    @property
    def status(self):
        if self.error is not None:
            return "error"
        return "warnings" if self.failed_count else "ok"

    def counts(self):
        return {"pages": self.pages, "received": self.received, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted,
                "failed": self.failed_count}

    def summary_lines(self):
        lines = [
            f"Nguồn / source: {self.source}"
            + (f" (từ / from {self.from_date})" if self.from_date else ""),
            f"Trang / pages: {self.pages}; biểu ghi nhận / records received: {self.received}",
            f"Tạo mới / created: {self.created}; cập nhật / updated: {self.updated}; "
            f"không đổi / unchanged: {self.unchanged}; đã xóa ở nguồn / deleted: {self.deleted}",
        ]
        if self.resumed:
            lines.append("Tiếp tục lần thu thập trước / resumed the previous harvest")
        lines.extend(f"  ✗ {identifier}: {reason}" for identifier, reason in self.failed)
        if self.failed_count > len(self.failed):
            lines.append(f"  … {self.failed_count - len(self.failed)}")
        if self.error is not None:
            lines.append(f"Lỗi / error: {self.error}")
        return lines


class Harvester:
    """Harvest sources with ``client`` (an OaiClient) into ``session``."""

    def __init__(self, session, client, checkpoint=None, clock=utcnow):
        self.db = session
        self.client = client
        self.checkpoint = checkpoint or (lambda: None)
        self.clock = clock

    def run(self, source):
        """Harvest ``source`` (an OaiSource) and return the HarvestReport."""
        report = HarvestReport(source.name)
        source.last_started = self.clock()
        source.last_status, source.last_error = "running", ""
        self.checkpoint()
        try:
            self._harvest(source, report)
        except HarvestFailure as exc:
            report.error = exc.reason
        except OaiError as exc:
            report.error = Reason.of(
                "The source answered with the OAI-PMH error ${code}: ${message}",
                "Nguồn trả lời lỗi OAI-PMH ${code}: ${message}",
                code=exc.code, message=exc.message[:300])
        source.last_finished = self.clock()
        source.last_status = report.status
        source.last_error = self._problems(report)
        source.last_counts = report.counts()
        source.updated = source.last_finished
        self.checkpoint()
        return report

    def _problems(self, report):
        lines = [str(report.error)] if report.error is not None else []
        lines.extend(f"{identifier}: {reason}" for identifier, reason in report.failed[:20])
        if report.failed_count > 20:
            lines.append(f"… (+{report.failed_count - 20})")
        return "\n".join(lines)

    def _from_date(self, source):
        last = source.last_datestamp
        if not last:
            return None
        return last[:10] if source.granularity == "YYYY-MM-DD" else last

    def _harvest(self, source, report):
        token = source.resumption_token
        if token:
            report.resumed = True
        else:
            info = self.client.identify()
            source.granularity = (info.get("granularity") or "")[:24]
            source.resumption_from = self._from_date(source)
            source.resumption_started = None
        report.from_date = source.resumption_from
        while True:
            try:
                page = self.client.list_records(
                    token=token, metadata_prefix=source.metadata_prefix,
                    from_=source.resumption_from, set_spec=source.set_spec or None)
            except OaiError as exc:
                if exc.code == "noRecordsMatch":
                    page = Page([], None, exc.response_date)
                elif exc.code == "badResumptionToken" and token and not report.restarted:
                    # the source has forgotten the token: ask again from the same date
                    report.restarted, token = True, None
                    source.resumption_token = None
                    continue
                else:
                    raise
            if not source.resumption_started:
                source.resumption_started = (page.response_date or _datestamp(self.clock()))[:24]
            self._store_page(source, page, report)
            report.pages += 1
            token = page.token
            source.resumption_token = token
            if token:
                self.checkpoint()
                continue
            break
        source.last_datestamp = source.resumption_started
        source.resumption_from = source.resumption_started = None
        report.complete = True

    # --- one page ------------------------------------------------------------------

    def _marc(self, source, header):
        """The MarcRecord of a harvested record; raises RecordError or ValueError."""
        metadata = header.metadata
        if metadata is None:
            raise ValueError(Reason.of("The record has no metadata.",
                                       "Biểu ghi không có phần siêu dữ liệu."))
        if source.metadata_prefix == "oai_dc":
            element = metadata if metadata.tag == _DC else next(metadata.iter(_DC), None)
            if element is None:
                raise ValueError(Reason.of("The metadata is not oai_dc.",
                                           "Siêu dữ liệu không phải oai_dc."))
            try:
                return marc_from_dc(element, header.identifier)
            except ValueError:
                raise ValueError(Reason.of("The record has no title (dc:title).",
                                           "Biểu ghi không có nhan đề (dc:title).")) from None
        element = metadata if metadata.tag == _MARC_RECORD else next(
            metadata.iter(_MARC_RECORD), None)
        if element is None:
            raise ValueError(Reason.of("The metadata is not a MARCXML record.",
                                       "Siêu dữ liệu không phải biểu ghi MARCXML."))
        record = from_marcxml(etree.tostring(element))
        convert_mojibake(record)
        return record

    def _store_page(self, source, page, report):
        latest = {}
        for header in page.records:
            latest[header.identifier] = header        # a record listed twice: the last one
        report.received += len(page.records)
        if not latest:
            return
        known = {}
        identifiers = list(latest)
        for i in range(0, len(identifiers), _CHUNK):
            for row in self.db.execute(
                    select(OaiRecord.id, OaiRecord.identifier, OaiRecord.record_id,
                           OaiRecord.deleted)
                    .where(OaiRecord.source_id == source.id,
                           OaiRecord.identifier.in_(identifiers[i:i + _CHUNK]))):
                known[row.identifier] = row
        store = SourceRecords(self.db, source.source, source.name, file_name=source.base_url)
        incoming, live = [], {}
        for identifier, header in latest.items():
            if header.deleted:
                continue
            try:
                if len(identifier) > 500:
                    raise ValueError(Reason.of(
                        "The identifier is longer than 500 characters.",
                        "Định danh dài quá 500 ký tự."))
                record = self._marc(source, header)
            except (RecordError, ValueError) as exc:
                reason = exc.reason if isinstance(exc, RecordError) else exc.args[0]
                if not isinstance(reason, Reason):
                    reason = Reason.of("The record cannot be read: ${error}.",
                                       "Không đọc được biểu ghi: ${error}.", error=str(reason))
                report.failed_count += 1
                if len(report.failed) < MAX_LISTED:
                    report.failed.append((identifier, reason))
                continue
            key = key_of(identifier)
            live[key] = identifier
            incoming.append(Incoming(key, record))
        stored = store.store(incoming)
        record_ids = {}
        for key, (record_id, outcome) in stored.items():
            record_ids[live[key]] = record_id
            if outcome == CREATED:
                report.created += 1
            elif outcome == UPDATED:
                report.updated += 1
            elif outcome == UNCHANGED:
                report.unchanged += 1
            if outcome in (CREATED, UPDATED):
                report.changed_ids.append(record_id)
        gone = [identifier for identifier, header in latest.items()
                if header.deleted and len(identifier) <= 500]
        unknown = [identifier for identifier in gone if identifier not in known]
        found = store.existing(key_of(identifier) for identifier in unknown)
        withdrawn = []
        for identifier in gone:
            row = known.get(identifier)
            record_id = row.record_id if row is not None else (
                found.get(key_of(identifier), (None,))[0])
            record_ids[identifier] = record_id
            if record_id is not None and not (row is not None and row.deleted):
                withdrawn.append(record_id)
        report.deleted += len(withdrawn)
        report.withdrawn_ids.extend(store.withdraw(withdrawn))
        self._log(source, latest, known, record_ids)

    def _log(self, source, latest, known, record_ids):
        """Keep each identifier's record, datestamp and deleted flag (OaiRecord)."""
        now = self.clock()
        inserts, updates = [], []
        for identifier, header in latest.items():
            if identifier not in record_ids:
                continue              # unreadable: the stored state stays as it was
            values = {"record_id": record_ids[identifier], "datestamp": header.datestamp[:24],
                      "deleted": header.deleted, "updated": now}
            row = known.get(identifier)
            if row is None:
                inserts.append(dict(values, source_id=source.id, identifier=identifier[:500]))
            else:
                if header.deleted and values["record_id"] is None:
                    values["record_id"] = row.record_id
                updates.append(dict(values, id=row.id))
        if inserts:
            self.db.execute(insert(OaiRecord), inserts)
        if updates:
            self.db.execute(update(OaiRecord), updates)
