"""What the providers read of the union catalogue, in one place.

Lists come from ``IUnionCatalogue.changes`` (id order, a cursor after an
id); the few things that interface does not say (the size of a list, the
header of one record) are read from the union store's tables, read only.
MARC of ``ils:`` members comes from ``ICatalogueService``; names of commune
libraries from the library directory when the portal has one.
"""
from sqlalchemy import exists, func, or_, select

from federation.services import Change, IUnionCatalogue, as_utc

from .marc import StoredMarc, ils_members

__all__ = ["UnionAccess"]


def _chunks(values, size):
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _Prefetched:
    def __init__(self, found, access):
        self.found, self.access = found, access

    def get(self, bib_id):
        if bib_id in self.found:
            return self.found[bib_id]
        return self.access.catalogue.get(bib_id)


class UnionAccess:
    """Read access to the union catalogue for one request."""

    def __init__(self, request):
        self.request = request
        self.union = request.find_service(IUnionCatalogue)
        self._catalogue = None
        self._names = None

    @property
    def db(self):
        return self.request.dbsession

    @property
    def catalogue(self):
        """The ``ICatalogueService`` (stored MARC of ``ils:`` members)."""
        if self._catalogue is None:
            from ils.catalogue.services import ICatalogueService
            self._catalogue = self.request.find_service(ICatalogueService)
        return self._catalogue

    # -- lists --

    def changes(self, from_, until, set_, after_id, limit):
        return self.union.changes(from_=from_, until=until, set_=set_, after_id=after_id,
                                  limit=limit)

    def count_changes(self, from_, until, set_):
        """How many records ``changes`` lists for these arguments in all."""
        counter = getattr(self.union, "count_changes", None)
        if counter is not None:
            return counter(from_=from_, until=until, set_=set_)
        from federation.models import UnionRecord, UnionSet
        query = select(func.count()).select_from(UnionRecord)
        if from_ is not None:
            query = query.where(UnionRecord.datestamp >= as_utc(from_))
        if until is not None:
            query = query.where(UnionRecord.datestamp <= as_utc(until))
        if set_:
            query = query.where(exists(select(UnionSet.union_id).where(
                UnionSet.union_id == UnionRecord.id,
                or_(UnionSet.spec == set_, UnionSet.spec.startswith(set_ + ":")))))
        return self.db.scalar(query)

    def records(self, changes):
        """{union id: Record} of live ``changes`` (they carry their record)."""
        return {c.id: c.record for c in changes if c.record is not None}

    def stored_marc(self, records):
        """The stored MARC of the first ``ils:`` member of each of ``records``,
        read in one query: an object whose ``get(bib_id)`` gives a
        ``StoredMarc`` (or asks the catalogue service for ids it does not hold)."""
        from ils.catalogue.models import BibRecord
        wanted = {members[0] for members in map(ils_members, records) if members}
        found = {}
        for chunk in _chunks(sorted(wanted), 500):
            for bib_id, marc, marc_format in self.db.execute(
                    select(BibRecord.id, BibRecord.marc, BibRecord.marc_format)
                    .where(BibRecord.id.in_(chunk))):
                found[bib_id] = StoredMarc(marc, marc_format)
        return _Prefetched(found, self)

    def earliest_datestamp(self):
        return self.union.earliest_datestamp()

    # -- one record --

    def entry(self, union_id):
        """The ``Change`` (header and record) of one union record, deleted or
        not, or None when no record ever had this id."""
        from federation.models import UnionRecord, UnionSet
        if not union_id or len(union_id) > 64:
            return None
        row = self.db.get(UnionRecord, union_id)
        if row is None:
            return None
        specs = list(self.db.scalars(select(UnionSet.spec).where(UnionSet.union_id == row.id)
                                     .order_by(UnionSet.spec)))
        record = None if row.deleted else self.union.get(row.id)
        return Change(row.id, as_utc(row.datestamp), row.deleted, specs, record)

    def record(self, union_id):
        return self.union.get(union_id)

    # -- sets --

    def set_specs(self):
        return list(self.union.set_specs())

    def library_names(self):
        """{library code: display name}: each site's title, each commune or ward
        library's name from the directory (read once per request)."""
        if self._names is None:
            root = getattr(self.request, "root", None)
            sites = ({site.__name__: site.title for site in root.sites()}
                     if hasattr(root, "sites") else {})
            try:
                from ils.libraries.services import ILibraryDirectory
                directory = self.request.find_service(ILibraryDirectory).names()
            except (ImportError, LookupError, ValueError):      # no library directory
                directory = {}
            self._names = {**directory, **sites}
        return self._names

    def set_names(self, specs):
        """{spec: display name}: the site's title, the library's name."""
        names = self.library_names()
        return {spec: names.get(spec.partition(":")[2]) or spec.partition(":")[2]
                for spec in specs if spec.partition(":")[0] in ("site", "library")}

    def page_url(self, union_id):
        """The record page of the union record, when the portal has one."""
        try:
            return self.request.route_url("catalogue_record", id=union_id)
        except KeyError:
            return None
