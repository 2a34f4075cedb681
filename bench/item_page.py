"""Benchmark: a published item page and a collection listing on a site of 10,000 items.

    .venv/bin/python bench/item_page.py [--items 10000] [--duration 30] [--json out.json]

What it does, in order:

1. Makes a throwaway ``var/`` (under /tmp unless ``--var``) and an ini copied
   from production.ini (templates not reloaded, logging at WARN) with its own
   loopback port.
2. Builds one site with ``--collections`` collections holding ``--items``
   published DigitalItems, through the repository's own ContentService (so the
   catalogue subscribers index each item, as when a librarian adds it), in a
   few transactions of ``--batch`` items.  The build time is measured.
3. Starts the real portal, ``serepok serve INI``, in a subprocess (waitress).
4. Loads it with Debian's ``wrk`` and ``bench/wrk_report.lua``: a warm-up, then
   random item pages among all items (4 connections), the same with one
   connection (service time without queueing), and page one of a collection.
5. Reports p50/p95/p99 and requests/s against the targets (item page median
   < 50 ms, p95 < 100 ms), the server's resident memory, and stops the server.

Traffic goes to 127.0.0.1 only; every wrk run is bounded in time.  Exits 2
when wrk is missing, 1 when the server misbehaves; with ``--check``, 3 when a
target is missed.  Never run by the test suite.
"""
import argparse
import http.client
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
LUA = HERE / "wrk_report.lua"
TARGETS = {"p50_ms": 50.0, "p95_ms": 100.0}
SITE = "bench"

# Vocabulary for plausible Vietnamese records (made up for this benchmark).
FORMS = ["Lịch sử", "Địa chí", "Văn hóa", "Sổ tay", "Tuyển tập", "Nghiên cứu", "Tư liệu",
         "Kỷ yếu", "Hỏi đáp", "Truyện kể", "Bản đồ", "Niên giám", "Giáo trình", "Ký sự"]
TOPICS = ["cà phê", "hồ tiêu", "cồng chiêng", "sử thi", "nhà dài", "luật tục", "lễ hội",
          "rừng khộp", "voi nhà", "thổ cẩm", "dân ca", "ruộng bậc thang", "thủy lợi",
          "giáo dục", "y tế cộng đồng", "nghề dệt", "gốm", "đường sắt", "cao su", "bài chòi"]
PLACES = ["Đắk Lắk", "Buôn Ma Thuột", "Tuy Hòa", "Krông Pắc", "Ea H'leo", "Buôn Đôn",
          "Lắk", "Krông Ana", "Cư M'gar", "Ea Kar", "M'Đrắk", "Sông Hinh", "Đồng Xuân",
          "Sông Cầu", "Tây Nguyên", "Phú Yên", "Krông Búk", "Ea Súp"]
PEOPLE = ["Ê Đê", "M'nông", "Gia Rai", "Xơ Đăng", "Ba Na", "Chăm", "Kinh", "Tày", "Mường"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Y",
            "H'", "Ksor", "Niê", "Mlô", "Êban", "Buôn Ya"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Đức Dũng", "Ngọc Hà", "Khánh", "Hoa", "Điêng",
         "Linh", "Phương", "Quốc Tuấn", "Thu Trang", "Blông", "Wơn", "Jut"]
PUBLISHERS = ["Nhà xuất bản Văn hóa Dân tộc", "Nhà xuất bản Khoa học Xã hội",
              "Thư viện tỉnh Đắk Lắk", "Sở Văn hóa, Thể thao và Du lịch",
              "Nhà xuất bản Hội Nhà văn", "Nhà xuất bản Tổng hợp Thành phố Hồ Chí Minh"]
COLLECTIONS = ["Địa chí Đắk Lắk", "Sử thi Tây Nguyên", "Cà phê và nông nghiệp", "Báo chí xưa",
               "Bản đồ cổ", "Văn học dân gian", "Tài liệu Phú Yên", "Luận văn và đề tài",
               "Ảnh tư liệu", "Sách hiếm", "Âm nhạc dân tộc", "Kỷ yếu hội thảo"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(var, port):
    """production.ini with its stores under ``var`` and its own port."""
    text = (REPO / "production.ini").read_text()
    text = text.replace("%(here)s/var", str(var))
    text = re.sub(r"(?m)^listen\s*=.*$", f"listen = 127.0.0.1:{port}", text)
    text = re.sub(r"(?m)^sql\.auto_migrate\s*=.*$", "sql.auto_migrate = true", text)
    text = re.sub(r"(?m)^serepok\.base_url\s*=.*$", f"serepok.base_url = http://127.0.0.1:{port}",
                  text)
    ini = var.parent / "bench.ini"
    ini.write_text(text)
    return ini


def record(rng, n):
    form, topic, place = rng.choice(FORMS), rng.choice(TOPICS), rng.choice(PLACES)
    year = rng.randint(1930, 2025)
    authors = [f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 3))]
    return {
        "title": f"{form} {topic} {place} — tập {n % 97 + 1} ({year})",
        "description": (f"Tài liệu về {topic} ở {place}, cộng đồng {rng.choice(PEOPLE)}; "
                        f"bản số hóa phục vụ bạn đọc trực tuyến. Số đăng ký {n:05d}."),
        "creators": authors,
        "subjects": sorted({topic.capitalize(), place, rng.choice(PEOPLE)}),
        "publisher": rng.choice(PUBLISHERS),
        "place": rng.choice(["Buôn Ma Thuột", "Hà Nội", "Tuy Hòa", "Thành phố Hồ Chí Minh"]),
        "year": str(year),
        "language": "vie",
        "ddc": f"{rng.randint(0, 999):03d}.{rng.randint(1, 9999)}",
        "call_number": f"BMT.{n:05d}",
        "extent": f"{rng.randint(40, 600)} tr. ; {rng.choice([19, 21, 24, 27])} cm",
    }


