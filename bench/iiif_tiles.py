"""Benchmark: 512 px JPEG tiles of a 600 dpi page, Serepok's IIIF server beside IIPImage.

    .venv/bin/python bench/iiif_tiles.py [--duration 10] [--connections 8] [--json out.json]

What it does, in order:

1. Makes an A4 page at 600 dpi (4960 × 7016 px, paper-like noise and dark
   "text" bars, so JPEG has work to do) and saves it once as the digitization
   line stores a page: a pyramidal TIFF of 512 px JPEG tiles at Q 85
   (``repository.digitization.derivatives``).
2. Builds a throwaway portal (its own ``var/``) holding one published item
   whose page derivative is exactly that TIFF, and serves it with waitress
   (``--threads`` threads) on a loopback port, the tile cache turned off and
   libvips' operation cache emptied, so every tile is cut and encoded anew.
3. Starts Debian's ``iipsrv.fcgi`` under ``spawn-fcgi`` (``--iip-procs``
   processes, its tile cache off: ``MAX_IMAGE_CACHE_SIZE=0``) behind a minimal
   nginx on loopback, on a copy of the same TIFF.
4. Loads each in turn with ``wrk`` and ``bench/wrk_report.lua`` over the same
   list of tiles (every 512 px tile of the full-resolution level and of the
   halved one), same connections, same duration. Serepok twice: as it runs
   (whole stored tiles served as the TIFF holds them, ``iiif.render``; the
   edge tiles rendered) and with ``iiif.passthrough = false`` (every tile
   decoded and encoded again, as IIPImage does).
5. Restarts Serepok with its tile cache on, warms it with every tile, and
   measures cached tiles with the same connections, then with one connection
   (the service time, no queueing: target p95 < 10 ms).

Targets: uncached throughput ≥ 60% of IIPImage's (both Serepok figures are
reported); cached p95 < 10 ms.
Exit 2 when wrk, spawn-fcgi, nginx or iipsrv is missing; with ``--check``,
3 when a target is missed.  Never run by the test suite.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
LUA = HERE / "wrk_report.lua"
IIPSRV = "/usr/lib/iipimage-server/iipsrv.fcgi"
WIDTH, HEIGHT = 4960, 7016
TILE = 512


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def make_page():
    import pyvips
    paper = pyvips.Image.gaussnoise(WIDTH, HEIGHT, mean=225, sigma=12)
    y = pyvips.Image.xyz(WIDTH, HEIGHT)[1]
    x = pyvips.Image.xyz(WIDTH, HEIGHT)[0]
    # lines of "text": dark bars 60 px high every 110 px, broken into words
    text = ((y % 110) < 60) & ((x % 420) < 340) & (x > 400) & (x < WIDTH - 400)
    page = text.ifthenelse(paper - 170, paper).cast("uchar")
    page = page.bandjoin([page, (page * 0.95).cast("uchar")])
    sys.path.insert(0, str(REPO))
    from repository.digitization.derivatives import QUALITY, TILE as STORED_TILE
    return page.tiffsave_buffer(tile=True, pyramid=True, compression="jpeg", Q=QUALITY,
                                tile_width=STORED_TILE, tile_height=STORED_TILE, strip=True)


def tiles():
    """(x, y, w, h, size) of every tile of scale factors 1 and 2."""
    out = []
    for factor in (1, 2):
        step = TILE * factor
        for top in range(0, HEIGHT, step):
            for left in range(0, WIDTH, step):
                w, h = min(step, WIDTH - left), min(step, HEIGHT - top)
                out.append((left, top, w, h, f"{-(-w // factor)},"))
    return out


def stored_share(path):
    """The share of the benchmark's tiles served as the TIFF stores them."""
    sys.path.insert(0, str(REPO))
    from iiif import imageapi, render
    pyramid = render.Pyramid(str(path))
    found = 0
    for x, y, w, h, size in tiles():
        plan = imageapi.plan(f"{x},{y},{w},{h}", size, "0", "default.jpg", pyramid.width,
                             pyramid.height, imageapi.Limits())
        found += render.stored_tile(pyramid, plan) is not None
    return round(found / len(tiles()), 3)


