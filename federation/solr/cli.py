"""``serepok solr setup`` and ``serepok reindex --backend solr``.

``solr setup INI [--shards N] [--replicas N]`` uploads our configset
(``federation/solr/configset/conf``) and creates the collection on the
SolrCloud the settings name (or, when it exists, uploads the configset again
and reloads the collection).

``reindex INI --backend solr`` rebuilds the union store from its sources (as
``serepok reindex`` does), then writes every live record into the Solr
collection in batches, with a progress bar. After each batch it notes the last
record id in a checkpoint file (``<serepok.var>/solr-reindex-<collection>.json``):
an interrupted run (Ctrl-C, a node or the whole cluster down for longer than
the retries) is resumed by running the command again, from that record on and
without rebuilding the store again; ``--restart`` starts afresh.
``--index-only`` skips the rebuild of the store (which needs the repository,
locked while the portal runs from a FileStorage) and indexes the store as it
is. Changes made meanwhile are queued by the union catalogue and applied after it.
"""
import json
import os
import sys
import time

__all__ = ["add_solr", "cmd_solr_setup", "reindex_solr", "Checkpoint", "solr_settings",
           "node_url"]


def solr_settings(settings):
    """``settings`` with ``search.backend = solr``."""
    settings = dict(settings)
    settings["search.backend"] = "solr"
    return settings


def node_url(settings):
    """A base URL of one live Solr node: the first of ``search.solr_url``, or
    one of the live nodes ZooKeeper knows."""
    urls = (settings.get("search.solr_url") or "").replace(",", " ").split()
    if urls:
        return urls[0]
    zk_hosts = (settings.get("search.solr_zk_hosts") or "").strip()
    if not zk_hosts:
        raise SystemExit("Cần search.solr_url hoặc search.solr_zk_hosts / "
                         "search.solr_url or search.solr_zk_hosts is needed")
    from kazoo.client import KazooClient
    client = KazooClient(hosts=zk_hosts, timeout=15)
    client.start(timeout=15)
    try:
        nodes = client.get_children("/live_nodes")
    finally:
        client.stop()
        client.close()
    if not nodes:
        raise SystemExit("ZooKeeper không biết nút Solr nào đang chạy / no live Solr node in "
                         "ZooKeeper")
    host, _, context = sorted(nodes)[0].partition("_")
    return f"http://{host}/{context or 'solr'}"


def cmd_solr_setup(args):
    from pyramid.paster import get_appsettings

    from federation.solr.admin import SolrAdmin, SolrAdminError
    settings = get_appsettings(args.ini)
    collection = args.collection or (settings.get("search.solr_collection") or "serepok")
    url = args.url or node_url(settings)
    try:
        outcome = SolrAdmin(url).setup(collection, configset=args.configset or collection,
                                       shards=args.shards, replicas=args.replicas)
    except SolrAdminError as error:
        print(f"Lỗi / error: {error}", file=sys.stderr)
        return 1
    words = {"created": "đã tạo / created", "updated": "đã cập nhật cấu hình / configset updated"}
    print(f"Solr {url}: {collection}: {words[outcome]}")
    return 0