def build(ini, items, collections, batch, seed=2026):
    """Create the site and its items; returns (paths of items, collection paths, timings)."""
    from portal.cli import environment
    from repository.catalog import SiteCatalog
    from repository.interfaces import IContentService
    from repository.resources import Site
    rng = random.Random(seed)
    item_paths, coll_paths = [], []
    timings = {}
    started = time.perf_counter()
    with environment(str(ini)) as env:
        request, root = env["request"], env["root"]
        timings["open_s"] = time.perf_counter() - started
        service = request.find_service(IContentService)
        site = Site(title="Thư viện tỉnh Đắk Lắk — cơ sở thử tải", code="BENCH")
        site.state = "published"
        root.add(SITE, site)
        site.catalog = SiteCatalog()
        colls = []
        for i in range(collections):
            title = COLLECTIONS[i % len(COLLECTIONS)] + ("" if i < len(COLLECTIONS) else f" {i}")
            coll, errors = service.add(site, "Collection", {"title": title,
                                                            "description": "Bộ sưu tập thử tải."})
            assert not errors, errors
            service.transition(coll, "publish")
            colls.append(coll)
            coll_paths.append(f"/{SITE}/{coll.__name__}/")
        request.tm.commit()
        request.tm.begin()
        t0 = time.perf_counter()
        transactions = 1
        for n in range(items):
            coll = colls[n % collections]
            obj, errors = service.add(coll, "DigitalItem", record(rng, n))
            assert not errors, errors
            service.transition(obj, "publish")
            item_paths.append(f"/{SITE}/{coll.__name__}/{obj.__name__}/")
            if (n + 1) % batch == 0 or n + 1 == items:
                request.tm.commit()
                request.tm.begin()
                transactions += 1
                done = time.perf_counter() - t0
                print(f"  {n + 1:>6} mục / items  {done:7.1f} s", flush=True)
        timings["items_s"] = time.perf_counter() - t0
        timings["transactions"] = transactions
        timings["catalogued"] = len(site.catalog)
        registry = env["registry"]
    timings["total_s"] = time.perf_counter() - started
    # Release the FileStorage lock before the server opens the same files.
    for db in getattr(registry, "_zodb_databases", {}).values():
        db.close()
    registry["dbengine"].dispose()
    return item_paths, coll_paths, timings


def serepok_command():
    candidate = pathlib.Path(sys.executable).with_name("serepok")
    return str(candidate) if candidate.exists() else (shutil.which("serepok") or "serepok")


