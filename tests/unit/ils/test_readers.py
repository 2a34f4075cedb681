"""Reader services: applications, one person one card, cards, blocks, export, deletion."""
import datetime

import pytest

from ils.accounts.services import AccountService
from ils.readers.models import AuditEntry, Reader, ReaderStatus
from ils.readers.services import (NOTICE_VERSIONS, ReaderError, ReaderService, card_number_for,
                                  valid_card_number)

TODAY = datetime.date(2026, 11, 26)
CONSENTS = list(NOTICE_VERSIONS.items())


def application(**kw):
    data = {"full_name": "Nguyễn Văn An", "id_number": "066090001234",
            "birth_date": "1990-03-15", "sex": "Nam", "address": "Thôn 3, Cư Êbur",
            "email": "an@example.org", "home_site": "bmt"}
    data.update(kw)
    return data


def test_card_numbers_carry_a_check_digit():
    number = card_number_for(42, "bmt")
    assert number.startswith("661") and len(number) == 11 and valid_card_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not valid_card_number(wrong)
    assert card_number_for(42, "tuy-hoa")[2] == "2"


def test_register_issue_renew_block(dbsession, sql_backend):
    service = ReaderService(dbsession, {"readers.card_years": "2"})
    reader = service.register(application(), CONSENTS, today=TODAY)
    assert reader.status == ReaderStatus.PENDING and reader.card_number is None
    assert {c.kind for c in reader.consents} == {"rules", "personal_data"}
    assert service.can_borrow(reader).code == "pending"
    service.issue_card(reader, "thuthu", today=TODAY)
    assert reader.status == ReaderStatus.ACTIVE and valid_card_number(reader.card_number)
    assert reader.expires == datetime.date(2028, 11, 26)
    assert service.by_card(reader.card_number) is reader
    service.renew_card(reader, "thuthu", today=TODAY)
    assert reader.expires == datetime.date(2030, 11, 26)
    with pytest.raises(ReaderError):
        service.block(reader, "  ", "thuthu")
    service.block(reader, "Mất sách chưa đền", "thuthu")
    assert service.can_borrow(reader).code == "blocked"
    service.unblock(reader, "thuthu")
    assert service.can_borrow(reader, today=TODAY) is None
    assert service.can_borrow(reader, today=datetime.date(2031, 1, 1)).code == "expired"
    assert [e.action for e in service.audit_log(reader)] == ["unblock", "block", "renew", "issue"]


def test_one_person_one_card(dbsession, sql_backend):
    service = ReaderService(dbsession)
    service.register(application(), CONSENTS, today=TODAY)
    with pytest.raises(ReaderError) as info:
        service.register(application(full_name="Người Khác"), CONSENTS, today=TODAY)
    assert info.value.code == "id_taken" and "One person, one card" in str(info.value.message)
    assert dbsession.query(Reader).count() == 1


@pytest.mark.parametrize("field, value, code", [
    ("birth_date", "2030-01-01", "birth_date"),
    ("birth_date", "1990-02-30", "birth_date"),
    ("birth_date", "1850-01-01", "birth_date"),
    ("id_number", "12345", "id_number"),
    ("sex", "X", "sex"),
    ("email", "not-an-address", "email"),
    ("full_name", "", "full_name"),
])
def test_bad_fields_are_refused_and_nothing_is_stored(dbsession, field, value, code):
    service = ReaderService(dbsession)
    with pytest.raises(ReaderError) as info:
        service.register(application(**{field: value}), CONSENTS, today=TODAY)
    assert info.value.code == code
    assert dbsession.query(Reader).count() == 0


def test_consents_are_required(dbsession):
    with pytest.raises(ReaderError) as info:
        ReaderService(dbsession).register(application(), [("rules", "2026-11")], today=TODAY)
    assert info.value.code == "consent"


def test_search_by_card_id_and_name_without_diacritics(dbsession):
    service = ReaderService(dbsession)
    reader = service.register(application(), CONSENTS, today=TODAY)
    service.register(application(full_name="Trần Thị Bình", id_number="066190005678"),
                     CONSENTS, today=TODAY)
    service.issue_card(reader, "thuthu", today=TODAY)
    assert service.search(reader.card_number) == [reader]
    assert service.search("066090001234") == [reader]
    assert [r.full_name for r in service.search("nguyen an")] == ["Nguyễn Văn An"]
    assert [r.full_name for r in service.search("TRẦN binh")] == ["Trần Thị Bình"]
    assert service.search("") == []
    # LIKE's wildcards are letters like any other here
    assert service.search("%") == [] and service.search("_") == []
    # a name corrected by staff is found under its new spelling only
    reader.full_name = "Đặng Văn An"
    dbsession.flush()
    assert [r.full_name for r in service.search("dang van")] == ["Đặng Văn An"]
    assert service.search("nguyen an") == []


def test_the_migration_folds_the_names_already_registered(engine, sql_backend):
    from alembic import command
    from sqlalchemy import text

    from ils import db
    config = db.alembic_config(engine)
    command.upgrade(config, "0013")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO readers (status, category, home_site, full_name, "
                          "old_id_number, sex, address, phone, email, block_reason, "
                          "staff_note, keep_history, notify_email, language, source, "
                          "verified_by, created, updated) "
                          "SELECT 'pending', 'adult', 'bmt', 'Đỗ Thị Hồng Nhung', '', '', '', "
                          "'', '', '', '', false, true, 'vi', 'online', '', CURRENT_TIMESTAMP, "
                          "CURRENT_TIMESTAMP"))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name_key FROM readers")).scalar() == "do thi hong nhung"


def test_export_and_close_erase_personal_data(dbsession):
    user = AccountService(dbsession).create("an", "mat-khau-dai-du-1", roles=["Reader"])
    service = ReaderService(dbsession)
    reader = service.register(application(), CONSENTS, user=user, today=TODAY)
    service.issue_card(reader, "thuthu", today=TODAY)
    data = service.export(reader)
    assert data["reader"]["id_number"] == "066090001234"
    assert {c["kind"] for c in data["consents"]} == {"rules", "personal_data"}
    assert data["access_log"][0]["action"] == "issue"
    service.close(reader, "reader", user=user)
    dbsession.flush()
    assert reader.status == ReaderStatus.CLOSED
    assert (reader.full_name, reader.id_number, reader.birth_date, reader.email,
            reader.card_number) == ("", None, None, "", None)
    assert not user.active and "an" != user.login
    assert dbsession.query(AuditEntry).filter_by(action="close").count() == 1
    # the ID number is free again: the person may apply anew one day
    service.register(application(), CONSENTS, today=TODAY)
