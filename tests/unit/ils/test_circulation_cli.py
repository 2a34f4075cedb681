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
