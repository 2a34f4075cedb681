"""Synthetic Vietnamese catalogue records for benchmarks (never for tests).

Titles, authors, subjects, publishers and holdings are drawn from vocabulary
a provincial library in the Central Highlands really holds, with diacritics,
ethnic names (Ê Đê, M'nông, Y Điêng, H'Linh Niê) and a long tail, so that
term frequencies look like a catalogue's: a few very common syllables
(``lịch sử``, ``văn hóa``), many rare ones.
"""
import random

from federation.records import Holding, Record

TOPICS = [
    "Lịch sử", "Văn hóa", "Kinh tế", "Giáo dục", "Địa lý", "Văn học", "Khoa học",
    "Kỹ thuật", "Nông nghiệp", "Y học", "Pháp luật", "Triết học", "Âm nhạc", "Mỹ thuật",
    "Du lịch", "Tôn giáo", "Ngôn ngữ", "Dân tộc học", "Khảo cổ học", "Sinh học",
    "Hóa học", "Vật lý", "Toán học", "Tin học", "Lâm nghiệp", "Chăn nuôi", "Thủy lợi",
    "Cà phê", "Hồ tiêu", "Cao su", "Sử thi", "Cồng chiêng", "Lễ hội", "Kiến trúc",
]
PLACES = [
    "Tây Nguyên", "Đắk Lắk", "Buôn Ma Thuột", "Tuy Hòa", "Phú Yên", "Krông Pắc",
    "Ea H'leo", "Buôn Đôn", "Lắk", "Krông Ana", "Cư M'gar", "Ea Kar", "M'Đrắk",
    "Sông Hinh", "Đồng Xuân", "Sông Cầu", "Gia Lai", "Kon Tum", "Đắk Nông", "Lâm Đồng",
    "Việt Nam", "Miền Trung", "Nam Bộ", "Hà Nội", "Huế", "Sài Gòn", "Đông Dương",
]
PEOPLES = ["Ê Đê", "M'nông", "Gia Rai", "Ba Na", "Xơ Đăng", "Chăm", "Kinh", "Tày",
           "Nùng", "Dao", "Mường", "Thái", "H'Mông", "Cơ Ho", "Mạ"]
FORMS = [
    "Tổng quan", "Nghiên cứu", "Giáo trình", "Tuyển tập", "Từ điển", "Sổ tay",
    "Hỏi đáp", "Hướng dẫn", "Kỷ yếu", "Truyện ngắn", "Tiểu thuyết", "Thơ", "Ký sự",
    "Địa chí", "Biên niên", "Tư liệu", "Chuyên khảo", "Truyện cổ tích", "Hồi ký",
]
WORDS = [
    "phát triển", "bền vững", "truyền thống", "hiện đại", "cộng đồng", "buôn làng",
    "rừng", "núi", "sông", "đất", "người", "mùa", "xuân", "hạ", "thu", "đông", "mẹ",
    "cha", "con", "quê hương", "đất nước", "chiến tranh", "hòa bình", "tình yêu",
    "tuổi trẻ", "thiếu nhi", "học sinh", "sinh viên", "giáo viên", "nông dân",
    "công nhân", "bộ đội", "anh hùng", "kháng chiến", "đổi mới", "hội nhập",
    "doanh nghiệp", "thị trường", "môi trường", "khí hậu", "biển", "đảo", "cao nguyên",
    "voi", "ngựa", "chim", "hoa", "lúa", "gạo", "bếp lửa", "nhà dài", "ghè rượu",
    "đàn đá", "trường ca", "Đăm San", "Xing Nhã", "Hơ Bia", "dế", "dê", "đê",
    "kỹ năng", "quản lý", "chính sách", "xã hội", "gia đình", "phụ nữ", "trẻ em",
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
            "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Xuân",
          "Thu", "Kim", "Công", "Đình", "Bá", "Thành"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Ngọc", "Phương", "Quân", "Sơn",
         "Tâm", "Thảo", "Thủy", "Trang", "Tuấn", "Việt", "Xuân", "Yến", "Giàu", "Khoa",
         "Đông", "Đạt", "Ánh", "Ân", "Ơn", "Ưng", "Nguyên", "Thuận", "Vinh", "Quỳnh"]
ETHNIC_NAMES = ["Y Điêng", "H'Linh Niê", "Y Jut Hwing", "Ama Sa", "Linh Nga Niê Kdăm",
                "Y Kô Niê", "H'Zin Niê", "Điểu Kâu", "Y Phôn Ksơr", "Trương Bi"]
PUBLISHERS = ["Nxb. Kim Đồng", "Nxb. Trẻ", "Nxb. Giáo dục Việt Nam", "Nxb. Văn học",
              "Nxb. Chính trị quốc gia Sự thật", "Nxb. Khoa học xã hội", "Nxb. Hội Nhà văn",
              "Nxb. Đà Nẵng", "Nxb. Tổng hợp TP. Hồ Chí Minh", "Nxb. Nông nghiệp",
              "Nxb. Văn hóa dân tộc", "Nxb. Thế giới"]
