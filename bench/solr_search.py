"""Benchmark of the union catalogue on Solr (issue 4), side by side with the embedded index.

    .venv/bin/python bench/solr_search.py --records 1000000
    .venv/bin/python bench/solr_search.py --records 1000000 --reuse    # queries only

1. Starts the throwaway SolrCloud of ``scripts/solr-test`` (two nodes, embedded
   ZooKeeper, one JVM; ``--heap``) unless ``--reuse`` finds it running, and
   creates the collection ``bench`` (two shards, one per node).
2. Reindex rate: synthetic records (``bench.synthetic_catalogue``) analysed
   (``SolrIndex.document``) and sent in batches, one hard commit at the end,
   as ``serepok reindex --backend solr`` does. The rate is that of the last
   ``--timed`` records (200,000), generated beforehand so that making them
   does not compete for the CPU. The analysis and the sending are also timed
   apart on a sample.
3. Our overhead: each of the 24 reader queries with all eight facets, through
   ``SolrIndex.search`` (parsing, parameters, HTTP, JSON, records, highlights)
   and, interleaved, the very same parameters sent raw to the same node with a
   plain HTTP session (request, body, JSON decode). p95 of both.
4. Embedded vs Solr: the same queries on the embedded index (tantivy, built
   here or reused with ``--tantivy-path``) in a fresh process that only opens
   it; p50/p95 and memory (the Python process's RSS; for Solr, the JVM's RSS
   and the client's).

One JSON object is printed on stdout; docs/benchmarks.md keeps the numbers.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from federation.records import FACET_FIELDS, SearchQuery  # noqa: E402

COLLECTION = "bench"
BATCH = 5000


def rss_mb(pid="self"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024)
    return None


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def start_cluster(state_dir, heap, reuse):
    from federation.solr.testing import SolrCluster
    if not (reuse and os.path.exists(os.path.join(state_dir, "state"))):
        env = dict(os.environ, SEREPOK_SOLR_HEAP=heap)
        subprocess.run([os.path.join(ROOT, "scripts", "solr-test"), "start", state_dir],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    return SolrCluster(state_dir)


def reindex(index, count, seed, timed):
    """As ``serepok reindex --backend solr`` writes (``SolrIndex.write_batches``:
    the next batch is analysed while the last ones are sent). The first
    ``count - timed`` records are written untimed (their generation would
    compete for the CPU); the last ``timed`` ones are generated beforehand and
    their writing, up to the final commit, is the rate. Then each part alone
    on a sample, to see which one bounds the rate."""
    from bench.synthetic_catalogue import generate
    records = generate(count, seed)
    timed = min(timed, count)

    def batches(source, first, last):
        batch = []
        for n in range(first, last):
            batch.append(next(source))
            if len(batch) == BATCH:
                yield n + 1, batch
                batch = []
        if batch:
            yield last, batch

    def progress(n, _count):
        print(f"\rsolr: {n:,} records", end="", file=sys.stderr, flush=True)

    index.write_batches(batches(records, 0, count - timed), done=progress)
    prepared = list(batches(records, count - timed, count))
    began = time.perf_counter()
    index.write_batches(prepared, done=progress)
    index.commit()
    total = time.perf_counter() - began
    print(file=sys.stderr)
    sample = [r for _n, batch in prepared[:4] for r in batch]
    for record in sample:
        record.id = "sample-" + record.id
    began = time.perf_counter()
    docs = [index.document(r) for r in sample]
    analysis = time.perf_counter() - began
    began = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        index.add_documents(docs[start:start + BATCH], visible=False)
    index.commit()
    ingest = time.perf_counter() - began
    index.delete([r.id for r in sample])
    return {"records": index.count(), "timed_records": timed,
            "timed_seconds": round(total, 1), "records_per_second": round(timed / total),
            "analysis_only_records_per_second": round(len(sample) / analysis),
            "solr_ingest_only_records_per_second": round(len(sample) / ingest)}


def queries():
    from bench.synthetic_catalogue import QUERIES
    return [SearchQuery(text=q, rows=20, facets=FACET_FIELDS) for q in QUERIES]


def overhead(index, url, repeat):
    """Our search vs the same parameters sent raw, interleaved."""
    import requests

    from federation.solr.query import facet_params, search_params
    session = requests.Session()
    ours, raw = [], []
    for query in queries():                    # warm caches on both paths
        index.search(query)
    for _ in range(repeat):
        for query in queries():
            params, _parsed = search_params(query, "relevance", 0, 20)
            facet_params(params, list(FACET_FIELDS), 20)

            def send_raw():
                began = time.perf_counter()
                json.loads(session.get(f"{url}/{COLLECTION}/select", params=params,
                                       timeout=30).content)
                raw.append((time.perf_counter() - began) * 1000)

            def send_ours():
                began = time.perf_counter()
                index.search(query)
                ours.append((time.perf_counter() - began) * 1000)

            first, second = (send_raw, send_ours) if len(raw) % 2 else (send_ours, send_raw)
            first()
            second()
    p95_ours, p95_raw = percentile(ours, 0.95), percentile(raw, 0.95)
    return {"queries": len(ours),
            "ours_p50_ms": round(percentile(ours, 0.5), 1), "ours_p95_ms": round(p95_ours, 1),
            "raw_p50_ms": round(percentile(raw, 0.5), 1), "raw_p95_ms": round(p95_raw, 1),
            "overhead_p95_percent": round((p95_ours / p95_raw - 1) * 100, 1)}


def suggest_and_update(index):
    suggest, updates = [], []
    for prefix in ("lịch s", "nguyễn v", "tay ng", "cà p", "đắk", "sử thi", "y d", "ho"):
        began = time.perf_counter()
        index.suggest(prefix)
        suggest.append((time.perf_counter() - began) * 1000)
    for number in range(0, 200_000, 20_000):
        began = time.perf_counter()
        index.update_availability(f"rec-{number:07d}", {"bmt": 1, "tuy-hoa": 0})
        updates.append((time.perf_counter() - began) * 1000)
    return {"suggest_p95_ms": round(percentile(suggest, 0.95), 1),
            "availability_update_p50_ms": round(percentile(updates, 0.5), 1),
            "availability_update_max_ms": round(max(updates), 1)}


def serve_embedded(path, repeat):
    """Queries on the embedded index; run in a fresh process by ``main``."""
    from federation.index.tantivy_index import TantivyIndex
    index = TantivyIndex(path)
    opened = rss_mb()
    for query in queries():
        index.search(query)
    latencies = []
    for _ in range(repeat):
        for query in queries():
            began = time.perf_counter()
            index.search(query)
            latencies.append((time.perf_counter() - began) * 1000)
    return {"records": index.count(), "p50_ms": round(percentile(latencies, 0.5), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "rss_after_open_mb": opened, "rss_after_queries_mb": rss_mb()}


def build_embedded(path, count, seed):
    from bench.synthetic_catalogue import generate
    from federation.index.tantivy_index import TantivyIndex
    index = TantivyIndex(path)
    if index.count() == count:
        return
    index.clear()
    batch = []
    for record in generate(count, seed):
        batch.append(record)
        if len(batch) == 10_000:
            index.index(batch)
            batch = []
            print(f"\rtantivy: {index.count():,} records", end="", file=sys.stderr, flush=True)
    if batch:
        index.index(batch)
    print(file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timed", type=int, default=200_000,
                        help="the last records written, generated beforehand, give the rate")
    parser.add_argument("--heap", default="3g")
    parser.add_argument("--solr-dir", default=os.path.join(ROOT, "var", "bench-solr"))
    parser.add_argument("--tantivy-path", default=os.path.join(ROOT, "var", "bench-solr-tantivy"))
    parser.add_argument("--reuse", action="store_true",
                        help="keep a running cluster and its collection (queries only)")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    parser.add_argument("--serve-embedded", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_embedded:
        print(json.dumps(serve_embedded(args.serve_embedded, args.repeat)))
        return 0

    from federation.solr.index import SolrIndex
    cluster = start_cluster(args.solr_dir, args.heap, args.reuse)
    report = {"records": args.records, "machine": os.uname().nodename,
              "date": time.strftime("%Y-%m-%d"), "load_before": os.getloadavg()[0]}
    try:
        admin = cluster.admin()
        index = SolrIndex(urls=cluster.urls[:1], collection=COLLECTION, timeout=120)
        if not (args.reuse and COLLECTION in admin.collections()
                and index.count() == args.records):
            admin.delete_collection(COLLECTION)
            admin.setup(COLLECTION, shards=2, replicas=1)
            report["reindex"] = reindex(index, args.records, args.seed, args.timed)
        report["overhead"] = overhead(index, cluster.urls[0], args.repeat)
        report["solr_extra"] = suggest_and_update(index)
        with open(os.path.join(args.solr_dir, "pid")) as f:
            jvm = int(f.read())
        report["solr_memory"] = {"jvm_rss_mb": rss_mb(jvm), "client_rss_mb": rss_mb(),
                                 "heap_max": args.heap}
        build_embedded(args.tantivy_path, args.records, args.seed)
        served = subprocess.run([sys.executable, __file__, "--serve-embedded",
                                 args.tantivy_path, "--repeat", str(args.repeat)],
                                check=True, capture_output=True, text=True)
        report["embedded"] = json.loads(served.stdout.strip().splitlines()[-1])
        report["load_after"] = os.getloadavg()[0]
    finally:
        if not args.keep:
            subprocess.run([os.path.join(ROOT, "scripts", "solr-test"), "stop", args.solr_dir],
                           check=False)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
