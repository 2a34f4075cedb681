"""Which records are the same book, and what the merged record shows (no store)."""
import random

from federation.merge import (assign_ids, cluster, fingerprint, match_keys, merge, merge_key,
                              sets_of, surname, title_proper, union_id_for, work_key)
from federation.records import Holding, Record


def rec(key, title, authors=(), year=None, isbns=(), holdings=(), **kw):
    return Record(id=key, title=title, authors=list(authors), year=year, isbns=list(isbns),
                  holdings=list(holdings), **kw)


# --- match keys ------------------------------------------------------------------

def test_isbn_10_13_and_hyphens_give_one_key():
    keys = {tuple(match_keys(rec("a", "Dế mèn", isbns=[isbn]))) for isbn in
            ("604-1-00004-3", "9786041000049", "978 604 1 00004 9")}
    assert keys == {("isbn:9786041000049",)}


def test_an_invalid_isbn_is_no_key():
    assert match_keys(rec("a", "Dế mèn", isbns=["604-1-00004-4"])) == []


def test_work_key_folds_takes_the_title_proper_and_the_surname():
    marc = rec("a", "Lịch sử Tây Nguyên : từ thời tiền sử đến năm 1945",
               ["Nguyễn Văn Giàu"], 2001)
    spreadsheet = rec("b", "LICH SU TAY NGUYEN", ["Nguyễn, Văn Giàu"], 2001)
    assert work_key(marc) == work_key(spreadsheet) == "lich su tay nguyen|nguyen|2001"
    assert title_proper("Đắk Lắk = Dak Lak / Trần Bình") == "Đắk Lắk"
    assert surname("Smith, John") == "smith"


def test_a_title_alone_is_too_weak_to_merge_on():
    assert work_key(rec("a", "Thơ")) is None
    assert work_key(rec("a", "Thơ", year=2001)) == "tho||2001"


def test_volumes_sharing_the_set_isbn_get_different_keys():
    one = match_keys(rec("a", "Lịch sử Việt Nam. Tập 1", isbns=["9786041000049"]))
    two = match_keys(rec("b", "Lịch sử Việt Nam. Tập II", isbns=["9786041000049"]))
    assert one[0] == "isbn:9786041000049/1" and two[0] == "isbn:9786041000049/2"
    # a number in the subtitle does not count: commune lists rarely carry subtitles
    assert match_keys(rec("c", "Buôn Ma Thuột : 1975-2025", isbns=["9786041000049"]))[0] \
        == "isbn:9786041000049"


# --- clusters --------------------------------------------------------------------

ISBN = "isbn:9786041000049"
WORK = "work:lich su tay nguyen|nguyen|2001"


def test_shared_isbn_then_work_key_without_isbn():
    members = {"ils:1": [ISBN, WORK], "ils:2": [ISBN], "ils:3": [WORK],
               "ils:4": ["work:other|x|1999"]}
    assert cluster(members) == [["ils:1", "ils:2", "ils:3"], ["ils:4"]]


def test_two_editions_with_different_isbns_stay_apart_and_a_loner_joins_the_first():
    members = {"ils:1": ["isbn:9786040000019", WORK], "ils:2": ["isbn:9786040000026", WORK],
               "ils:3": [WORK]}
    assert cluster(members) == [["ils:1", "ils:3"], ["ils:2"]]


def test_members_kept_apart_are_never_joined_even_through_a_third():
    members = {"ils:1": [ISBN], "ils:2": [ISBN], "ils:3": [ISBN, WORK], "ils:4": [WORK]}
    assert cluster(members, keep_apart=[("ils:1", "ils:2")]) == [
        ["ils:1", "ils:3", "ils:4"], ["ils:2"]]
    assert cluster(members, keep_apart=[("ils:2", "ils:3"), ("ils:1", "ils:2")]) == [
        ["ils:1", "ils:3", "ils:4"], ["ils:2"]]


def test_the_same_members_in_any_order_give_the_same_clusters():
    members = {f"ils:{n}": [f"isbn:{n % 7}", f"work:{n % 5}"] if n % 3 else [f"work:{n % 5}"]
               for n in range(1, 60)}
    expected = cluster(members)
    pairs = list(members.items())
    for seed in range(5):
        random.Random(seed).shuffle(pairs)
        assert cluster(dict(pairs)) == expected


