"""Digitized pages for the demo: pages rendered from known Vietnamese text.

``serepok demo`` gives a few demo DigitalItems real pages, so a reader can open
them in the viewer, zoom, page through and search inside them on a fresh
install. Each page is drawn with Pillow from the text below (written for the
demo, in a DejaVu font that has every Vietnamese glyph), so the box of every
word is known exactly and no OCR runs at demo time. For each page we store:

- the master (PNG) through ``repository.pages.add_canvas``;
- its pyramidal TIFF derivative (pyvips), the source of the IIIF tiles;
- the page text and word boxes (``Canvas.set_ocr``), as OCR would give them;

and for each item a small PDF (Pillow) with its rights and access settings.
``add_scans`` is idempotent: an item that already has pages is left alone.
"""
import functools
import io
import logging
import os
import tempfile

from PIL import Image, ImageDraw, ImageFont

from repository.pages import OPEN, RESTRICTED, add_canvas, pages_of, set_pdf

log = logging.getLogger(__name__)

# A4 at 150 dpi: big enough to zoom into, small enough to keep the first start fast.
WIDTH, HEIGHT, DPI = 1240, 1754, 150
MARGIN = 130
PAPER = (247, 242, 228)
INK = (34, 30, 26)
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
BODY_FONT, TITLE_FONT = "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"
CC_BY = "http://creativecommons.org/licenses/by/4.0/"
IN_COPYRIGHT_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"

# (site, collection path, item title, settings, pages); a page is a heading
# (or "") and paragraphs. The text was written for this demo.
SCANS = [
    ("bmt", ("dia-chi",), "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)",
     {"access": OPEN, "allow_download": True, "rights": CC_BY}, [
         ("Chương 1. Vùng đất và con người", [
             "Đắk Lắk nằm ở trung tâm Tây Nguyên, trên cao nguyên đất đỏ bazan rộng lớn. "
             "Dòng sông Sêrêpốk gom nước của nhiều suối nhỏ rồi chảy về phía tây, qua "
             "thác Dray Nur và Gia Long, sang đất Campuchia.",
             "Từ lâu đời, người Ê Đê, M'nông và Gia Rai sống thành buôn làng dọc các "
             "con suối. Nhà dài là nơi ở của cả một đại gia đình theo chế độ mẫu hệ; "
             "tiếng cồng chiêng vang lên trong mỗi dịp lễ hội.",
             "Tài liệu này là bản mẫu do thư viện soạn để giới thiệu chức năng đọc "
             "trực tuyến: bạn đọc có thể phóng to, lật trang và tìm kiếm trong văn bản.",
         ]),
         ("Chương 2. Buôn Ma Thuột", [
             "Buôn Ma Thuột hình thành từ một buôn nhỏ của người Ê Đê. Đầu thế kỷ hai "
             "mươi, nơi đây trở thành trung tâm hành chính của vùng cao nguyên.",
             "Những đồn điền cà phê đầu tiên được lập trên đất đỏ bazan. Ngày nay cà phê "
             "Buôn Ma Thuột được biết đến ở nhiều nước, và lễ hội cà phê được tổ chức "
             "định kỳ tại thành phố.",
         ]),
         ("Chương 3. Thư viện tỉnh", [
             "Thư viện tỉnh Đắk Lắk phục vụ bạn đọc ở cả hai cơ sở Buôn Ma Thuột và "
             "Tuy Hòa. Kho tài liệu địa chí lưu giữ sách, báo và bản đồ viết về vùng đất "
             "này.",
             "Chương trình số hóa giúp bạn đọc ở xa đọc được tài liệu quý mà không cần "
             "đến thư viện, và giữ gìn bản gốc cho các thế hệ sau.",
         ]),
     ]),
    ("bmt", ("dia-chi", "su-thi"), "Luật tục Ê Đê — bản sưu tầm (tài liệu mẫu)",
     {"access": RESTRICTED, "allow_download": False, "rights": IN_COPYRIGHT_EDU}, [
         ("Phần mở đầu", [
             "Luật tục là những lời nói vần được truyền miệng qua nhiều thế hệ, quy định "
             "cách ứng xử trong buôn làng: việc nương rẫy, việc cưới xin, việc giữ rừng "
             "và bến nước.",
             "Bản sưu tầm này là tài liệu hạn chế: chỉ cán bộ thư viện và bạn đọc đang "
             "mượn bản số hóa được xem.",
         ]),
         ("Về bến nước và rừng", [
             "Bến nước là nơi cả buôn cùng dùng chung, nên ai làm bẩn bến nước thì phải "
             "làm lễ tạ lỗi với buôn làng.",
             "Rừng đầu nguồn được giữ gìn cẩn thận; người chặt cây ở đó phải chịu phạt "
             "theo lời của già làng.",
         ]),
     ]),
    ("tuy-hoa", ("dia-chi",), "Gành Đá Đĩa và bờ biển Tuy Hòa (tài liệu mẫu)",
     {"access": OPEN, "allow_download": True, "rights": CC_BY}, [
         ("Gành Đá Đĩa", [
             "Gành Đá Đĩa là một bãi đá ven biển với hàng nghìn cột đá bazan xếp sát "
             "nhau như những chồng đĩa. Các cột đá hình thành khi dung nham nguội đi "
             "và co lại.",
             "Danh thắng nằm ở phía bắc, cách Tuy Hòa khoảng một giờ đi xe. Mùa đẹp "
             "nhất là từ tháng Ba đến tháng Tám, khi biển lặng.",
         ]),
         ("Bờ biển Tuy Hòa", [
             "Bờ biển Tuy Hòa có bãi cát dài, nước trong, và nhiều làng chài còn giữ "
             "nghề đánh bắt truyền thống.",
             "Ngọn hải đăng trên mũi Đại Lãnh đón ánh bình minh sớm trên đất liền.",
         ]),
     ]),
]


