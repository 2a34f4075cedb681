"""What the digitization tests share: scans rendered from known Vietnamese text,
bad files of every kind, an item to digitize, and running queued jobs here."""
import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

TITLE_PAGE = [
    ("LỊCH SỬ ĐẮK LẮK", 80),
    ("Nguyễn Văn An", 44),
    ("Nhà xuất bản Văn hóa Dân tộc", 40),
    ("Hà Nội, 2015", 40),
    ("ISBN 978-604-70-1234-3", 36),   # check digit of 978604701234 is 3
]
BODY = ["Đắk Lắk là một tỉnh thuộc vùng Tây Nguyên của Việt Nam.",
        "Sông Sêrêpốk chảy qua nhiều huyện trong tỉnh.",
        "Lịch sử vùng đất này gắn với các dân tộc Ê Đê và M'nông."]


def render_page(lines, size=(1240, 1754), dpi=150, fmt="PNG", top=120):
    """A white page with ``lines`` ([(text, px)] or [text]) in black; returns
    ``(bytes, {text: (x, y, w, h)})`` with each line's box in page pixels."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    boxes, y = {}, top
    for line in lines:
        text, px = line if isinstance(line, tuple) else (line, 30)
        # BASIC layout: with libvips loaded (pyvips), Pillow's raqm layout measures absurd widths
        font = ImageFont.truetype(FONT, px, layout_engine=ImageFont.Layout.BASIC)
        left, t, right, bottom = draw.textbbox((100, y), text, font=font)
        draw.text((100, y), text, font=font, fill=0)
        boxes[text] = (left, t, right - left, bottom - t)
        y += int(px * 1.9)
    out = io.BytesIO()
    page.save(out, format=fmt, dpi=(dpi, dpi))
    return out.getvalue(), boxes


def blank_page(size=(1240, 1754), dpi=150):
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def pdf_of(images, dpi=150):
    import img2pdf
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    return img2pdf.convert(list(images), layout_fun=layout)


def encrypted_pdf(images):
    import pikepdf
    pdf = pikepdf.open(io.BytesIO(pdf_of(images)))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="chu", user="mat-khau"))
    return out.getvalue()


def text_only_pdf():
    """A one-page PDF with a line of text and no image at all (not a scan)."""
    import pikepdf
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font,
                                                Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (Hello) Tj ET")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def zero_page_pdf():
    import pikepdf
    out = io.BytesIO()
    pikepdf.new().save(out)
    return out.getvalue()


def corrupt_pdf():
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n" + b"\x00garbage" * 50


def make_item(portal, title="Bản quét thử"):
    """Both sites, a collection in ``bmt`` and a private digital item in it; its uid."""
    from repository.interfaces import IContentService
    from repository.resources import Site
    with portal() as p:
        root = p.root
        for name, title_ in (("bmt", "Cơ sở Buôn Ma Thuột"), ("tuy-hoa", "Cơ sở Tuy Hòa")):
            if name not in root:
                site = Site(title=title_, code=name.upper()[:3])
                site.state = "published"
                root.add(name, site)
        service = p.request.find_service(IContentService)
        if "so-hoa" not in root["bmt"]:
            _c, errors = service.add(root["bmt"], "Collection", {"title": "Số hóa"}, name="so-hoa")
            assert not errors
            service.transition(root["bmt"]["so-hoa"], "publish")
        item, errors = service.add(root["bmt"]["so-hoa"], "DigitalItem", {"title": title})
        assert not errors, errors
        return item.uid, item.__name__


def item_of(portal_env, uid):
    from repository.digitization.jobs import find_item
    return find_item(portal_env.root, uid)


def stage_and_queue(portal, uid, files):
    """Stage ``files`` ([(name, bytes)]) for the item and queue a digitize job (as the view does)."""

    from ils.jobs import enqueue
    from repository.digitization import staging

    class Field:
        def __init__(self, name, data):
            self.filename, self.file = name, io.BytesIO(data)

    with portal() as p:
        batch, names = staging.receive(p.request.registry.settings, uid,
                                       [Field(n, d) for n, d in files])
        job = enqueue(p.request, "digitize", target=uid, site="bmt",
                      params={"batch": batch, "files": names})
        return job.id


def run_queued(app):
    """Run every queued job here, as a worker would; returns their final statuses."""
    from sqlalchemy import select

    from ils.jobs.models import QUEUED, Job
    from ils.jobs.runner import bookkeeping, run_job
    statuses = {}
    while True:
        with bookkeeping(app.registry) as s:
            ids = s.scalars(select(Job.id).where(Job.status == QUEUED).order_by(Job.id)).all()
        if not ids:
            return statuses
        for job_id in ids:
            statuses[job_id] = run_job(app.registry, job_id)


def job_row(app, job_id):
    from ils.jobs.models import Job
    from ils.jobs.runner import bookkeeping
    with bookkeeping(app.registry) as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job