def test_member_order_is_numeric():
    assert cluster({"ils:10": [ISBN], "ils:9": [ISBN], "repository:ab": [ISBN]}) == [
        ["ils:9", "ils:10", "repository:ab"]]


# --- ids ----------------------------------------------------------------------------

def test_new_ids_come_from_the_merge_key():
    clusters = [["ils:1", "ils:2"], ["ils:3"]]
    keys = [ISBN, WORK]
    assert assign_ids(clusters, keys, {}) == [union_id_for(ISBN), union_id_for(WORK)]
    assert merge_key(["ils:1", "ils:2"], {"ils:1": [WORK], "ils:2": [ISBN]}) == ISBN


def test_a_cluster_keeps_the_id_most_of_its_members_had():
    previous = {"ils:1": "old-a", "ils:2": "old-a", "ils:3": "old-b"}
    assert assign_ids([["ils:1", "ils:2", "ils:3"]], [ISBN], previous) == ["old-a"]


def test_a_split_leaves_the_id_with_the_members_that_stay():
    previous = {"ils:1": "rec", "ils:2": "rec"}
    ids = assign_ids([["ils:1"], ["ils:2"]], [ISBN, ISBN], previous, leaving={"ils:1"})
    assert ids == [union_id_for(ISBN), "rec"]
    # without the hint, the first member's cluster keeps it
    assert assign_ids([["ils:1"], ["ils:2"]], [ISBN, ISBN], previous)[0] == "rec"


def test_an_id_in_use_elsewhere_is_not_taken():
    taken = {union_id_for(ISBN)}
    ids = assign_ids([["ils:5"]], [ISBN], {}, is_taken=taken.__contains__)
    assert ids[0] != union_id_for(ISBN) and len(ids[0]) == 16


# --- the merged record -------------------------------------------------------------------

def test_merge_sums_holdings_per_library_and_keeps_the_catalogue_description():
    bmt = rec("ils:1", "Lịch sử Tây Nguyên : từ thời tiền sử", ["Nguyễn Văn Giàu"], 2001,
              ["9786041000049"], [Holding("bmt", site="bmt", call_number="959.76 L302S",
                                          items=2, available=1)],
              subjects=["Lịch sử"], description="Tổng quan.", publisher="Nxb. Đắk Lắk")
    bmt_again = rec("ils:7", "Lịch sử Tây Nguyên", ["Nguyễn Văn Giàu"], 2001, [],
                    [Holding("bmt", items=1, available=1)])
    commune = rec("ils:3", "Lịch sử Tây Nguyên", ["Nguyễn Văn Giàu"], 2001, [],
                  [Holding("xa-ea-kao", items=1, available=0)], subjects=["Tây Nguyên"])
    scan = rec("repository:ab", "Lịch sử Tây Nguyên (bản số)", [], 2001, ["9786041000049"],
               [Holding("tuy-hoa", site="tuy-hoa", items=0)], format="digital",
               url="http://localhost/tuy-hoa/x/", source="repository")
    merged = merge("u1", [("repository:ab", scan), ("ils:3", commune), ("ils:7", bmt_again),
                          ("ils:1", bmt)], sites=("bmt", "tuy-hoa"))
    assert merged.title == "Lịch sử Tây Nguyên : từ thời tiền sử"
    assert merged.format == "book" and merged.url == "http://localhost/tuy-hoa/x/"
    assert [(h.library, h.items, h.available, h.call_number) for h in merged.holdings] == [
        ("bmt", 3, 2, "959.76 L302S"), ("tuy-hoa", 0, 0, ""), ("xa-ea-kao", 1, 0, "")]
    assert merged.subjects == ["Lịch sử", "Tây Nguyên"]
    assert merged.provenance == ["ils:1", "ils:3", "ils:7", "repository:ab"]
    assert merged.available_at == ["bmt", "online"]
    assert sets_of(merged, ("bmt", "tuy-hoa")) == ["library:xa-ea-kao", "site:bmt",
                                                   "site:tuy-hoa"]


def test_a_checkout_does_not_change_the_fingerprint_a_new_title_does():
    one = rec("u", "Dế mèn", holdings=[Holding("bmt", items=2, available=2)])
    out = rec("u", "Dế mèn", holdings=[Holding("bmt", items=2, available=1)])
    renamed = rec("u", "Dế Mèn phiêu lưu ký", holdings=[Holding("bmt", items=2, available=2)])
    assert fingerprint(one) == fingerprint(out) != fingerprint(renamed)
