"""The metadata suggestion rules, on OCR text as Tesseract gives it."""
from repository.digitization.metadata import find_isbn, suggest


def page(*lines):
    """(text, [(line, height)]) with the first line printed biggest."""
    return ("\n".join(t for t, _h in lines), list(lines))


def test_a_vietnamese_title_page():
    values = suggest([page(("LỊCH SỬ ĐẮK LẮK", 80), ("TẬP MỘT", 78), ("Chủ biên: Trần Văn Bình", 30),
                           ("NXB Chính trị Quốc gia", 28), ("Hà Nội - 2019", 28)),
                      page(("Cuốn sách kể lịch sử vùng Tây Nguyên và tỉnh Đắk Lắk.", 24),
                           ("ISBN: 978-604-57-4960-9", 22))])["values"]
    assert values["title"] == "Lịch sử Đắk Lắk tập một"
    assert values["creators"] == ["Trần Văn Bình"]
    assert values["publisher"] == "Nhà xuất bản Chính trị Quốc gia"
    assert values["place"] == "Hà Nội" and values["year"] == 2019
    assert values["isbn"] == "9786045749609" and values["language"] == "vie"
    assert values["ddc"] == "959.765"


def test_an_isbn_with_a_wrong_check_digit_is_not_suggested():
    assert find_isbn("ISBN 978-604-70-1234-1") is None
    assert find_isbn("ISBN 978-604-70-1234-3") == "9786047012343"
    assert find_isbn("ISBN 0-306-40615-2") == "0306406152"
    assert find_isbn("mã số 9786047012343 in ở bìa sau") == "9786047012343"


def test_an_english_book_and_a_poetry_book():
    english = suggest([page(("THE COFFEE FARMERS", 70), ("by Mary Smith", 30),
                            ("Oxford University Press", 26),
                            ("This is the story of the farmers and the coffee of the highlands.", 20))])
    assert english["values"]["language"] == "eng"
    assert english["values"]["creators"] == ["Mary Smith"]
    assert english["values"]["publisher"] == "Oxford University Press"
    poems = suggest([page(("Thơ Đắk Lắk", 60), ("Tuyển tập thơ và truyện ngắn của các nhà văn", 24),
                          ("thơ về núi rừng, thơ về cà phê, thơ tình", 24))])
    assert poems["values"]["ddc"] == "895.922"


def test_nothing_is_suggested_from_an_empty_page():
    assert suggest([("", [])]) == {"values": {}, "why": {}}
