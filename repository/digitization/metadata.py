"""Suggested metadata from the OCR text of the first pages: rules and patterns first.

Each value comes with the reason it was chosen (shown to the librarian); nothing
reaches the item until a librarian accepts it on the review form.
"""
import datetime
import re
import unicodedata

from ..schemas import isbn_valid

FIELDS = ("title", "creators", "publisher", "place", "year", "isbn", "language", "ddc")

PUBLISHER = re.compile(r"(nh[àa]\s+xu[ấa]t\s+b[ảa]n|\bnxb\b|\bpress\b|\bpublish(?:ers?|ing)\b"
                       r"|\bpublications?\b)", re.I)
AUTHOR_PREFIX = re.compile(r"^\s*(t[áa]c\s+gi[ảa]|ch[ủu]\s+bi[êe]n|bi[êe]n\s+so[ạa]n|s[ưu]u\s+t[ầa]m"
                           r"|by|author|edited\s+by)\s*[:.\-–]?\s*(.+)$", re.I)
ISBN_LABELLED = re.compile(r"ISBN(?:-1[03])?\s*[:：]?\s*([0-9][0-9\-–‐ ]{8,20}[0-9Xx])", re.I)
ISBN_BARE = re.compile(r"\b(97[89][\-– ]?(?:[0-9][\-– ]?){9}[0-9])\b")
YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
SURNAMES = {"nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi",
            "đỗ", "hồ", "ngô", "dương", "lý", "đinh", "trương", "lương", "mai", "đoàn", "cao",
            "lâm", "trịnh", "tạ", "châu", "tô", "thái", "phùng", "kiều", "la", "quách", "y", "h'"}
PLACES = ("Hà Nội", "Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh", "TP.HCM", "TP. HCM", "Đà Nẵng",
          "Huế", "Buôn Ma Thuột", "Đắk Lắk", "Hải Phòng", "Cần Thơ", "Nha Trang", "Tuy Hòa",
          "Quy Nhơn", "Đà Lạt", "Vinh", "Pleiku", "Biên Hòa", "Sài Gòn")
#: Names a title in capitals keeps capitalised when it is put in sentence case.
PROPER_NAMES = PLACES + ("Việt Nam", "Tây Nguyên", "Sêrêpốk", "Ê Đê", "M'nông", "Gia Rai",
                         "Hồ Chí Minh", "Đăm San", "Phú Yên", "Khánh Hòa", "Lâm Đồng")
#: DDC 23 classes by keywords (folded, without diacritics), most specific first.
DDC_RULES = (
    ("895.922", ("tho", "truyen ngan", "tieu thuyet", "van hoc", "truyen")),
    ("959.765", ("dak lak", "buon ma thuot", "tay nguyen")),
    ("959.7", ("lich su viet nam", "khang chien", "lich su")),
    ("633.73", ("ca phe",)),
    ("630", ("nong nghiep", "trong trot", "chan nuoi", "cay trong")),
    ("390", ("phong tuc", "le hoi", "tap quan", "van hoa dan gian", "cong chieng")),
    ("305.8", ("dan toc", "e de", "m'nong", "gia rai")),
    ("335.4346", ("ho chi minh",)),
    ("340", ("phap luat", "luat", "nghi dinh", "thong tu")),
    ("370", ("giao duc", "day hoc", "hoc sinh", "giao vien")),
    ("610", ("y hoc", "suc khoe", "benh", "thuoc")),
    ("330", ("kinh te", "thi truong", "doanh nghiep")),
    ("004", ("tin hoc", "may tinh", "phan mem", "computer")),
    ("510", ("toan hoc", "dai so", "hinh hoc")),
    ("915.97", ("dia ly", "du lich")),
    ("495.922", ("tieng viet", "tu dien", "ngu phap")),
    ("200", ("ton giao", "phat giao", "cong giao")),
)
VIETNAMESE = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
ENGLISH_WORDS = {"the", "and", "of", "to", "in", "is", "for", "with", "this", "by"}


def fold(text):
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _clean(text):
    return re.sub(r"\s+", " ", text).strip(" .,;:-–")


def find_isbn(text):
    """The first ISBN whose check digit is right (labelled ones first), without hyphens."""
    for pattern in (ISBN_LABELLED, ISBN_BARE):
        for match in pattern.finditer(text):
            digits = re.sub(r"[^0-9Xx]", "", match[1]).upper()
            for candidate in (digits, digits[:13], digits[:10]):
                if len(candidate) in (10, 13) and isbn_valid(candidate):
                    return candidate
    return None


def find_year(lines):
    this_year = datetime.date.today().year
    keyed = [ln for ln in lines if PUBLISHER.search(ln) or re.search(
        r"©|n[ăa]m|xu[ấa]t\s+b[ảa]n|in\s+xong|published|copyright", ln, re.I)]
    for group in (keyed, [ln for ln in lines if any(p.lower() in ln.lower() for p in PLACES)],
                  lines):
        for line in group:
            for match in YEAR.finditer(line):
                if 1800 <= int(match[1]) <= this_year + 1 and "isbn" not in line.lower():
                    return int(match[1]), line
    return None, ""


