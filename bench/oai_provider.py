"""OAI-PMH provider throughput: a partner harvesting 10,000 union records from /oai.

    .venv/bin/python bench/oai_provider.py                # 10,000 records, SQLite
    .venv/bin/python bench/oai_provider.py -n 50000 --page-size 200
    .venv/bin/python bench/oai_provider.py --url postgresql+psycopg://...  # an empty database

1. makes throwaway stores (``/tmp/serepok-bench-oai-*``) and an ini copied from
   production.ini with its own port;
2. writes N synthetic Vietnamese MARC records (``bench/marc_import.py``'s
   generator) split over Buôn Ma Thuột (50%), Tuy Hòa (30%) and a commune
   library (20%), imports them through the catalogue importer and rebuilds
   the union catalogue (``IUnionCatalogue.rebuild``);
3. starts the real portal, ``serepok serve INI`` (waitress), in a subprocess;
4. harvests everything as a partner would, one request after another,
   following resumption tokens: ListIdentifiers, ListRecords in ``oai_dc``
   and in ``marc21``, and ListRecords of one set; each response is parsed
   with lxml (as a harvester must) and its records counted;
5. prints records/s, pages, the mean and p95 time per page, the bytes, and
   the server's resident memory.
"""
import argparse
import os
import pathlib
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.marc_import import synthetic_record  # noqa: E402
from bench.item_page import free_port, memory, serepok_command, wait_for  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
LIBRARIES = (("bmt", 0.5), ("tuy-hoa", 0.3), ("xa-ea-kao", 0.2))


def write_ini(var, port, url, page_size):
    text = (REPO / "production.ini").read_text()
    text = text.replace("%(here)s/var", str(var))
    text = re.sub(r"(?m)^listen\s*=.*$", f"listen = 127.0.0.1:{port}", text)
    text = re.sub(r"(?m)^sql\.auto_migrate\s*=.*$", "sql.auto_migrate = true", text)
    text = re.sub(r"(?m)^serepok\.base_url\s*=.*$",
                  f"serepok.base_url = http://127.0.0.1:{port}\n"
                  f"oai.page_size = {page_size}\n"
                  "federation.sites = bmt tuy-hoa", text)
    if url:
        text = re.sub(r"(?m)^sqlalchemy\.url\s*=.*$", f"sqlalchemy.url = {url}", text)
    ini = var.parent / "bench.ini"
    ini.write_text(text)
    return ini


def build(ini, count, seed=2026):
    """Import ``count`` synthetic records over three libraries, rebuild the union."""
    from portal.cli import environment
    from federation.services import IUnionCatalogue
    from ils.catalogue.services import ICatalogueService
    rng = random.Random(seed)
    timings = {}
    started = time.perf_counter()
    with environment(str(ini)) as env:
        request = env["request"]
        catalogue = request.find_service(ICatalogueService)
        first = 0
        for library, share in LIBRARIES:
            n = int(count * share) if library != LIBRARIES[-1][0] else count - first
            data = b"".join(synthetic_record(first + i, rng).as_marc() for i in range(n))
            report = catalogue.import_marc(data, library, name=f"{library}.mrc")
            print(f"  {library:10} {report.created:>7,} records imported", flush=True)
            first += n
        timings["import_s"] = time.perf_counter() - started
        registry = env["registry"]
    pipeline = registry.get("federation.union_pipeline")
    if pipeline is not None:
        pipeline.wait()
    t0 = time.perf_counter()
    with environment(str(ini)) as env:
        report = env["request"].find_service(IUnionCatalogue).rebuild()
        print(f"  union catalogue: {report.records:,} records from {report.members:,} members "
              f"({report.merged:,} merged)", flush=True)
    timings["rebuild_s"] = time.perf_counter() - t0
    timings["union_records"] = report.records
    return timings


def harvest(base, **params):
    """Follow a list to its end: (records, pages, seconds per page, bytes, seconds)."""
    from lxml import etree
    query = dict(params)
    records, pages, per_page, size = 0, 0, [], 0
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        with urllib.request.urlopen(base + "?" + urllib.parse.urlencode(query), timeout=120) as r:
            body = r.read()
        root = etree.fromstring(body)
        per_page.append(time.perf_counter() - t0)
        size += len(body)
        pages += 1
        error = root.find(f"{OAI}error")
        if error is not None:
            raise RuntimeError(f"{error.get('code')}: {error.text}")
        verb = root.find(f"{OAI}{params['verb']}")
        records += len(verb.findall(f"{OAI}header") + verb.findall(f"{OAI}record"))
        token = verb.find(f"{OAI}resumptionToken")
        if token is None or not token.text:
            return records, pages, per_page, size, time.perf_counter() - started
        query = {"verb": params["verb"], "resumptionToken": token.text}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--records", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100, help="oai.page_size")
    parser.add_argument("--url", help="an empty SQL database (default: SQLite in the stores)")
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    args = parser.parse_args(argv)

    top = pathlib.Path(tempfile.mkdtemp(prefix="serepok-bench-oai-"))
    var = top / "var"
    var.mkdir()
    port = free_port()
    ini = write_ini(var, port, args.url, args.page_size)
    print(f"Kho tạm / stores: {top}")
    print(f"Tạo {args.records:,} biểu ghi / building {args.records:,} records ...", flush=True)
    timings = build(ini, args.records)
    print(f"  import {timings['import_s']:.1f} s, rebuild {timings['rebuild_s']:.1f} s")

    log = open(top / "server.log", "w")
    server = subprocess.Popen([serepok_command(), "serve", str(ini)], stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for(base + "/healthz", server):
            print("Máy chủ không trả lời / the server did not answer; see " + log.name,
                  file=sys.stderr)
            return 1
        load = os.getloadavg()
        print(f"Máy chủ / server pid {server.pid} on {base}, RSS "
              f"{memory(server.pid)['rss_mib']} MiB; load average {load[0]:.1f}")
        harvest(base + "/oai", verb="ListRecords", metadataPrefix="oai_dc", set="library")
        runs = [("ListIdentifiers", {"metadataPrefix": "oai_dc"}),
                ("ListRecords", {"metadataPrefix": "oai_dc"}),
                ("ListRecords", {"metadataPrefix": "marc21"}),
                ("ListRecords", {"metadataPrefix": "marc21", "set": "site:bmt"})]
        print(f"{'list':42} {'records':>8} {'pages':>6} {'records/s':>10} "
              f"{'ms/page':>8} {'p95 ms':>7} {'MB':>6}")
        for verb, params in runs:
            records, pages, per_page, size, seconds = harvest(base + "/oai", verb=verb,
                                                              **params)
            ordered = sorted(per_page)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            label = verb + " " + " ".join(f"{k}={v}" for k, v in params.items())
            print(f"{label:42} {records:>8,} {pages:>6} {records / seconds:>10,.0f} "
                  f"{statistics.mean(per_page) * 1000:>8.1f} {p95 * 1000:>7.1f} "
                  f"{size / 1e6:>6.1f}", flush=True)
        mem = memory(server.pid)
        print(f"Bộ nhớ máy chủ / server memory: RSS {mem['rss_mib']} MiB "
              f"(peak {mem['peak_mib']} MiB); load average {os.getloadavg()[0]:.1f}")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
