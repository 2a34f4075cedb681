"""The directory of commune and ward libraries: two-level places, stable codes, checks."""
import pytest
from sqlalchemy.exc import IntegrityError

from ils.libraries.models import PROVINCES, Library
from ils.libraries.services import LibraryDirectory, suggest_code

EA_KAO = {"name": "Thư viện xã Ea Kao", "unit_type": "xa", "unit_name": "Ea Kao",
          "province": "Đắk Lắk", "address": "Thôn 1, xã Ea Kao", "phone": "0262 3851 234",
          "email": "tvxaeakao@gmail.com", "opening_hours": "Thứ Hai – Thứ Sáu: 7:30–11:00",
          "active": "on"}


@pytest.fixture
def session(dbsession, sql_backend):
    """A migrated database, on SQLite and on PostgreSQL."""
    return dbsession


def test_a_library_gets_its_code_from_its_commune(session):
    directory = LibraryDirectory(session)
    library, errors = directory.add(EA_KAO)
    assert errors == {}
    assert library.code == "xa-ea-kao"
    assert library.place == "xã Ea Kao, tỉnh Đắk Lắk"
    assert directory.get("xa-ea-kao") is library
    assert directory.names() == {"xa-ea-kao": "Thư viện xã Ea Kao"}


def test_places_are_communes_wards_or_special_zones_of_the_34_provinces(session):
    directory = LibraryDirectory(session)
    assert len(PROVINCES) == 34 and "Đắk Lắk" in PROVINCES and "Phú Yên" not in PROVINCES
    _lib, errors = directory.add(dict(EA_KAO, unit_type="huyen", province="Phú Yên"))
    assert set(errors) >= {"unit_type", "province"}
    ward, errors = directory.add(dict(EA_KAO, name="Thư viện phường Tuy Hòa",
                                      unit_type="phuong", unit_name="Tuy Hòa"))
    assert errors == {} and ward.code == "phuong-tuy-hoa"
    city, errors = directory.add(dict(EA_KAO, name="Thư viện phường Hải Châu",
                                      unit_type="phuong", unit_name="Hải Châu",
                                      province="Đà Nẵng"))
    assert city.place == "phường Hải Châu, Đà Nẵng"


def test_codes_are_unique_and_never_those_of_the_sites(session):
    directory = LibraryDirectory(session)
    directory.add(EA_KAO)
    _lib, errors = directory.add(EA_KAO)
    assert "code" in errors
    _lib, errors = directory.add(dict(EA_KAO, code="bmt"), reserved=["bmt", "tuy-hoa"])
    assert "code" in errors
    _lib, errors = directory.add(dict(EA_KAO, code="Xã Ea Kao!"))
    assert "code" in errors
    session.add(Library(code="xa-ea-kao", name="x", unit_name="x"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_required_fields_and_contact_details_are_checked(session):
    directory = LibraryDirectory(session)
    _lib, errors = directory.add({"unit_type": "xa", "province": "Đắk Lắk",
                                  "email": "khong-phai-email", "phone": "gọi tôi"})
    assert set(errors) >= {"name", "unit_name", "email", "phone", "code"}


def test_editing_keeps_the_code(session):
    directory = LibraryDirectory(session)
    library, _errors = directory.add(EA_KAO)
    errors = directory.edit(library, dict(EA_KAO, code="khac", name="Thư viện xã Ea Kao mới",
                                          active=""))
    assert errors == {}
    assert (library.code, library.name, library.active) == (
        "xa-ea-kao", "Thư viện xã Ea Kao mới", False)
    assert [lib.code for lib in directory.all(active_only=True)] == []


def test_suggested_codes_fold_vietnamese():
    assert suggest_code("xa", "Ea Kao") == "xa-ea-kao"
    assert suggest_code("phuong", "Buôn Ma Thuột") == "phuong-buon-ma-thuot"
    assert suggest_code("xa", "Đắk Liêng") == "xa-dak-lieng"
    assert suggest_code("xa", "Cư M'gar") == "xa-cu-m-gar"
