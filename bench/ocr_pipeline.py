"""OCR line: pages per minute of the whole digitize job beside Tesseract alone, and the
character error rate of Vietnamese OCR on pages rendered from known text.

    python bench/ocr_pipeline.py [--pages 10] [--dpi 300] [--json out.json]

1. Renders ``--pages`` A4 pages at ``--dpi`` from the Vietnamese text below
   (DejaVu Serif, book-like 11 pt lines), as PNG scans.
2. Tesseract alone: one single-threaded ``tesseract … -l vie+eng`` per core
   (``OMP_THREAD_LIMIT=1``), the pages shared between them, text output only.
3. The whole pipeline on the same pages and the same cores: a real app on
   throwaway stores, the pages staged as an upload, the ``digitize`` job run to
   its end (masters + SHA-256, OCRmyPDF → PDF/A + hOCR, word boxes, pyramidal
   TIFFs, metadata suggestion, every commit).
4. CER of the pipeline's page text against the rendered text: Levenshtein
   distance / length of the truth, both NFC with whitespace runs made one space.
5. A 300-page book: extrapolated from the pipeline's pages per minute (say so).
"""
import argparse
import concurrent.futures
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

# Known text (written for this benchmark): everyday Vietnamese prose with every tone mark
# and the letters ă â đ ê ô ơ ư in upper and lower case.
PARAGRAPHS = [
    "Đắk Lắk là tỉnh nằm ở trung tâm vùng Tây Nguyên, nổi tiếng với những đồi cà phê trải dài "
    "và các buôn làng của người Ê Đê, M'nông, Gia Rai. Thành phố Buôn Ma Thuột được gọi là "
    "thủ phủ cà phê của Việt Nam.",
    "Mùa khô thường kéo dài từ tháng mười một đến tháng tư năm sau. Khi những cơn mưa đầu mùa "
    "đổ xuống, nông dân bắt đầu trồng dặm, bón phân và chăm sóc vườn cây.",
    "Thư viện tỉnh lưu giữ nhiều tài liệu quý: sách cổ, báo chí xuất bản trước năm 1975, bản đồ "
    "địa chính và những bản chép tay sử thi Đăm San, Xinh Nhã.",
    "Việc số hóa giúp bạn đọc ở xa có thể xem tài liệu qua mạng, tìm kiếm theo từng chữ và tải "
    "về bản PDF khi quyền sử dụng cho phép.",
    "Ông Nguyễn Văn Hùng, cán bộ thư viện, kể rằng mỗi tuần có hàng trăm học sinh đến đọc sách, "
    "mượn truyện tranh và tham gia câu lạc bộ kể chuyện.",
    "Lễ hội cà phê được tổ chức hai năm một lần, thu hút du khách trong nước và quốc tế. Tiếng "
    "cồng chiêng vang lên giữa đêm, hòa cùng ánh lửa bập bùng.",
    "Hồ Lắk rộng hơn năm trăm héc-ta, là nơi sinh sống của nhiều loài cá và chim. Người dân "
    "quanh hồ vẫn giữ nghề đan lát, dệt thổ cẩm truyền thống.",
    "Ủy ban nhân dân tỉnh đã phê duyệt đề án phát triển văn hóa đọc đến năm 2030, với mục tiêu "
    "mỗi xã, phường đều có tủ sách cộng đồng.",
    "Trên đường về, chúng tôi ghé thăm thác Dray Nur, nơi dòng Sêrêpốk đổ xuống ầm ầm, bọt "
    "nước trắng xóa như những dải lụa.",
    "Ở đây, ai cũng hiếu khách: bà cụ mời chén rượu cần, cậu bé chỉ đường, cô giáo tặng cuốn sổ "
    "nhỏ ghi những câu ca dao về quê hương.",
]


def wrap(draw, text, font, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def render_pages(directory, count, dpi):
    """``count`` pages as PNG files; returns ``[(path, truth text)]``."""
    from PIL import Image, ImageDraw, ImageFont
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    px = round(11 / 72 * dpi)                                     # 11 pt type
    font = ImageFont.truetype(FONT, px, layout_engine=ImageFont.Layout.BASIC)
    margin, step = round(0.9 * dpi), round(px * 1.45)
    pages, index = [], 0
    for number in range(count):
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        y, truth = margin, []
        while True:
            paragraph = PARAGRAPHS[index % len(PARAGRAPHS)]
            lines = wrap(draw, paragraph, font, width - 2 * margin)
            if y + step * (len(lines) + 1) > height - margin:
                break
            for line in lines:
                draw.text((margin, y), line, font=font, fill=0)
                y += step
            y += step // 2
            truth.append(" ".join(lines))
            index += 1
        path = os.path.join(directory, f"{number + 1:04d}.png")
        page.save(path, dpi=(dpi, dpi))
        pages.append((path, "\n".join(truth)))
    return pages


def normalize(text):
    return " ".join(unicodedata.normalize("NFC", text).split())


def levenshtein(a, b, band=None):
    """Edit distance (insertions, deletions, substitutions of characters).

    Computed in a diagonal band of half-width ``band`` (Ukkonen): exact whenever the
    distance fits in the band; the band doubles until it does.
    """
    n, m = len(a), len(b)
    band = max(band or 64, abs(n - m) + 1)
    big = n + m + 1
    while True:
        previous = [j if j <= band else big for j in range(m + 1)]
        for i in range(1, n + 1):
            lo, hi = max(1, i - band), min(m, i + band)
            current = [big] * (m + 1)
            current[0] = i if i <= band else big
            ca = a[i - 1]
            for j in range(lo, hi + 1):
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (ca != b[j - 1]))
            previous = current
        if previous[m] <= band or band >= max(n, m):
            return previous[m]
        band *= 2


