#!/usr/bin/env python
"""Đo thời gian thu thập OAI-PMH / Time an OAI-PMH harvest of N records from a local peer.

Target (issue 3): 100,000 records in under 5 minutes, end to end into the
catalogue store (BibRecord with its MARC, ISBNs, the OAI identifier log).

The peer is a small OAI-PMH 2.0 provider in a subprocess (waitress on a
free loopback port) serving synthetic Vietnamese records in pages with
resumption tokens, as oai_dc or marc21. The harvest is the real one
(``ils.harvest.jobs.run_harvest``: httpx, lxml, a commit per page) into a
throwaway SQLite database, or PostgreSQL with ``--db URL``. A second,
incremental harvest follows, which must find nothing new.

    .venv/bin/python bench/oai_harvest.py                 # 100,000 records, oai_dc
    .venv/bin/python bench/oai_harvest.py --format marc21 --records 20000
    .venv/bin/python bench/oai_harvest.py --json var/bench-results/oai_harvest.json --check

Exit status 3 with ``--check`` when the target is missed.
"""
import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGET_SECONDS = 300
WORDS = ("lịch sử", "văn hóa", "Tây Nguyên", "Đắk Lắk", "cồng chiêng", "sử thi", "Ê Đê",
         "buôn làng", "cà phê", "địa chí", "nông nghiệp", "giáo dục", "dân ca", "M'nông",
         "rừng", "sông Sêrêpốk", "Buôn Ma Thuột", "Tuy Hòa", "biển", "truyện cổ")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hữu Cường", "Y Điêng", "H'Linh Niê",
         "Phạm Minh Đức", "Võ Thị Hoa", "Đinh Công Khánh")
PUBLISHERS = ("Kim Đồng", "Giáo dục Việt Nam", "Văn hóa dân tộc", "Khoa học xã hội",
              "Chính trị quốc gia Sự thật", "Hội Nhà văn")
DATESTAMP = "2025-06-01T00:00:00Z"


# --- the peer ---------------------------------------------------------------------------

