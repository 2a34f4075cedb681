"""The catalogue service: find records and copies, import MARC files.

Views and jobs get it with ``request.find_service(ICatalogueService)``; it
works on the request's session and, like every service, never commits.
"""
from sqlalchemy import select
from zope.interface import Interface, implementer

from .importer import MarcImporter
from .models import BibRecord, Item, RecordIsbn

__all__ = ["ICatalogueService", "CatalogueService"]


class ICatalogueService(Interface):
    """Bibliographic records and items of the library's own catalogue."""


@implementer(ICatalogueService)
class CatalogueService:
    def __init__(self, dbsession):
        self.db = dbsession

    def get(self, record_id):
        """The record with this id, or None."""
        try:
            return self.db.get(BibRecord, int(record_id))
        except (TypeError, ValueError):
            return None

    def by_control_number(self, source, control_number):
        return self.db.scalars(select(BibRecord).where(
            BibRecord.source == source, BibRecord.control_number == control_number)).first()

    def by_isbn(self, isbn13):
        """Records of every source carrying this ISBN-13 (digits), oldest first."""
        return list(self.db.scalars(
            select(BibRecord).join(RecordIsbn, RecordIsbn.record_id == BibRecord.id)
            .where(RecordIsbn.isbn == isbn13).order_by(BibRecord.id)))

    def item(self, barcode):
        return self.db.scalars(select(Item).where(Item.barcode == barcode)).first()

    def items_of(self, record_id, library=None):
        query = select(Item).where(Item.record_id == record_id)
        if library is not None:
            query = query.where(Item.library == library)
        return list(self.db.scalars(query.order_by(Item.library, Item.barcode)))

    def import_marc(self, file, library, source=None, name=None, branches=None, encoding=None,
                    progress=None, written=None):
        """Import a MARC file for ``library``; returns the ImportReport (see
        MarcImporter, also for ``written``)."""
        importer = MarcImporter(self.db, library, source=source, branches=branches,
                                encoding=encoding, written=written)
        return importer.run(file, name=name, progress=progress)