def cer(truth, found):
    """``(distance, length of the truth)`` after NFC and one space for each whitespace run."""
    truth, found = normalize(truth), normalize(found)
    return levenshtein(truth, found), len(truth)


def cpu_seconds():
    """User + system CPU time of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def tesseract_alone(pages, cores, out):
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(path):
        base = os.path.join(out, os.path.basename(path))
        subprocess.run(["tesseract", path, base, "-l", "vie+eng", "txt"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(base + ".txt", encoding="utf-8") as f:
            return f.read()
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(cores) as pool:
        texts = list(pool.map(one, [p for p, _t in pages]))
    return time.perf_counter() - start, texts


def pipeline(pages, cores, var):
    from portal import main
    from tests.digitization_support import item_of, job_row, make_item, run_queued, stage_and_queue
    from tests.conftest import Portal
    settings = {"zodbconn.uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
                "sqlalchemy.url": f"sqlite:///{var}/serepok.sqlite", "serepok.var": var,
                "serepok.secret": "bench", "digitization.ocr_jobs": str(cores)}
    app = main({}, **settings)
    try:
        uid, _name = make_item(lambda: Portal(app), "Trang đo / benchmark pages")
        files = []
        for path, _t in pages:
            with open(path, "rb") as f:
                files.append((os.path.basename(path), f.read()))
        job_id = stage_and_queue(lambda: Portal(app), uid, files)
        del files
        start, cpu = time.perf_counter(), cpu_seconds()
        statuses = run_queued(app)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        job = job_row(app, job_id)
        if statuses.get(job_id) != "done":
            raise SystemExit(f"the job failed: {job.message_en}")
        with Portal(app) as p:
            texts = [c.text for c in item_of(p, uid).pages]
            pdf_size = item_of(p, uid).pdf_size
        return seconds, cpu, texts, {"warnings": len(job.warnings), "pdf_bytes": pdf_size}
    finally:
        for db in app.registry._zodb_databases.values():
            db.close()
        app.registry["dbengine"].dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serepok-ocr-bench-") as tmp:
        os.makedirs(os.path.join(tmp, "pages"))
        os.makedirs(os.path.join(tmp, "tess"))
        os.makedirs(os.path.join(tmp, "var"))
        pages = render_pages(os.path.join(tmp, "pages"), args.pages, args.dpi)
        chars = sum(len(normalize(t)) for _p, t in pages)
        print(f"{len(pages)} trang / pages, {args.dpi} dpi, {chars} ký tự / characters, "
              f"{args.cores} lõi / cores", flush=True)
        cpu = cpu_seconds()
        alone_s, alone_texts = tesseract_alone(pages, args.cores, os.path.join(tmp, "tess"))
        alone_cpu = cpu_seconds() - cpu
        alone_ppm = 60 * len(pages) / alone_s
        print(f"Tesseract alone:  {alone_s:7.1f} s  {alone_ppm:6.2f} pages/min  "
              f"CPU {alone_cpu / len(pages):.2f} s/page", flush=True)
        whole_s, whole_cpu, texts, extra = pipeline(pages, args.cores, os.path.join(tmp, "var"))
        whole_ppm = 60 * len(pages) / whole_s
        ratio = whole_ppm / alone_ppm
        print(f"Whole pipeline:   {whole_s:7.1f} s  {whole_ppm:6.2f} pages/min  "
              f"CPU {whole_cpu / len(pages):.2f} s/page", flush=True)
        print(f"Pipeline / Tesseract alone: {ratio:.0%} in pages per minute (target >= 85%), "
              f"{alone_cpu / whole_cpu:.0%} in CPU time per page", flush=True)
        errors = [cer(t, found) for (_p, t), found in zip(pages, texts)]
        errors_alone = [cer(t, found) for (_p, t), found in zip(pages, alone_texts)]
        rates = [d / n for d, n in errors]
        total = sum(d for d, _n in errors)
        total_alone = sum(d for d, _n in errors_alone)
        print(f"CER pipeline: {total / chars:.2%} (pages: min {min(rates):.2%}, max "
              f"{max(rates):.2%}); Tesseract alone: {total_alone / chars:.2%} "
              "(target < 3%)")
        book = 300 / whole_ppm
        print(f"A 300-page book (extrapolated from {len(pages)} pages, not measured): "
              f"{book:.0f} min")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"Peak memory: this process {peak:.0f} MiB, largest child {children:.0f} MiB")
        result = {"pages": len(pages), "dpi": args.dpi, "cores": args.cores, "characters": chars,
                  "tesseract_alone_seconds": round(alone_s, 2),
                  "tesseract_alone_pages_per_minute": round(alone_ppm, 2),
                  "pipeline_seconds": round(whole_s, 2),
                  "pipeline_pages_per_minute": round(whole_ppm, 2), "ratio": round(ratio, 3),
                  "tesseract_alone_cpu_per_page": round(alone_cpu / len(pages), 3),
                  "pipeline_cpu_per_page": round(whole_cpu / len(pages), 3),
                  "load_average": os.getloadavg(),
                  "cer": round(total / chars, 5), "cer_page_max": round(max(rates), 5),
                  "cer_tesseract_alone": round(total_alone / chars, 5),
                  "book_300_minutes_extrapolated": round(book, 1),
                  "peak_rss_mib": round(peak), "peak_child_rss_mib": round(children), **extra}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    return 0 if ratio >= 0.85 and total / chars < 0.03 else 3


if __name__ == "__main__":
    sys.exit(main())
