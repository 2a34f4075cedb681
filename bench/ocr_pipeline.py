"""OCR line: pages per minute of the whole digitize job beside Tesseract alone, and the
character error rate of Vietnamese OCR on pages rendered from known text.

    python bench/ocr_pipeline.py [--pages 30] [--dpi 300] [--repeat 3] [--json out.json]
    python bench/ocr_pipeline.py --pages 300 --book      # a whole book, pipeline only

1. Renders ``--pages`` A4 pages at ``--dpi`` from the Vietnamese text below
   (DejaVu Serif, book-like 11 pt lines), as PNG scans.
2. Tesseract alone, two ways, one single-threaded ``tesseract … -l vie+eng``
   (``OMP_THREAD_LIMIT=1``) per core at a time, text output only:
   "per page" starts one Tesseract per page (the issue's reference);
   "batched" gives each core one Tesseract with its share of the pages in a
   list (the models loaded once per core: the fastest Tesseract alone can be).
3. The whole pipeline on the same pages and the same cores: a real app on
   throwaway stores, the pages staged as an upload, the ``digitize`` job run to
   its end by the worker's own runner (masters + SHA-256, Tesseract → hOCR and
   text layer, PDF/A, word boxes, pyramidal TIFFs, metadata suggestion, every
   commit). Clock time and CPU time (this process + its children) of each.
4. ``--repeat N`` runs 2 and 3 N times, alternating, and reports the medians
   (the machine is shared: single runs vary by ±10%).
5. CER of the pipeline's page text against the rendered text: Levenshtein
   distance / length of the truth, both NFC with whitespace runs made one space.
6. ``--book``: the pipeline alone on all ``--pages`` (say 300), measured, not
   extrapolated; CER as above.
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


def tesseract_batched(pages, cores, out):
    """One Tesseract per core over a list of its pages (contiguous shares)."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    paths = [p for p, _t in pages]
    shares = [paths[i * len(paths) // cores:(i + 1) * len(paths) // cores] for i in range(cores)]

    def one(k):
        listing = os.path.join(out, f"share-{k}.list")
        with open(listing, "w") as f:
            f.write("".join(p + "\n" for p in shares[k]))
        subprocess.run(["tesseract", listing, os.path.join(out, f"share-{k}"), "-l", "vie+eng",
                        "txt"], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(cores) as pool:
        list(pool.map(one, [k for k in range(cores) if shares[k]]))
    return time.perf_counter() - start


def measured(fn):
    """``(clock seconds, CPU seconds, result)`` of ``fn()``."""
    cpu = cpu_seconds()
    seconds, result = fn()
    return seconds, cpu_seconds() - cpu, result


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
        statuses = run_queued(app)       # the worker's runner (ils.jobs.runner.run_job)
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


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else sum(values[len(values) // 2 - 1:
                                                                         len(values) // 2 + 1]) / 2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--book", action="store_true", help="the pipeline only, measured once")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serepok-ocr-bench-") as tmp:
        os.makedirs(os.path.join(tmp, "pages"))
        os.makedirs(os.path.join(tmp, "tess"))
        pages = render_pages(os.path.join(tmp, "pages"), args.pages, args.dpi)
        n = len(pages)
        chars = sum(len(normalize(t)) for _p, t in pages)
        print(f"{n} trang / pages, {args.dpi} dpi, {chars} ký tự / characters, "
              f"{args.cores} lõi / cores; load average {os.getloadavg()[0]:.2f}", flush=True)
        runs = {"alone": [], "batched": [], "pipeline": []}
        alone_texts = texts = extra = None
        for r in range(1 if args.book else args.repeat):
            var = os.path.join(tmp, f"var-{r}")
            os.makedirs(var)
            if not args.book:
                s, c, alone_texts = measured(lambda: tesseract_alone(
                    pages, args.cores, os.path.join(tmp, "tess")))
                runs["alone"].append((s, c))
                s, c, _ = measured(lambda: (tesseract_batched(
                    pages, args.cores, os.path.join(tmp, "tess")), None))
                runs["batched"].append((s, c))
            s, c, texts, extra = pipeline(pages, args.cores, var)   # the job's run only
            runs["pipeline"].append((s, c))
            line = "  ".join(f"{k} {v[-1][0]:.1f} s" for k, v in runs.items() if v)
            print(f"run {r + 1}: {line}", flush=True)
        result = {"pages": n, "dpi": args.dpi, "cores": args.cores, "characters": chars,
                  "repeat": len(runs["pipeline"]), "runs": runs}
        for key, label in (("alone", "Tesseract alone, per page"),
                           ("batched", "Tesseract alone, batched"),
                           ("pipeline", "Whole pipeline")):
            if not runs[key]:
                continue
            s, c = median([x[0] for x in runs[key]]), median([x[1] for x in runs[key]])
            result[f"{key}_seconds"], result[f"{key}_pages_per_minute"] = round(s, 2), round(60 * n / s, 2)
            result[f"{key}_cpu_per_page"] = round(c / n, 3)
            print(f"{label:27s} {s:7.1f} s  {60 * n / s:6.2f} pages/min  CPU {c / n:.2f} s/page",
                  flush=True)
        ok = True
        for key, label in (("alone", "per page"), ("batched", "batched")):
            if runs[key]:
                ratio = result[f"{key}_seconds"] / result["pipeline_seconds"]
                cpu_ratio = result[f"{key}_cpu_per_page"] / result["pipeline_cpu_per_page"]
                result[f"ratio_{key}"], result[f"cpu_ratio_{key}"] = round(ratio, 3), round(cpu_ratio, 3)
                ok = ok and ratio >= 0.85
                print(f"Pipeline / Tesseract alone ({label}): {ratio:.0%} in pages per minute "
                      f"(target >= 85%), {cpu_ratio:.0%} in CPU time per page", flush=True)
        errors = [cer(t, found) for (_p, t), found in zip(pages, texts)]
        rates = [d / m for d, m in errors]
        total = sum(d for d, _m in errors)
        result.update(cer=round(total / chars, 5), cer_page_max=round(max(rates), 5), **extra)
        summary = f"CER pipeline: {total / chars:.2%} (pages: min {min(rates):.2%}, max {max(rates):.2%})"
        if alone_texts:
            total_alone = sum(cer(t, f)[0] for (_p, t), f in zip(pages, alone_texts))
            result["cer_tesseract_alone"] = round(total_alone / chars, 5)
            summary += f"; Tesseract alone: {total_alone / chars:.2%}"
        print(summary + " (target < 3%)")
        if args.book:
            print(f"The book: {n} pages in {result['pipeline_seconds'] / 60:.1f} min, unattended, "
                  f"{extra['warnings']} warnings, PDF/A {extra['pdf_bytes'] / 2**20:.1f} MiB")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"Peak memory: this process {peak:.0f} MiB, largest child {children:.0f} MiB; "
              f"load average {os.getloadavg()[0]:.2f}")
        result.update(peak_rss_mib=round(peak), peak_child_rss_mib=round(children),
                      load_average=os.getloadavg())
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
    return 0 if ok and total / chars < 0.03 else 3


if __name__ == "__main__":
    sys.exit(main())