class Checkpoint:
    """Where an interrupted ``reindex --backend solr`` stopped: a small JSON
    file replaced atomically after each batch."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def save(self, last, done):
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump({"last": last, "done": done}, f)
        os.replace(temporary, self.path)

    def clear(self):
        if os.path.exists(self.path):
            os.remove(self.path)


def checkpoint_for(settings):
    collection = (settings.get("search.solr_collection") or "serepok").strip()
    var = settings.get("serepok.var", "var")
    return Checkpoint(os.path.join(var, f"solr-reindex-{collection}.json"))


def reindex_solr(session_factory, index, checkpoint, progress=None, batch_size=2000,
                 retry_for=300.0, clear=False):
    """Write every live union record into ``index`` (a ``SolrIndex``) from the
    checkpoint on; returns how many were written in this run. Solr not
    answering is retried for ``retry_for`` seconds per batch, then raised
    (``SearchUnavailable``) with the checkpoint kept."""
    from sqlalchemy import func, select

    from federation.models import UnionRecord
    from federation.records import Record
    from federation.solr.unavailable import SearchUnavailable

    state = checkpoint.load() or {}
    last, done = state.get("last", ""), int(state.get("done", 0))
    if clear and not last:
        index.clear()
    session = session_factory()
    written = 0
    try:
        total = session.scalar(select(func.count()).select_from(UnionRecord)
                               .where(UnionRecord.deleted.is_(False)))
        if progress:
            progress("index", done, total)

        def batches():
            after = last
            while True:
                rows = session.execute(
                    select(UnionRecord.id, UnionRecord.record)
                    .where(UnionRecord.deleted.is_(False), UnionRecord.id > after)
                    .order_by(UnionRecord.id).limit(batch_size)).all()
                if not rows:
                    return
                after = rows[-1].id
                yield after, [Record.from_dict(data, normalized=True) for _id, data in rows]

        def send(docs):
            _retrying(lambda: index.add_documents(docs, visible=False), retry_for,
                      SearchUnavailable)

        def batch_done(last_id, count):
            nonlocal done, written
            done, written = done + count, written + count
            checkpoint.save(last_id, done)
            if progress:
                progress("index", done, total)

        # analysing the next batch while the last ones are sent
        index.write_batches(batches(), done=batch_done, send=send)
        deleted = list(session.scalars(select(UnionRecord.id)
                                       .where(UnionRecord.deleted.is_(True))))
        for start in range(0, len(deleted), 5000):
            chunk = deleted[start:start + 5000]
            _retrying(lambda: index.delete(chunk), retry_for, SearchUnavailable)
        _retrying(index.commit, retry_for, SearchUnavailable)
        checkpoint.clear()
        return written
    finally:
        session.close()


def _retrying(work, retry_for, errors):
    deadline = time.monotonic() + retry_for
    pause = 0.5
    while True:
        try:
            return work()
        except errors:
            if time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 10)


def cmd_reindex_solr(args, environment):
    """``serepok reindex INI --backend solr``; ``environment`` is portal.cli's."""
    from pyramid.paster import get_appsettings

    from federation.cli import _Progress
    from federation.index import search_index_from_settings
    from federation.solr.unavailable import SearchUnavailable
    from ils import db
    settings = solr_settings(get_appsettings(args.ini))
    checkpoint = checkpoint_for(settings)
    if args.restart:
        checkpoint.clear()
    state = checkpoint.load()
    if state:
        print(f"Tiếp tục từ biểu ghi thứ {state['done']} / resuming after record "
              f"{state['done']} ({state['last']})")
    elif args.index_only:
        print("Chỉ lập chỉ mục từ kho mục lục liên hợp / indexing the union store as it is")
    else:
        from federation.services import IUnionCatalogue
        from repository.services import reindex_site
        progress = _Progress(sys.stderr, disable=args.quiet)
        with environment(args.ini) as env:
            for site in env["root"].sites():
                n = reindex_site(site)
                print(f"{site.__name__}: {n} mục đã lập chỉ mục / objects indexed")
            request = env["request"]
            report = request.find_service(IUnionCatalogue).rebuild(
                env["root"], base_url=settings.get("serepok.base_url", ""), progress=progress)
        progress.close()
        print(f"Mục lục liên hợp / union catalogue: {report.records} biểu ghi / records")
    engine = db.make_engine(settings)
    index = search_index_from_settings(settings)
    progress = _Progress(sys.stderr, disable=args.quiet)
    started = time.perf_counter()
    try:
        written = reindex_solr(db.session_factory(engine), index, checkpoint, progress=progress,
                               batch_size=args.batch_size, clear=args.clear and not state)
    except SearchUnavailable as error:
        progress.close()
        print(f"Solr không trả lời; chạy lại lệnh để tiếp tục / Solr did not answer; run the "
              f"command again to resume: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.close()
        print("Đã dừng; chạy lại lệnh để tiếp tục / interrupted; run the command again to "
              "resume", file=sys.stderr)
        return 130
    finally:
        index.close()
        engine.dispose()
    progress.close()
    seconds = time.perf_counter() - started
    print(f"Solr: {written} biểu ghi / records trong / in {seconds:.1f} s")
    return 0


def add_solr(sub, command=None):
    """Add ``serepok solr setup INI`` to the command line."""
    solr = sub.add_parser("solr", help="Apache Solr (search.backend = solr)")
    actions = solr.add_subparsers(dest="solr_action", required=True)
    p = actions.add_parser("setup", help="tải cấu hình, tạo collection / upload the configset, "
                           "create the collection")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. production.ini")
    p.add_argument("--shards", type=int, default=1, help="số shard / number of shards")
    p.add_argument("--replicas", type=int, default=2,
                   help="số bản sao mỗi shard / replicas per shard")
    p.add_argument("--collection", default="", help="mặc định / default: search.solr_collection")
    p.add_argument("--configset", default="", help="mặc định / default: the collection's name")
    p.add_argument("--url", default="", help="một nút Solr / a Solr node: http://host:8983/solr")
    p.set_defaults(func=cmd_solr_setup)
    return p


def add_reindex_options(p):
    """Options of ``serepok reindex`` for the Solr backend."""
    p.add_argument("--backend", choices=["configured", "solr"], default="configured",
                   help="solr: lập chỉ mục vào Solr (tiếp tục khi bị ngắt) / index into Solr "
                        "(resumes after an interruption)")
    p.add_argument("--restart", action="store_true",
                   help="bỏ điểm dừng, làm lại từ đầu / ignore the checkpoint, start afresh")
    p.add_argument("--clear", action="store_true",
                   help="xóa collection trước / empty the collection first")
    p.add_argument("--index-only", action="store_true",
                   help="không dựng lại kho, chỉ lập chỉ mục (cổng vẫn chạy) / do not rebuild the "
                        "store, only index it (the portal may keep running)")
    p.add_argument("--batch-size", type=int, default=2000)
    p.add_argument("--quiet", action="store_true")
