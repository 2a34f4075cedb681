"""Demo content for both sites, generated in code (no copyrighted text).

``create_demo`` is idempotent: a second run finds the sites and leaves them
alone.  Demo accounts get random passwords, written to ``var/demo-logins.txt``
(mode 0600) and printed by ``make run``; nothing secret is in the repository.
Audio chapters are spoken by espeak-ng and encoded to Ogg Vorbis by sox when
they are installed, otherwise a short generated tone stands in.
"""
import io
import math
import os
import secrets
import shutil
import struct
import subprocess
import tempfile
import wave

from ils.accounts.services import IAccountService
from repository.interfaces import IContentService
from repository.resources import Site
from repository.security import Role
from repository.uploads import audio_duration

from .demo_scans import add_scans
from .demo_circulation import create_circulation_demo
from .demo_union import create_union_demo

SITES = [
    ("bmt", {
        "title": "Thư viện tỉnh Đắk Lắk — cơ sở Buôn Ma Thuột",
        "code": "BMT",
        "description": "Trụ sở chính của Thư viện tỉnh tại trung tâm thành phố Buôn Ma Thuột.",
        "address": "Phường Buôn Ma Thuột, tỉnh Đắk Lắk",
        "phone": "0262 000 0001",
        "email": "bmt@thuvien.example.vn",
        "opening_hours": "Thứ Hai – Thứ Sáu: 7:30 – 17:00\nThứ Bảy, Chủ nhật: 8:00 – 16:00",
    }),
    ("tuy-hoa", {
        "title": "Thư viện tỉnh Đắk Lắk — cơ sở Tuy Hòa",
        "code": "TH",
        "description": "Cơ sở Tuy Hòa, nguyên là Thư viện tỉnh Phú Yên trước khi hợp nhất năm 2025.",
        "address": "Phường Tuy Hòa, tỉnh Đắk Lắk",
        "phone": "0257 000 0002",
        "email": "tuyhoa@thuvien.example.vn",
        "opening_hours": "Thứ Hai – Thứ Sáu: 7:00 – 11:30, 13:30 – 17:00\nThứ Bảy: 8:00 – 11:30",
    }),
]