def font(name, size):
    for directory in FONT_DIRS:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            # Basic layout: Vietnamese in NFC needs no shaping, and Raqm (found at run
            # time) can pick up the system FreeType that libvips loaded, which garbles text.
            return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    raise RuntimeError(f"Thiếu phông chữ {name} (gói Debian fonts-dejavu-core) / "
                       f"font {name} is missing (Debian package fonts-dejavu-core)")


def wrap(words, fnt, width):
    """Greedy line breaking of ``words`` to ``width`` pixels."""
    lines, line = [], []
    for word in words:
        candidate = " ".join(line + [word])
        if line and fnt.getlength(candidate) > width:
            lines.append(line)
            line = [word]
        else:
            line.append(word)
    if line:
        lines.append(line)
    return lines


def render_page(header, heading, paragraphs, number):
    """(PNG bytes, text, words) of one page; word boxes in page pixels."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    body, title, small = font(BODY_FONT, 32), font(TITLE_FONT, 44), font(BODY_FONT, 22)
    words, text_lines = [], []

    def put_line(line, fnt, x, y):
        # The box of a word spans the font's whole line height, as OCR line boxes
        # do, so highlights of one line sit level.
        ascent, descent = fnt.getmetrics()
        space = fnt.getlength(" ")
        for word in line:
            draw.text((x, y), word, font=fnt, fill=INK)
            w = fnt.getlength(word)
            words.append((word, int(x), int(y), max(1, round(w)), ascent + descent))
            x += w + space
        text_lines.append(" ".join(line))

    usable = WIDTH - 2 * MARGIN
    put_line(header.split(), small, MARGIN, 70)
    text_lines.append("")
    y = MARGIN + 40
    if heading:
        for line in wrap(heading.split(), title, usable):
            put_line(line, title, MARGIN, y)
            y += 64
        text_lines.append("")
        y += 30
    for paragraph in paragraphs:
        for line in wrap(paragraph.split(), body, usable):
            put_line(line, body, MARGIN, y)
            y += 50
        text_lines.append("")
        y += 24
    if y > HEIGHT - 160:
        raise ValueError("page text too long for the demo page")
    label = f"— {number} —"
    put_line([label], small, (WIDTH - small.getlength(label)) / 2, HEIGHT - 100)
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(DPI, DPI), optimize=True)
    return buf.getvalue(), "\n".join(text_lines).strip(), words


def pyramidal_tiff(data):
    """The digitization line's pyramidal TIFF of an image (what the IIIF server reads),
    or None when pyvips is not installed."""
    try:
        from repository.digitization.derivatives import pyramidal_tiff as make
    except ImportError:  # pragma: no cover - pyvips comes with the digitization line
        log.warning("pyvips is missing: demo pages get no pyramidal TIFF derivative")
        return None
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(data)
        f.flush()
        return make(f.name)


def pdf_of(pngs):
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI,
                   quality=80)
    return buf.getvalue()


def find_item(root, site, path, title):
    container = root.get(site) if hasattr(root, "get") else None
    for segment in path:
        if container is None:
            return None
        container = container.get(segment)
    if container is None:
        return None
    for obj in container.values():
        if getattr(obj, "type_name", None) == "DigitalItem" and obj.title == title:
            return obj
    return None


@functools.lru_cache(maxsize=None)
def rendered(index):
    """([(png, text, words, tiff)], pdf) of ``SCANS[index]``, made once per process
    (the test suite builds the demo many times)."""
    _site, _path, title, _settings, pages = SCANS[index]
    made = []
    for number, (heading, paragraphs) in enumerate(pages, start=1):
        png, text, words = render_page(title, heading, paragraphs, number)
        made.append((png, text, words, pyramidal_tiff(png)))
    return made, pdf_of([m[0] for m in made])


def scan_item(item, index):
    """Give ``item`` the rendered pages of ``SCANS[index]``: masters, derivatives,
    words, the PDF and the item's rights and access settings."""
    made, pdf = rendered(index)
    for number, (png, text, words, tiff) in enumerate(made, start=1):
        canvas = add_canvas(item, png, "image/png", WIDTH, HEIGHT, label=str(number))
        if tiff is not None:
            canvas.set_derivative(tiff)
        canvas.set_ocr(text, words)
    set_pdf(item, pdf)
    for name, value in SCANS[index][3].items():
        setattr(item, name, value)


def add_scans(root):
    """Scan the demo items that have no pages yet; returns how many pages were added."""
    added = 0
    for index, (site, path, title, _settings, pages) in enumerate(SCANS):
        item = find_item(root, site, path, title)
        if item is None or pages_of(item):
            continue
        scan_item(item, index)
        added += len(pages)
    return added
