"""A large ISO 2709 file is read by worker processes: the same records, the
same rejections, in the same order as when it is read in-process."""
import dataclasses

import pytest
from sqlalchemy import func, select

import federation.workers as workers
from ils.catalogue import importer as importer_module
from ils.catalogue.importer import MarcImporter, _Prepared
from ils.catalogue.marc import Entry
from ils.catalogue.marcfile import MarcFile
from ils.catalogue.models import BibRecord, Item

from .test_marc_import import fixture


@pytest.fixture
def in_workers(monkeypatch):
    """Every file and list counts as large; small chunks, so order matters."""
    monkeypatch.setattr(importer_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(workers, "PARALLEL_ABOVE", 1)
    monkeypatch.setattr(workers, "CHUNK", 2)
    if workers.worker_count() < 1:
        pytest.skip("worker processes are turned off (SEREPOK_WORKERS=0)")


def read_all(path):
    found = []
    with MarcFile(path) as marc:
        for item in MarcImporter(None, "bmt")._read(marc):
            if isinstance(item, Entry):
                found.append(("rejected", item.number, item.offset, item.error.en,
                              item.control_number))
            else:
                assert isinstance(item, _Prepared)
                found.append(("read", dataclasses.asdict(item)))
    return found


@pytest.mark.parametrize("name", ["koha-bmt.mrc", "corrupt-middle.mrc", "legacy-vi.mrc",
                                  "marc8-vi.mrc"])
def test_worker_processes_read_what_this_process_reads(name, monkeypatch, in_workers):
    in_parallel = read_all(fixture(name))
    monkeypatch.setattr(importer_module, "PARALLEL_BYTES", 10 ** 12)
    assert in_parallel == read_all(fixture(name))
    assert in_parallel


def test_an_import_read_by_workers_stores_its_records(dbsession, sql_backend, in_workers):
    report = MarcImporter(dbsession, "bmt").run(fixture("koha-bmt.mrc"))
    dbsession.flush()
    assert (report.read, report.created, report.rejected) == (4, 4, [])
    assert dbsession.scalar(select(func.count()).select_from(BibRecord)) == 4
    assert dbsession.scalar(select(func.count()).select_from(Item)) == report.items_created
    again = MarcImporter(dbsession, "bmt").run(fixture("koha-bmt.mrc"))
    assert (again.created, again.unchanged) == (0, 4)