def build_portal(var, tiff):
    """A portal with one published item whose only page is ``tiff``; returns its identifier."""
    sys.path.insert(0, str(REPO))
    from pyramid.scripting import prepare
    from portal import main
    from repository.interfaces import IContentService
    from repository.pages import add_canvas
    from repository.resources import Site
    settings = settings_for(var, cache=False)
    app = main({}, **settings)
    env = prepare(registry=app.registry)
    request = env["request"]
    request.tm.begin()
    root = env["root"]
    site = Site(title="Bench", code="BENCH")
    site.state = "published"
    root.add("bench", site)
    service = request.find_service(IContentService)
    collection, _ = service.add(site, "Collection", {"title": "Số hóa"}, name="so-hoa")
    service.transition(collection, "publish")
    item, _ = service.add(collection, "DigitalItem", {"title": "Trang 600 dpi"})
    canvas = add_canvas(item, b"master", "image/tiff", WIDTH, HEIGHT)
    canvas.set_derivative(tiff)
    service.transition(item, "publish")
    identifier = f"{item.uid}~{canvas.id}"
    request.tm.commit()
    env["closer"]()
    for db in app.registry._zodb_databases.values():
        db.close()
    app.registry["dbengine"].dispose()
    return identifier


def settings_for(var, cache, passthrough=True):
    return {
        "iiif.passthrough": "true" if passthrough else "false",
        "zodbconn.uri": f"file://{var}/Data.fs?blobstorage_dir={var}/blobs",
        "sqlalchemy.url": f"sqlite:///{var}/serepok.sqlite",
        "sql.auto_migrate": "true",
        "serepok.var": str(var),
        "serepok.secret": "bench-only-secret",
        "serepok.base_url": "http://127.0.0.1",
        "iiif.tile_cache_size": str(1 << 30) if cache else "0",
    }


def serve(var, port, threads, cache, passthrough="1"):
    """Run in a child process: the portal under waitress."""
    sys.path.insert(0, str(REPO))
    import pyvips
    import waitress
    from portal import main
    app = main({}, **settings_for(pathlib.Path(var), cache == "1", passthrough == "1"))
    if cache != "1":
        pyvips.cache_set_max(0)      # no libvips operation cache: every tile cut anew
    waitress.serve(app, host="127.0.0.1", port=int(port), threads=int(threads),
                   _quiet=True, connection_limit=1000, channel_timeout=30)


def start_serepok(var, threads, cache, passthrough=True):
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(var), str(port),
                             str(threads), "1" if cache else "0", "1" if passthrough else "0"])
    return proc, port


