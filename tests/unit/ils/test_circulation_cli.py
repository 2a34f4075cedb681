"""``serepok circulation tick INI`` expires uncollected holds and serves the next reader."""
from ils import db
from ils.circulation.models import Hold, HoldStatus
from ils.circulation.service import CirculationService
from portal import cli

from ...circulation_support import days, make_reader, make_title

INI = """\
[app:main]
use = egg:serepok
sqlalchemy.url = sqlite:///{var}/serepok.sqlite
serepok.var = {var}
"""


def test_tick_expires_a_stale_hold_and_passes_the_copy_on(tmp_path, capsys):
    var = tmp_path / "var"
    var.mkdir()
    ini = tmp_path / "serepok.ini"
    ini.write_text(INI.format(var=var))
    engine = db.make_engine({"sqlalchemy.url": f"sqlite:///{var}/serepok.sqlite"})
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        circ = CirculationService(s, {})
        first, second = make_reader(s), make_reader(s)
        record, (item,) = make_title(s)
        h1 = circ.place_hold(first.id, "bmt", "x", bib_record_id=record.id, now=days(-10))
        h2 = circ.place_hold(second.id, "bmt", "x", bib_record_id=record.id, now=days(-9))
        circ.checkin(item.barcode, "bmt", "x", now=days(-8))     # ready for the first, 3 days
        s.commit()
        ids = h1.id, h2.id
    assert cli.main(["circulation", "tick", str(ini)]) == 0
    out = capsys.readouterr().out
    assert "holds expired: 1" in out
    with db.session_factory(engine)() as s:
        assert [s.get(Hold, i).status for i in ids] == [HoldStatus.EXPIRED, HoldStatus.READY]
    engine.dispose()


def test_a_copy_the_tick_puts_back_on_the_shelf_is_available_in_the_union_catalogue(tmp_path):
    """The tick runs from cron, outside the portal: what it changes in the catalogue
    reaches the union catalogue all the same (readers searching see the copy on the shelf)."""
    from federation.index import embedded_from_settings
    from federation.members import ils_key
    from federation.records import SearchQuery
    from federation.subscribers import pipeline_from_settings

    var = tmp_path / "var"
    var.mkdir()
    ini = tmp_path / "serepok.ini"
    ini.write_text(INI.format(var=var))
    settings = {"sqlalchemy.url": f"sqlite:///{var}/serepok.sqlite", "serepok.var": str(var)}
    engine = db.make_engine(settings)
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        circ = CirculationService(s, {})
        reader = make_reader(s)
        record, (item,) = make_title(s, title="Trường ca Đam San")
        circ.place_hold(reader.id, "bmt", "x", bib_record_id=record.id, now=days(-10))
        circ.checkin(item.barcode, "bmt", "x", now=days(-8))     # on the hold shelf, 3 days
        s.commit()
        key = ils_key(record.id)
    pipeline_from_settings(settings, db.session_factory(engine)).process([key])
    index = embedded_from_settings(settings)

    def on_shelf():
        index._index.reload()
        [hit] = index.search(SearchQuery(text="truong ca dam san")).hits
        return [(h.library, h.available) for h in hit.record.holdings]
    assert on_shelf() == [("bmt", 0)]
    assert cli.main(["circulation", "tick", str(ini)]) == 0
    assert on_shelf() == [("bmt", 1)]
    index.close()
    engine.dispose()