def find_place(lines):
    ordered = sorted(lines, key=lambda ln: 0 if (PUBLISHER.search(ln) or YEAR.search(ln)) else 1)
    for line in ordered:
        for place in PLACES:
            if fold(place) in fold(line):
                return ("Thành phố Hồ Chí Minh" if place.startswith("TP") else place), line
    return None, ""


def find_publisher(lines):
    for line in lines:
        match = PUBLISHER.search(line)
        if match and len(line) <= 120:
            value = _clean(line)
            if re.match(r"(?i)nxb\b", value):
                value = "Nhà xuất bản" + value[3:]
            return value, line
    return None, ""


def looks_like_name(line):
    words = line.split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in line):
        return False
    if not all(w[:1].isupper() for w in words):
        return False
    return words[0].lower().strip(",") in SURNAMES


def find_creators(lines):
    for line in lines:
        match = AUTHOR_PREFIX.match(line)
        if match:
            names = [_clean(n) for n in re.split(r"[,;]| và | and ", match[2]) if _clean(n)]
            if names:
                return names, line
    for line in lines[:25]:
        if looks_like_name(line.strip()):
            return [_clean(line)], line
    return [], ""


def find_title(lines_with_height, skip):
    """The biggest print of the first page (consecutive lines of about that height)."""
    candidates = [(t, h) for t, h in lines_with_height if t.strip() and t not in skip
                  and not YEAR.fullmatch(t.strip()) and len(t) > 2]
    if not candidates:
        return None, ""
    biggest = max(h for _t, h in candidates)
    chosen, started = [], False
    for text, height in candidates:
        if height >= 0.8 * biggest:
            chosen.append(text)
            started = True
        elif started:
            break
    title = _clean(" ".join(chosen))[:300]
    if title.isupper():      # a title page in capitals: sentence case, names kept
        title = title[:1] + title[1:].lower()
        for name in PROPER_NAMES:
            title = re.sub(re.escape(name.lower()), name, title)
    return (title or None), "cỡ chữ lớn nhất trang đầu / largest print on the first page"


def find_language(text):
    letters = [c for c in text.lower() if c.isalpha()]
    if not letters:
        return None, ""
    share = sum(c in VIETNAMESE for c in letters) / len(letters)
    if share > 0.04:
        return "vie", f"{share:.0%} chữ có dấu tiếng Việt / Vietnamese letters"
    words = re.findall(r"[a-z]+", text.lower())
    if words and sum(w in ENGLISH_WORDS for w in words) / len(words) > 0.05:
        return "eng", "từ tiếng Anh thông dụng / common English words"
    return None, ""


def find_ddc(text, title=""):
    """The class whose keywords occur most (a word of the title counts three times)."""
    folded, folded_title = fold(text), fold(title or "")
    best, best_hits = None, 0
    for ddc, keywords in DDC_RULES:
        hits = sum(len(re.findall(r"\b" + re.escape(k) + r"\b", folded))
                   + 2 * len(re.findall(r"\b" + re.escape(k) + r"\b", folded_title))
                   for k in keywords)
        if hits > best_hits:
            best, best_hits = (ddc, keywords), hits
    if best is None:
        return None, ""
    return best[0], "từ khóa / keywords: " + ", ".join(best[1][:3]) + f" ({best_hits}×)"


def suggest(pages):
    """Suggested values and reasons from ``pages``: ``[(text, [(line, height)])]`` of the
    first pages. Returns ``{"values": {...}, "why": {...}}`` (only what was found)."""
    text = "\n".join(t for t, _l in pages)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    values, why = {}, {}

    def put(field, value, reason):
        if value:
            values[field] = value
            why[field] = reason

    put("isbn", find_isbn(text), "ISBN có số kiểm tra đúng / ISBN with a valid check digit")
    year, line = find_year(lines)
    put("year", year, line)
    place, line = find_place(lines)
    put("place", place, line)
    publisher, line = find_publisher(lines)
    put("publisher", publisher, line)
    creators, line = find_creators(lines)
    put("creators", creators, line)
    first_lines = pages[0][1] if pages else []
    skip = {publisher, *(creators or ()), place}
    title, reason = find_title(first_lines, {s for s in skip if s} | {
        ln for ln, _h in first_lines if PUBLISHER.search(ln) or AUTHOR_PREFIX.match(ln)
        or looks_like_name(ln.strip())})
    put("title", title, reason)
    language, reason = find_language(text)
    put("language", language, reason)
    # the publisher's name says nothing of the subject ("Nhà xuất bản Văn hóa Dân tộc")
    subject_text = "\n".join(ln for ln in lines if not PUBLISHER.search(ln))
    ddc, reason = find_ddc(subject_text, title or "")
    put("ddc", ddc, reason)
    return {"values": values, "why": why}