# (site, collection path, type, fields, chapters)
CONTENT = [
    ("bmt", ("dia-chi",), "Collection", {"title": "Tài liệu địa chí Đắk Lắk",
     "description": "Sách, báo, tư liệu viết về vùng đất và con người Đắk Lắk."}, None),
    ("bmt", ("dia-chi", "su-thi"), "Collection", {"title": "Sử thi và văn hóa Tây Nguyên",
     "description": "Tư liệu sưu tầm về sử thi, luật tục và lễ hội của các dân tộc Ê Đê, M'nông, Gia Rai."}, None),
    ("bmt", ("quy-hiem",), "Collection", {"title": "Tài liệu quý hiếm",
     "description": "Bản số hóa các tài liệu cũ, bản in hiếm của thư viện."}, None),
    ("bmt", ("sach-noi",), "Collection", {"title": "Sách nói",
     "description": "Sách nói do thư viện thực hiện cho bạn đọc khiếm thị và người bận rộn."}, None),
    ("bmt", ("dia-chi",), "DigitalItem", {
        "title": "Lịch sử Đắk Lắk qua các thời kỳ (tài liệu mẫu)",
        "description": "Tài liệu mẫu minh họa: tổng quan lịch sử hình thành vùng đất Đắk Lắk.",
        "creators": ["Ban biên soạn thư viện"], "subjects": ["Lịch sử", "Đắk Lắk", "Tây Nguyên"],
        "publisher": "Thư viện tỉnh Đắk Lắk", "place": "Buôn Ma Thuột", "year": "2024",
        "language": "vie", "ddc": "959.765", "call_number": "959.765 L302S", "extent": "120 tr. ; 24 cm"}, None),
    ("bmt", ("dia-chi",), "DigitalItem", {
        "title": "Cà phê Buôn Ma Thuột: từ đồn điền đến thương hiệu (tài liệu mẫu)",
        "description": "Tài liệu mẫu về lịch sử cây cà phê trên cao nguyên.",
        "creators": ["Nguyễn Văn Mẫu"], "subjects": ["Cà phê", "Kinh tế nông nghiệp", "Buôn Ma Thuột"],
        "publisher": "Thư viện tỉnh Đắk Lắk", "year": "2023", "language": "vie", "ddc": "633.73"}, None),
    ("bmt", ("dia-chi", "su-thi"), "DigitalItem", {
        "title": "Luật tục Ê Đê — bản sưu tầm (tài liệu mẫu)",
        "description": "Tài liệu mẫu giới thiệu luật tục của người Ê Đê ở Krông Pắc, Krông Búk.",
        "creators": ["Trần Thị Minh Họa"], "subjects": ["Luật tục", "Ê Đê", "Văn hóa dân gian"],
        "year": "2022", "language": "vie", "ddc": "340.5209597"}, None),
    ("bmt", ("quy-hiem",), "DigitalItem", {
        "title": "Bản đồ hành chính tỉnh Darlac năm 1950 (bản số hóa mẫu)",
        "description": "Bản số hóa mẫu một bản đồ cũ; chỉ xem trực tuyến.",
        "subjects": ["Bản đồ", "Đắk Lắk"], "year": "1950", "language": "fre",
        "rights": "Chỉ xem tại thư viện và trực tuyến; không sao chép thương mại."}, None),
    ("bmt", ("sach-noi",), "Audiobook", {
        "title": "Chuyện kể bên bếp lửa nhà dài (sách nói mẫu)",
        "description": "Sách nói mẫu do giọng đọc tổng hợp thực hiện.",
        "creators": ["Thư viện tỉnh Đắk Lắk"], "narrators": ["Giọng đọc tổng hợp espeak-ng"],
        "subjects": ["Truyện kể", "Tây Nguyên"], "language": "vie", "year": "2025"},
     [("Chương 1: Nhà dài buôn Ako Dhong", "Chương một. Nhà dài của buôn Ako Dhong nằm bên dòng suối mát."),
      ("Chương 2: Tiếng chiêng ngày hội", "Chương hai. Ngày hội về, tiếng chiêng vang khắp núi rừng Tây Nguyên.")]),
    ("tuy-hoa", ("dia-chi",), "Collection", {"title": "Tài liệu địa chí Phú Yên",
     "description": "Tư liệu về vùng đất Phú Yên, nay thuộc tỉnh Đắk Lắk."}, None),
    ("tuy-hoa", ("thieu-nhi",), "Collection", {"title": "Sách nói thiếu nhi",
     "description": "Truyện đọc cho các em nhỏ."}, None),
    ("tuy-hoa", ("dia-chi",), "DigitalItem", {
        "title": "Gành Đá Đĩa và bờ biển Tuy Hòa (tài liệu mẫu)",
        "description": "Tài liệu mẫu về danh thắng ven biển.",
        "creators": ["Lê Văn Ví Dụ"], "subjects": ["Du lịch", "Địa lý", "Phú Yên"],
        "publisher": "Thư viện tỉnh Đắk Lắk", "place": "Tuy Hòa", "year": "2021", "language": "vie",
        "ddc": "915.9755"}, None),
    ("tuy-hoa", ("dia-chi",), "DigitalItem", {
        "title": "Hát bài chòi Phú Yên (tài liệu mẫu)",
        "description": "Tài liệu mẫu giới thiệu nghệ thuật bài chòi.",
        "subjects": ["Âm nhạc dân gian", "Bài chòi"], "year": "2020", "language": "vie"}, None),
    ("tuy-hoa", ("thieu-nhi",), "Audiobook", {
        "title": "Chú rùa biển ở vịnh Xuân Đài (sách nói mẫu)",
        "description": "Truyện ngắn mẫu cho thiếu nhi, giọng đọc tổng hợp.",
        "narrators": ["Giọng đọc tổng hợp espeak-ng"], "subjects": ["Thiếu nhi", "Biển"],
        "language": "vie", "year": "2025"},
     [("Phần 1", "Phần một. Chú rùa biển nhỏ lần đầu nhìn thấy vịnh Xuân Đài."),
      ("Phần 2", "Phần hai. Chú rùa bơi ra biển lớn và hứa sẽ quay về.")]),
]

NEWS = [
    ("bmt", "NewsItem", {"title": "Khai trương không gian đọc sách cho thiếu nhi",
     "description": "Không gian mới ở tầng một mở cửa từ tuần này.",
     "body": "Thư viện mở không gian đọc dành cho thiếu nhi với hơn hai nghìn đầu sách.\n\nCác em đến cùng phụ huynh được hướng dẫn làm thẻ miễn phí."}),
    ("bmt", "Page", {"title": "Nội quy thư viện",
     "body": "Bạn đọc xuất trình thẻ khi vào thư viện.\n\nGiữ trật tự, không mang đồ ăn vào phòng đọc."}),
    ("tuy-hoa", "NewsItem", {"title": "Triển lãm ảnh biển Phú Yên xưa và nay",
     "description": "Triển lãm mở cửa tự do tại sảnh cơ sở Tuy Hòa.",
     "body": "Hơn một trăm bức ảnh tư liệu được giới thiệu tới bạn đọc.\n\nTriển lãm kéo dài đến hết tháng."}),
    ("tuy-hoa", "Page", {"title": "Hướng dẫn làm thẻ bạn đọc",
     "body": "Bạn đọc mang căn cước công dân đến quầy hoặc đăng ký trực tuyến.\n\nThẻ dùng được ở cả hai cơ sở."}),
]

