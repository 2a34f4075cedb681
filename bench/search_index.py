"""Benchmark of the union catalogue's embedded search index.

    .venv/bin/python bench/search_index.py --records 200000 --backend both
    .venv/bin/python bench/search_index.py --records 1000000 --backend tantivy

For each backend: index synthetic Vietnamese records (``bench.synthetic_catalogue``)
in batches, then, in a fresh process that only opens the index (so its memory
is what a portal worker would hold), run keyword queries with all eight facets
and report p50/p95 latency, RSS, suggestion and availability-update latency.

``tantivy`` is the real backend (``federation.index.tantivy_index``) called
through ``ISearchIndex``. ``fts5`` is the SQLite FTS5 candidate it was chosen
against, built here with the same analysed text: FTS5 for matching and
ranking, a side table ``facet(doc, value)`` counted over the matched rowids.
Results go to stdout as one JSON line per backend; docs/search-index.md keeps
the numbers.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:         # run as a file: bench/search_index.py
    sys.path.insert(0, ROOT)

from federation.index.documents import analyze  # noqa: E402
from federation.records import FACET_FIELDS, SearchQuery  # noqa: E402

BATCH = 10_000


def rss_mb():
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                values[name] = int(value.split()[0]) // 1024
    return values


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))]


# --- the SQLite FTS5 candidate ---------------------------------------------

class Fts5Candidate:
    """Just enough of a search index on SQLite FTS5 to measure it fairly."""

    def __init__(self, path):
        os.makedirs(path, exist_ok=True)
        self.db = sqlite3.connect(os.path.join(path, "index.sqlite"), check_same_thread=False)
        self.db.executescript("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=1073741824;
            CREATE TABLE IF NOT EXISTS doc(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, year INT,
                                           title_key TEXT, data TEXT);
            CREATE VIRTUAL TABLE IF NOT EXISTS text USING fts5(
                all_f, title_f, all_e, content='',
                tokenize="unicode61 remove_diacritics 0 tokenchars '|'");
            CREATE TABLE IF NOT EXISTS value(code INTEGER PRIMARY KEY, field TEXT, value TEXT,
                                             UNIQUE(field, value));
            CREATE TABLE IF NOT EXISTS facet(doc INTEGER, code INTEGER,
                                             PRIMARY KEY(doc, code)) WITHOUT ROWID;
        """)
        self.codes = {(f, v): c for c, f, v in self.db.execute("SELECT * FROM value")}
        self.values = {c: k for k, c in self.codes.items()}
        self.next_row = (self.db.execute("SELECT max(rowid) FROM doc").fetchone()[0] or 0) + 1

    def _code(self, field, value):
        code = self.codes.get((field, value))
        if code is None:
            code = self.codes[(field, value)] = len(self.codes) + 1
            self.values[code] = (field, value)
            self.db.execute("INSERT INTO value VALUES (?, ?, ?)", (code, field, value))
        return code

    def index(self, records):
        docs, texts, facets = [], [], []
        for record in records:
            doc, row = analyze(record), self.next_row
            self.next_row += 1
            docs.append((row, record.id, record.year, doc.title_key,
                         json.dumps(record.to_dict(full_text=False), ensure_ascii=False)))
            texts.append((row, doc.all_f, doc.title_f, doc.all_e))
            facets.extend((row, self._code(name, value))
                          for name, values in doc.facets.items() for value in values)
        with self.db:
            self.db.executemany("INSERT INTO doc VALUES (?, ?, ?, ?, ?)", docs)
            self.db.executemany("INSERT INTO text(rowid, all_f, title_f, all_e) VALUES (?,?,?,?)",
                                texts)
            self.db.executemany("INSERT OR IGNORE INTO facet VALUES (?, ?)", facets)

    def count(self):
        return self.db.execute("SELECT count(*) FROM doc").fetchone()[0]

    def search(self, query):
        from federation.index.query import parse
        parsed = parse(query.text)
        folded = [t for c in parsed.clauses for t in c.folded]
        exact = [t for c in parsed.clauses for t in c.exact]
        must = " AND ".join(f'all_f:"{t}"' for t in folded)
        # The OR clause never changes which rows match (it repeats the
        # required words) but lets bm25() score exact words and the phrase.
        should = [f'all_e:"{t}"' for t in exact] + [f'all_f:"{t}"' for t in folded]
        if len(folded) > 1:
            should.append('title_f:"' + " ".join(folded) + '"')
        match = f"({must}) AND ({' OR '.join(should)})"
        db = self.db
        total = db.execute("SELECT count(*) FROM text WHERE text MATCH ?", (match,)).fetchone()[0]
        top = db.execute(
            "SELECT d.id FROM (SELECT rowid FROM text WHERE text MATCH ? "
            "ORDER BY bm25(text, 1.0, 2.0, 3.0) LIMIT ?) t JOIN doc d ON d.rowid = t.rowid",
            (match, query.rows)).fetchall()
        counts = {}
        for code, count in db.execute(
                "SELECT code, count(*) FROM facet WHERE doc IN "
                "(SELECT rowid FROM text WHERE text MATCH ?) GROUP BY code", (match,)):
            field, value = self.values[code]
            counts.setdefault(field, []).append((count, value))
        facets = {f: sorted(v, reverse=True)[:query.facet_limit] for f, v in counts.items()}
        return total, [row[0] for row in top], facets