FORMATS = ["book"] * 14 + ["serial", "map", "ebook", "digital", "audiobook", "video"]
LANGUAGES = ["vie"] * 16 + ["eng", "eng", "fra", "ede", "mnong"]
COLLECTIONS = ["Địa chí Đắk Lắk", "Địa chí Phú Yên", "Thiếu nhi", "Tham khảo",
               "Sách quý hiếm", "Tài liệu số", "Sách nói", "Luân chuyển", "Giáo khoa",
               "Ngoại văn"]
SITES = [("bmt", "Thư viện tỉnh – Buôn Ma Thuột", "bmt"),
         ("tuy-hoa", "Thư viện tỉnh – Tuy Hòa", "tuy-hoa")]
COMMUNES = ["Ea Kao", "Hòa Thắng", "Ea Tu", "Cư Êbur", "Hòa Phú", "Krông Búk",
            "Ea Drăng", "Buôn Hồ", "Ea Súp", "Lắk", "Liên Sơn", "Krông Năng", "Ea Knốp",
            "Phú Hòa", "Sơn Hòa", "Tây Hòa", "Đông Hòa", "Xuân Lộc", "Hòa Hiệp", "An Phú",
            "Tuy An", "Ô Loan", "Đồng Xuân", "La Hai", "Củng Sơn", "Hai Riêng", "Ea Bá",
            "Phước Sơn"]
COMMUNE_LIBRARIES = [(f"xa-{i:02d}", f"Thư viện xã {name}", "") for i, name in enumerate(COMMUNES)]


def _person(rng):
    if rng.random() < 0.08:
        return rng.choice(ETHNIC_NAMES)
    parts = [rng.choice(SURNAMES)]
    if rng.random() < 0.85:
        parts.append(rng.choice(MIDDLE))
    parts.append(rng.choice(GIVEN))
    return " ".join(parts)


def _title(rng):
    shape = rng.random()
    if shape < 0.35:
        return f"{rng.choice(TOPICS)} {rng.choice(PLACES)}"
    if shape < 0.55:
        return f"{rng.choice(FORMS)} {rng.choice(TOPICS).lower()} {rng.choice(PEOPLES)}"
    if shape < 0.8:
        return " ".join([rng.choice(WORDS).capitalize()] + rng.sample(WORDS, rng.randint(1, 3)))
    return f"{rng.choice(FORMS)} về {rng.choice(WORDS)} {rng.choice(PLACES)}"


def _isbn(rng):
    body = "978604" + "".join(rng.choice("0123456789") for _ in range(6))
    check = (10 - sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(body)) % 10) % 10
    return f"{body[:3]}-{body[3:6]}-{body[6:8]}-{body[8:]}-{check}"


def generate(count, seed=1):
    """Yield ``count`` synthetic ``Record``s, the same for the same seed."""
    rng = random.Random(seed)
    for number in range(count):
        title = _title(rng)
        authors = [_person(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        subjects = list(dict.fromkeys(
            rng.choice((f"{rng.choice(TOPICS)} -- {rng.choice(PLACES)}",
                        f"Dân tộc {rng.choice(PEOPLES)}", rng.choice(TOPICS)))
            for _ in range(rng.randint(1, 3))))
        holders = [rng.choice(SITES)]
        if rng.random() < 0.3:
            holders.append(SITES[1] if holders[0] is SITES[0] else SITES[0])
        if rng.random() < 0.4:
            holders.append(rng.choice(COMMUNE_LIBRARIES))
        holdings = []
        for code, name, site in holders:
            items = rng.randint(1, 4)
            holdings.append(Holding(library=code, library_name=name, site=site,
                                    call_number=f"{rng.randint(0, 999):03d} {title[:3].upper()}",
                                    items=items, available=rng.randint(0, items)))
        fmt = rng.choice(FORMATS)
        yield Record(
            id=f"rec-{number:07d}",
            title=title,
            subtitle=rng.choice(("", "", "", f"tập {rng.randint(1, 5)}",
                                 f"{rng.choice(FORMS).lower()} {rng.choice(WORDS)}")),
            authors=authors,
            subjects=subjects,
            publisher=rng.choice(PUBLISHERS),
            year=rng.randint(1930, 2025),
            language=rng.choice(LANGUAGES),
            isbns=[_isbn(rng)] if rng.random() < 0.7 else [],
            format=fmt,
            description=" ".join(rng.sample(WORDS, 8)).capitalize() + ".",
            holdings=holdings,
            collections=rng.sample(COLLECTIONS, rng.choice((0, 1, 1, 2))),
            source="bench",
            url=(f"https://thuvien.example/doc/{number}"
                 if fmt in ("ebook", "digital", "audiobook") else ""),
        )


# Queries a reader types: common and rare words, with and without diacritics,
# a syllable phrase, an author surname, an ISBN-like number.
QUERIES = [
    "lịch sử", "lich su tay nguyen", "Đắk Lắk", "dak lak", "văn hóa ê đê",
    "cong chieng", "nguyễn", "tran van", "sử thi đăm san", "kinh tế", "truyện cổ tích",
    "giáo trình tin học", "m'nong", "buon ma thuot", "ca phe", "nông nghiệp đắk lắk",
    "tuổi trẻ", "hoa", "dế", "khảo cổ học", "từ điển", "kỷ yếu", "y dieng", "huế",
]