DEMO_USERS = [
    ("quantri", "Quản trị hệ thống", [Role.MANAGER.value], []),
    ("quantri.bmt", "Quản trị cơ sở Buôn Ma Thuột", [], [("bmt", Role.SITE_ADMIN.value)]),
    ("thuthu.bmt", "Thủ thư Buôn Ma Thuột", [], [("bmt", Role.LIBRARIAN.value)]),
    ("thuthu.tuyhoa", "Thủ thư Tuy Hòa", [], [("tuy-hoa", Role.LIBRARIAN.value)]),
    ("bandoc", "Bạn đọc mẫu", [Role.READER.value], []),
]


def speech(text):
    """(bytes, media type) of ``text`` spoken in Vietnamese, or a tone if no espeak-ng/sox."""
    if shutil.which("espeak-ng") and shutil.which("sox"):
        with tempfile.TemporaryDirectory() as tmp:
            wav, ogg = os.path.join(tmp, "a.wav"), os.path.join(tmp, "a.ogg")
            subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", wav, text],
                           check=True, capture_output=True)
            subprocess.run(["sox", wav, "-C", "3", ogg], check=True, capture_output=True)
            with open(ogg, "rb") as f:
                return f.read(), "audio/ogg"
    return tone(2.0), "audio/wav"


def tone(seconds, rate=16000, freq=440):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate)))
                          for i in range(int(seconds * rate)))
        w.writeframes(frames)
    return buf.getvalue()


def logins_path(request):
    return os.path.join(request.registry.settings["serepok.var"], "demo-logins.txt")


def create_users(request, reset_passwords=False):
    accounts = request.find_service(IAccountService)
    root = request.root
    lines = []
    for login, name, roles, site_roles in DEMO_USERS:
        user = accounts.by_login(login)
        password = None
        if user is None:
            password = secrets.token_urlsafe(9)
            user = accounts.create(login, password, display_name=name, roles=roles)
        elif reset_passwords:
            password = secrets.token_urlsafe(9)
            accounts.set_password(user, password)
        for site_name, role in site_roles:
            root[site_name].grant(user.id, role)
        if password:
            lines.append(f"{login:15} {password:15} {name}")
    if lines:
        path = logins_path(request)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("Tài khoản mẫu / demo logins (tên đăng nhập, mật khẩu, vai trò)\n")
            f.write("\n".join(lines) + "\n")
    path = logins_path(request)
    return open(path).read() if os.path.exists(path) else ""


def create_demo(request, reset_passwords=False):
    """Create both sites and their content if missing; returns (created, logins text)."""
    root = request.root
    service = request.find_service(IContentService)
    created = False
    for name, fields in SITES:
        if name not in root:
            site = Site(**fields)          # a new site comes with its own catalogue
            site.state = "published"
            root.add(name, site)
            created = True
    if created:
        for site_name, path, type_name, fields, chapters in CONTENT:
            container = root[site_name]
            for segment in path[:-1]:
                container = container[segment]
            if type_name == "Collection":
                obj, errors = service.add(container, type_name, fields, name=path[-1])
            else:
                obj, errors = service.add(container[path[-1]], type_name, fields)
            assert not errors, errors
            for title, text in chapters or ():
                data, media_type = speech(text)
                obj.add_track(title, data, media_type, audio_duration(data))
            service.transition(obj, "publish")
        for site_name, type_name, fields in NEWS:
            obj, errors = service.add(root[site_name], type_name, fields)
            assert not errors, errors
            service.transition(obj, "publish")
        draft, _e = service.add(root["bmt"]["dia-chi"], "DigitalItem", {
            "title": "Bản thảo: Đình làng Lạc Giao (đang biên mục)",
            "description": "Bản nháp riêng tư, chỉ cán bộ cơ sở Buôn Ma Thuột thấy."})
    add_scans(root)                        # pages of a few digitized items (idempotent)
    logins = create_users(request, reset_passwords)
    create_circulation_demo(request)       # readers, copies, loans, holds (idempotent)
    create_union_demo(request)             # a commune library and its books (idempotent)
    return created, logins