# --- runs ------------------------------------------------------------------

def open_backend(name, path):
    if name == "tantivy":
        from federation.index.tantivy_index import TantivyIndex
        return TantivyIndex(path)
    return Fts5Candidate(path)


def build(name, path, count, seed):
    from bench.synthetic_catalogue import generate
    shutil.rmtree(path, ignore_errors=True)
    index = open_backend(name, path)
    batch, spent, started = [], 0.0, time.perf_counter()
    for record in generate(count, seed):
        batch.append(record)
        if len(batch) == BATCH:
            began = time.perf_counter()
            index.index(batch)
            spent += time.perf_counter() - began
            batch = []
            print(f"\r{name}: {index.count():,} records", end="", file=sys.stderr, flush=True)
    if batch:
        began = time.perf_counter()
        index.index(batch)
        spent += time.perf_counter() - began
    print(file=sys.stderr)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return {"records": index.count(), "index_seconds": round(spent, 1),
            "records_per_second": round(count / spent),
            "wall_seconds_with_generation": round(time.perf_counter() - started, 1),
            "disk_mb": round(size / 2 ** 20), "build_rss_mb": rss_mb()}


def serve(name, path, repeat):
    """Query an existing index; run in a fresh process by ``main``."""
    from bench.synthetic_catalogue import QUERIES
    index = open_backend(name, path)
    opened = rss_mb()
    queries = [SearchQuery(text=q, rows=20, facets=FACET_FIELDS) for q in QUERIES]
    filtered = [SearchQuery(text=q, rows=20, filters={"library": ["bmt"], "format": ["book"]},
                            year_from=1990) for q in QUERIES[::3]]
    for query in queries:                      # warm the page cache once
        index.search(query)
    latencies, filtered_latencies, totals = [], [], {}
    for _ in range(repeat):
        for query in queries:
            began = time.perf_counter()
            result = index.search(query)
            latencies.append((time.perf_counter() - began) * 1000)
            totals[query.text] = result[0] if isinstance(result, tuple) else result.total
        if name == "tantivy":
            for query in filtered:
                began = time.perf_counter()
                index.search(query)
                filtered_latencies.append((time.perf_counter() - began) * 1000)
    report = {
        "queries": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "matches": totals,
        "rss_after_open_mb": opened["VmRSS"],
        "rss_after_queries_mb": rss_mb(),
    }
    if name == "tantivy":
        report["filtered_p95_ms"] = round(percentile(filtered_latencies, 0.95), 1)
        suggest = []
        for prefix in ("lịch s", "nguyễn v", "tay ng", "cà p", "đắk", "sử thi", "y d", "ho"):
            began = time.perf_counter()
            index.suggest(prefix)
            suggest.append((time.perf_counter() - began) * 1000)
        report["suggest_p95_ms"] = round(percentile(suggest, 0.95), 1)
        updates = []
        for number in range(0, 200_000, 20_000):
            began = time.perf_counter()
            index.update_availability(f"rec-{number:07d}", {"bmt": 1, "tuy-hoa": 0})
            updates.append((time.perf_counter() - began) * 1000)
        report["availability_update_p50_ms"] = round(percentile(updates, 0.5), 1)
        report["availability_update_max_ms"] = round(max(updates), 1)
        report["rss_end_mb"] = rss_mb()
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--backend", choices=("tantivy", "fts5", "both"), default="both")
    parser.add_argument("--dir", default="var/bench/search-index")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the query list")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve-only", action="store_true", help="reuse a built index")
    parser.add_argument("--_serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._serve:
        print(json.dumps(serve(args._serve, os.path.join(args.dir, args._serve), args.repeat)))
        return
    for name in (("tantivy", "fts5") if args.backend == "both" else (args.backend,)):
        path = os.path.join(args.dir, name)
        report = {"backend": name, "records": args.records}
        if not args.serve_only:
            report["build"] = build(name, path, args.records, args.seed)
        answer = subprocess.run(
            [sys.executable, "-m", "bench.search_index", "--dir", args.dir,
             "--repeat", str(args.repeat), "--_serve", name],
            check=True, capture_output=True, text=True, cwd=ROOT)
        report["serve"] = json.loads(answer.stdout.strip().splitlines()[-1])
        print(json.dumps(report, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