def isbn(n):
    body = f"978604{n % 10_000_000:07d}"
    check = (10 - sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def dc(n):
    title = f"{WORDS[n % 20].capitalize()} và {WORDS[(n // 20) % 20]} – tập {n}"
    return (f'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{escape(title)}</dc:title>'
            f"<dc:creator>{NAMES[n % 8]}</dc:creator><dc:creator>{NAMES[(n // 8) % 8]}"
            f"</dc:creator><dc:subject>{WORDS[(n * 7) % 20]}</dc:subject>"
            f"<dc:publisher>{PUBLISHERS[n % 6]}</dc:publisher><dc:date>{1975 + n % 50}"
            f"</dc:date><dc:language>vie</dc:language><dc:type>Text</dc:type>"
            f"<dc:identifier>ISBN {isbn(n)}</dc:identifier></oai_dc:dc>")


def marc(n):
    title = f"{WORDS[n % 20].capitalize()} và {WORDS[(n // 20) % 20]} – tập {n}"

    def field(tag, code, value, ind="  "):
        return (f'<datafield tag="{tag}" ind1="{ind[0]}" ind2="{ind[1]}">'
                f'<subfield code="{code}">{escape(value)}</subfield></datafield>')
    return ('<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 i 4500'
            f'</leader><controlfield tag="001">B{n:07d}</controlfield>'
            f'<controlfield tag="008">250601s{1975 + n % 50}    vm            000 0 vie d'
            '</controlfield>' + field("020", "a", isbn(n)) + field("100", "a", NAMES[n % 8], "1 ")
            + field("245", "a", title, "10") + field("264", "b", PUBLISHERS[n % 6], " 1")
            + field("650", "a", WORDS[(n * 7) % 20], " 7") + "</record>")


def provider(total, page):
    from urllib.parse import parse_qsl
    head = ('<?xml version="1.0" encoding="UTF-8"?><OAI-PMH '
            'xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
            '{now}</responseDate><request>http://127.0.0.1/oai</request>')

    def answer(start_response, body):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        data = (head.format(now=now) + body + "</OAI-PMH>").encode("utf-8")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    def app(environ, start_response):
        params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        verb = params.get("verb")
        if verb == "Identify":
            return answer(start_response, "<Identify><repositoryName>Bench</repositoryName>"
                          "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>")
        if verb != "ListRecords":
            return answer(start_response, '<error code="badVerb">verb</error>')
        if "resumptionToken" in params:
            fmt, cursor = params["resumptionToken"].split(":")
            cursor = int(cursor)
        else:
            fmt, cursor = params.get("metadataPrefix"), 0
            if params.get("from", "") > DATESTAMP:
                return answer(start_response, '<error code="noRecordsMatch">none</error>')
        write = dc if fmt == "oai_dc" else marc
        records = []
        for n in range(cursor + 1, min(cursor + page, total) + 1):
            records.append(f"<record><header><identifier>oai:bench.example:{n}</identifier>"
                           f"<datestamp>{DATESTAMP}</datestamp></header><metadata>"
                           f"{write(n)}</metadata></record>")
        token = (f'<resumptionToken completeListSize="{total}" cursor="{cursor}">'
                 f"{fmt}:{cursor + page}</resumptionToken>" if cursor + page < total else "")
        return answer(start_response, "<ListRecords>" + "".join(records) + token
                      + "</ListRecords>")
    return app


def serve(port, total, page):
    from waitress import serve as waitress_serve
    waitress_serve(provider(total, page), host="127.0.0.1", port=port, threads=2,
                   _quiet=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the harvest --------------------------------------------------------------------------

def harvest(args):
    from sqlalchemy import func, select

    from ils import db
    from ils.catalogue.models import BibRecord, RecordIsbn
    from ils.harvest.jobs import run_harvest
    from ils.harvest.models import OaiSource

    port = free_port()
    peer = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--records",
                             str(args.records), "--page", str(args.page)])
    url = f"http://127.0.0.1:{port}/oai"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "?verb=Identify", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        workdir = tempfile.mkdtemp(prefix="serepok-bench-oai-")
        db_url = args.db or f"sqlite:///{workdir}/serepok.sqlite"
        engine = db.make_engine({"sqlalchemy.url": db_url})
        db.upgrade(engine)
        factory = db.session_factory(engine)
        with factory() as session:
            source = OaiSource(name="bench", title="Bench peer", base_url=url,
                               metadata_prefix=args.format, set_spec="", interval_hours=24,
                               active=True, last_counts={})
            session.add(source)
            session.commit()
            source_id = source.id
        print(f"Thu thập / harvesting {args.records} {args.format} records, pages of "
              f"{args.page}, into {db_url.split('?')[0]}", flush=True)
        started = time.perf_counter()
        report = run_harvest(factory, source_id, {"timeout": 60})
        seconds = time.perf_counter() - started
        with factory() as session:
            stored = session.scalar(select(func.count()).select_from(BibRecord))
            isbns = session.scalar(select(func.count()).select_from(RecordIsbn))
        started = time.perf_counter()
        again = run_harvest(factory, source_id, {"timeout": 60})
        incremental = time.perf_counter() - started
        engine.dispose()
    finally:
        peer.terminate()
        peer.wait(10)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "records": args.records, "format": args.format, "page": args.page,
        "status": report.status, "pages": report.pages, "stored": stored, "isbns": isbns,
        "seconds": round(seconds, 1), "records_per_second": round(args.records / seconds),
        "incremental_seconds": round(incremental, 2), "incremental_received": again.received,
        "max_rss_mb": round(rss_mb), "target_seconds": TARGET_SECONDS,
        "met": report.status == "ok" and stored == args.records and seconds < TARGET_SECONDS,
        "database": db_url.split(":")[0],
    }
    print(f"Thời gian / time: {seconds:.1f} s ({result['records_per_second']} records/s); "
          f"{stored} stored, {report.pages} pages, status {report.status}")
    print(f"Lần tăng dần / incremental: {incremental:.2f} s, {again.received} records")
    print(f"Bộ nhớ tối đa / max RSS: {result['max_rss_mb']} MB")
    print(("ĐẠT / MET" if result["met"] else "KHÔNG ĐẠT / MISSED")
          + f": < {TARGET_SECONDS} s for {args.records} records")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 3 if args.check and not result["met"] else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--format", choices=("oai_dc", "marc21"), default="oai_dc")
    parser.add_argument("--db", default="", help="SQLAlchemy URL of an empty database to "
                        "throw away (default: SQLite in /tmp)")
    parser.add_argument("--json", default="")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.records, args.page)
        return 0
    return harvest(args)


if __name__ == "__main__":
    sys.exit(main())