def start_iipsrv(work, procs):
    fcgi, http = free_port(), free_port()
    env = dict(os.environ, FILESYSTEM_PREFIX=f"{work}/", MAX_IMAGE_CACHE_SIZE="0",
               VERBOSITY="0", LOGFILE=f"{work}/iipsrv.log", JPEG_QUALITY="85")
    subprocess.run(["spawn-fcgi", "-a", "127.0.0.1", "-p", str(fcgi), "-F", str(procs),
                    "-P", f"{work}/iipsrv.pid", "--", IIPSRV], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work}/nb; fastcgi_temp_path {work}/nf;
  proxy_temp_path {work}/np; uwsgi_temp_path {work}/nu; scgi_temp_path {work}/ns;
  server {{
    listen 127.0.0.1:{http};
    location /fcgi-bin/iipsrv.fcgi {{
      fastcgi_pass 127.0.0.1:{fcgi};
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param SERVER_NAME $server_name;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
    }}
  }}
}}
""")
    nginx = subprocess.Popen(["nginx", "-p", str(work), "-c", str(conf), "-g", "daemon off;"])
    return nginx, http, work / "iipsrv.pid"


def stop_iipsrv(nginx, pidfile):
    nginx.terminate()
    nginx.wait(timeout=10)
    # spawn-fcgi -F writes one pid a line; stop exactly those processes
    for line in pidfile.read_text().split():
        try:
            os.kill(int(line), 15)
        except (ProcessLookupError, ValueError):
            pass


def wrk(base, paths_file, duration, connections):
    run = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}",
                          f"-d{duration}s", "--timeout", "10s", "-s", str(LUA), base,
                          "--", str(paths_file)],
                         capture_output=True, text=True, timeout=duration + 60)
    match = re.search(r"WRK_RESULT (\{.*\})", run.stdout)
    if not match:
        raise RuntimeError("wrk gave no result:\n" + run.stdout + run.stderr)
    return json.loads(match.group(1))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        return serve(*sys.argv[2:7])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--iip-procs", type=int, default=2, help="iipsrv processes")
    parser.add_argument("--json")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "spawn-fcgi", "nginx"):
        if shutil.which(tool) is None:
            print(f"thiếu / missing: {tool} (scripts/debian-packages bench)", file=sys.stderr)
            return 2
    if not os.path.exists(IIPSRV):
        print("thiếu / missing: iipimage-server (scripts/debian-packages bench)", file=sys.stderr)
        return 2
    work = pathlib.Path(tempfile.mkdtemp(prefix="serepok-iiif-bench-"))
    results = {"tiles": len(tiles()), "connections": args.connections,
               "duration_s": args.duration, "threads": args.threads,
               "iip_procs": args.iip_procs, "load_before": os.getloadavg()[0]}
    try:
        t = time.time()
        tiff = make_page()
        results["pyramid_build_s"] = round(time.time() - t, 2)
        (work / "page.tif").write_bytes(tiff)
        var = work / "var"
        var.mkdir()
        identifier = build_portal(var, tiff)

        ours = work / "ours.txt"
        ours.write_text("".join(f"/iiif/3/{identifier}/{x},{y},{w},{h}/{size}/0/default.jpg\n"
                                for x, y, w, h, size in tiles()))
        theirs = work / "iip.txt"
        theirs.write_text("".join(
            f"/fcgi-bin/iipsrv.fcgi?IIIF=page.tif/{x},{y},{w},{h}/{size}/0/default.jpg\n"
            for x, y, w, h, size in tiles()))

        nginx, http, pidfile = start_iipsrv(work, args.iip_procs)
        try:
            base = f"http://127.0.0.1:{http}"
            wait_for(base + "/fcgi-bin/iipsrv.fcgi?IIIF=page.tif/info.json")
            wrk(base, theirs, 2, args.connections)                       # warm-up
            results["iipsrv_uncached"] = wrk(base, theirs, args.duration, args.connections)
        finally:
            stop_iipsrv(nginx, pidfile)

        results["stored_share"] = stored_share(work / "page.tif")
        for name, passthrough in (("serepok_uncached", True), ("serepok_rendered", False)):
            proc, port = start_serepok(var, args.threads, cache=False, passthrough=passthrough)
            try:
                base = f"http://127.0.0.1:{port}"
                wait_for(f"{base}/iiif/3/{identifier}/info.json")
                wrk(base, ours, 2, args.connections)
                results[name] = wrk(base, ours, args.duration, args.connections)
            finally:
                proc.terminate()
                proc.wait(timeout=30)

        proc, port = start_serepok(var, args.threads, cache=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/iiif/3/{identifier}/info.json")
            for line in ours.read_text().split():
                urllib.request.urlopen(base + line, timeout=30).read()
            results["serepok_cached"] = wrk(base, ours, args.duration, args.connections)
            # one connection: the service time of a cached tile, without queueing
            results["serepok_cached_1conn"] = wrk(base, ours, args.duration, 1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results["load_after"] = os.getloadavg()[0]
    ratio = results["serepok_uncached"]["rps"] / results["iipsrv_uncached"]["rps"]
    results["ratio_uncached"] = round(ratio, 3)
    results["ratio_rendered"] = round(
        results["serepok_rendered"]["rps"] / results["iipsrv_uncached"]["rps"], 3)
    results["targets_met"] = {"uncached_ratio>=0.60": ratio >= 0.60,
                              "cached_p95<10ms": results["serepok_cached_1conn"]["p95_ms"] < 10}
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        pathlib.Path(args.json).write_text(text)
    if args.check and not all(results["targets_met"].values()):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