def wait_for(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def get(port, path):
    """(status, text) of one GET, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def memory(pid):
    """Resident and peak resident memory of a process, in MiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return {"rss_mib": round(values.get("VmRSS", 0), 1), "peak_mib": round(values.get("VmHWM", 0), 1)}


def run_wrk(base, paths_file, seconds, connections, threads):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", str(LUA), base]
    if paths_file:
        cmd += ["--", str(paths_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result = json.loads(line[len("WRK_RESULT "):])
            result.update(connections=connections, threads=threads, command=" ".join(cmd))
            return result
    raise RuntimeError("wrk printed no result:\n" + out.stdout + out.stderr)


def verdict(result):
    return {k: result[k] < limit for k, limit in TARGETS.items()}


def show(label, r):
    marks = verdict(r)
    flag = lambda k: "đạt/met" if marks[k] else "KHÔNG ĐẠT/MISSED"     # noqa: E731
    print(f"{label}: {r['requests']} requests in {r['seconds']:.1f} s = {r['rps']:.1f} req/s, "
          f"{r['connections']} connections")
    print(f"    p50 {r['p50_ms']:.1f} ms ({flag('p50_ms')} < {TARGETS['p50_ms']:.0f}),"
          f" p95 {r['p95_ms']:.1f} ms ({flag('p95_ms')} < {TARGETS['p95_ms']:.0f}),"
          f" p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms,"
          f" errors {r['errors_status'] + r['errors_connect'] + r['errors_read'] + r['errors_timeout']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--collections", type=int, default=10)
    parser.add_argument("--batch", type=int, default=2500, help="items per transaction")
    parser.add_argument("--duration", type=int, default=30, help="seconds of each measured run")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of warm-up load")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--var", help="directory for the throwaway stores (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--check", action="store_true", help="exit 3 when a target is missed")
    args = parser.parse_args(argv)

    if not shutil.which("wrk"):
        print("Thiếu wrk: hãy cài `apt-get install -y wrk`.\n"
              "wrk is missing: install it with `apt-get install -y wrk`.", file=sys.stderr)
        return 2
    bench_started = time.perf_counter()
    load_start = os.getloadavg()
    top = pathlib.Path(args.var or tempfile.mkdtemp(prefix="serepok-bench-item-"))
    var = top / "var"
    if var.exists():
        print(f"{var} đã có; hãy chọn thư mục trống / already exists: choose an empty directory",
              file=sys.stderr)
        return 1
    var.mkdir(parents=True)
    port = free_port()
    ini = write_ini(var, port)
    base = f"http://127.0.0.1:{port}"
    print(f"Kho tạm / throwaway stores: {var}")
    print(f"Tạo {args.items} mục / building {args.items} published items "
          f"in {args.collections} collections...")
    item_paths, coll_paths, timings = build(ini, args.items, args.collections, args.batch)
    data_fs = (var / "Data.fs").stat().st_size / 2**20
    print(f"  xong / built in {timings['total_s']:.1f} s "
          f"({args.items / timings['items_s']:.0f} items/s, {timings['transactions']} transactions,"
          f" {timings['catalogued']} catalogued; Data.fs {data_fs:.0f} MiB)")
    paths_file = top / "item-paths.txt"
    paths_file.write_text("\n".join(item_paths) + "\n")
    listing_path = coll_paths[0]
    listing_file = top / "listing-path.txt"
    listing_file.write_text(listing_path + "\n")

    log = open(top / "server.log", "w")
    t0 = time.perf_counter()
    server = subprocess.Popen([serepok_command(), "serve", str(ini)], stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    results = {"items": args.items, "collections": args.collections,
               "items_per_collection": args.items // args.collections, "build": timings,
               "data_fs_mib": round(data_fs, 1), "listing_path": listing_path,
               "targets": TARGETS}
    try:
        if not wait_for(base + "/healthz", server):
            args.keep = True
            print("Máy chủ không trả lời / the server did not answer; see " + log.name,
                  file=sys.stderr)
            return 1
        results["server_start_s"] = round(time.perf_counter() - t0, 2)
        results["memory_after_start"] = memory(server.pid)
        # wrk counts a redirect as a success: make sure the measured paths answer 200 themselves.
        for path in random.Random(1).sample(item_paths, min(20, len(item_paths))) + [listing_path]:
            status, page = get(port, path)
            results.setdefault("page_bytes", {})[path] = len(page.encode())
            if status != 200 or "<h1>" not in page or 'lang="vi"' not in page:
                args.keep = True
                print(f"{path} trả lời / answered {status}, not a Vietnamese page", file=sys.stderr)
                return 1
        shown = sum(1 for p in item_paths
                    if p.startswith(listing_path) and f'href="{base}{p}"' in page)
        if shown != min(24, len(item_paths) // args.collections):
            args.keep = True
            print(f"Trang bộ sưu tập có {shown} mục thay vì 24 / the listing shows {shown} items,"
                  " not 24", file=sys.stderr)
            return 1
        print(f"Máy chủ / server pid {server.pid} on {base} "
              f"(up in {results['server_start_s']} s, RSS {results['memory_after_start']['rss_mib']} MiB)")

        print(f"Khởi động nóng / warm-up: {args.warmup} s of random item pages...")
        results["warmup"] = run_wrk(base, paths_file, args.warmup, args.connections, args.threads)
        print(f"Đo / measuring: {args.duration} s each...")
        results["item"] = run_wrk(base, paths_file, args.duration, args.connections, args.threads)
        results["item_one_connection"] = run_wrk(base, paths_file, max(10, args.duration // 3),
                                                 1, 1)
        results["listing"] = run_wrk(base, listing_file, args.duration, args.connections,
                                     args.threads)
        results["memory_after_load"] = memory(server.pid)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()
        if not args.keep:
            shutil.rmtree(top, ignore_errors=True)

    results["benchmark_s"] = round(time.perf_counter() - bench_started, 1)
    # Other work on the machine shares its cores with the server and wrk: say how much.
    results["loadavg_start"] = [round(x, 2) for x in load_start]
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(f"== Kết quả / results ({args.items} items, {args.collections} collections) ==")
    print(f"Xây dữ liệu / build: {timings['total_s']:.1f} s")
    show("Trang mục ngẫu nhiên / random item page", results["item"])
    show("  cùng trang, 1 kết nối / same, one connection", results["item_one_connection"])
    show(f"Trang bộ sưu tập / collection listing {listing_path}", results["listing"])
    mem = results["memory_after_load"]
    print(f"Bộ nhớ máy chủ / server memory: RSS {mem['rss_mib']} MiB (peak {mem['peak_mib']} MiB)")
    print(f"Thời gian chạy / benchmark ran {results['benchmark_s']} s; load average "
          f"{results['loadavg_start'][0]} at start, {results['loadavg_end'][0]} at the end "
          f"({os.cpu_count()} cores)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    missed = not all(verdict(results["item"]).values())
    return 3 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
