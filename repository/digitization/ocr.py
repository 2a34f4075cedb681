"""OCR with OCRmyPDF and Tesseract (``vie+eng``): a searchable PDF/A and hOCR per page.

OCRmyPDF runs one single-threaded Tesseract per core (``--jobs`` = cores,
``OMP_THREAD_LIMIT=1``: more threads per process only make batches slower). It
keeps its intermediate files (``-k``) in a directory of ours, where the hOCR of
each page (``000001_ocr_hocr.hocr``…) is both the progress count while it runs
and the source of the word boxes afterwards, so each page is recognised once.
"""
import ctypes
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from lxml import etree

from . import JobFailure

LANGUAGES = "vie+eng"
BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")
CONF = re.compile(r"x_wconf (\d+)")
BLOCKS = ("ocr_par",)
LINES = ("ocr_line", "ocr_caption", "ocr_textfloat", "ocr_header")


def cores(settings=None):
    configured = int((settings or {}).get("digitization.ocr_jobs", 0) or 0)
    return configured or len(os.sched_getaffinity(0)) or 1


def _die_with_parent():
    """OCR children die with the worker thread that started them (a killed worker
    leaves no Tesseract burning the cores)."""
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except OSError:
        pass


def images_to_pdf(paths, out_path, dpis):
    """One PDF whose pages are the images, unchanged (img2pdf), built page by page on disk."""
    import img2pdf
    import pikepdf
    directory = tempfile.mkdtemp(dir=os.path.dirname(out_path))
    try:
        pdf = pikepdf.new()
        sources = []
        for i, (path, dpi) in enumerate(zip(paths, dpis)):
            one = os.path.join(directory, f"{i:06d}.pdf")
            layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
            with open(one, "wb") as f:
                img2pdf.convert(path, layout_fun=layout, outputstream=f, rotation=img2pdf.Rotation.ifvalid)
            source = pikepdf.open(one)
            sources.append(source)
            pdf.pages.extend(source.pages)
        pdf.save(out_path)
        for source in sources:
            source.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run_ocrmypdf(in_pdf, out_pdf, work, jobs, progress=None, timeout_per_page=180,
                 pages=0, languages=LANGUAGES, force=False):
    """Run OCRmyPDF; returns the directory holding its per-page hOCR.

    ``progress(done_pages)`` is called while it runs. Raises :class:`JobFailure`
    with OCRmyPDF's reason when it gives up.
    """
    tmp = os.path.join(work, "ocrmypdf")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, OMP_THREAD_LIMIT="1", TMPDIR=tmp)
    # Debian 12's Ghostscript 10.0 corrupts PDFs that keep their old text (OCRmyPDF
    # refuses --skip-text with it): a scan that already has a text layer is OCRed again
    # from its images (--force-ocr), only when OCRmyPDF says so (exit 6).
    command = [sys.executable, "-m", "ocrmypdf", "-l", languages, "--jobs", str(jobs),
               "--output-type", "pdfa", "--keep-temporary-files",
               "--tesseract-timeout", str(timeout_per_page), "--optimize", "1",
               "--quiet"] + (["--force-ocr"] if force else []) + [in_pdf, out_pdf]
    log_path = os.path.join(work, "ocrmypdf.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_die_with_parent)
        seen = -1
        while process.poll() is None:
            time.sleep(0.5)
            done = len(glob.glob(os.path.join(tmp, "ocrmypdf.io.*", "*_ocr_hocr.hocr")))
            if progress is not None and done != seen:
                seen = done
                progress(done)
    with open(log_path, "rb") as f:
        output = f.read().decode("utf-8", "replace").strip()
    if process.returncode == 6 and not force:      # the PDF has text already
        shutil.rmtree(tmp, ignore_errors=True)
        return run_ocrmypdf(in_pdf, out_pdf, work, jobs, progress, timeout_per_page, pages,
                            languages, force=True)
    if process.returncode != 0:
        reason = output.splitlines()[-1] if output else f"exit {process.returncode}"
        if process.returncode == 8:
            raise JobFailure("Tệp PDF được mã hóa (có mật khẩu); hãy tải lên bản không mã hóa.",
                             "The PDF is encrypted (password protected); upload an unencrypted copy.")
        if process.returncode in (2, 4):
            raise JobFailure(f"Tệp PDF bị hỏng, không nhận dạng chữ được: {reason}",
                             f"The PDF is damaged and could not be OCRed: {reason}")
        raise JobFailure(f"OCRmyPDF dừng với lỗi: {reason}", f"OCRmyPDF stopped with: {reason}")
    found = glob.glob(os.path.join(tmp, "ocrmypdf.io.*"))
    return found[0] if found else tmp


def hocr_of(workdir, page_number):
    """The hOCR bytes of page ``page_number`` (1-based), or None when it was not OCRed."""
    path = os.path.join(workdir, f"{page_number:06d}_ocr_hocr.hocr")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def _classes(element):
    return (element.get("class") or "").split()


def parse_hocr(data, width, height):
    """``(text, words, confidence, lines)`` of one page's hOCR.

    ``words`` are ``(text, x, y, w, h)`` in the master's pixels (the hOCR page
    may have been rasterised at another resolution); ``lines`` are
    ``(text, height)`` in reading order, for the metadata suggestion.
    """
    root = etree.fromstring(data, parser=etree.XMLParser(recover=True, resolve_entities=False,
                                                         no_network=True))
    if root is None:
        return "", [], None, []
    page = next((e for e in root.iter() if "ocr_page" in _classes(e)), None)
    sx = sy = 1.0
    if page is not None:
        match = BBOX.search(page.get("title") or "")
        if match and int(match[3]) and int(match[4]):
            sx, sy = width / int(match[3]), height / int(match[4])
    words, lines, confidences, paragraphs = [], [], [], []
    for block in root.iter():
        if not set(_classes(block)) & set(BLOCKS) or any(
                set(_classes(a)) & set(BLOCKS) for a in block.iterancestors()):
            continue
        paragraph = []
        line_elements = [e for e in block.iter() if set(_classes(e)) & set(LINES)] or [block]
        for line in line_elements:
            line_words = []
            for w in line.iter():
                if "ocrx_word" not in _classes(w):
                    continue
                text = "".join(w.itertext()).strip()
                match = BBOX.search(w.get("title") or "")
                if not text or not match:
                    continue
                x0, y0, x1, y1 = (int(v) for v in match.groups())
                words.append((text, round(x0 * sx), round(y0 * sy), round((x1 - x0) * sx),
                              round((y1 - y0) * sy)))
                conf = CONF.search(w.get("title") or "")
                if conf:
                    confidences.append(int(conf[1]))
                line_words.append((text, (y1 - y0) * sy))
            if line_words:
                text = " ".join(t for t, _h in line_words)
                heights = sorted(h for _t, h in line_words)
                lines.append((text, heights[len(heights) // 2]))
                paragraph.append(text)
        if paragraph:
            paragraphs.append("\n".join(paragraph))
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return "\n\n".join(paragraphs), words, confidence, lines
