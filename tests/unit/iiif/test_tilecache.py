"""The disk tile cache keeps what it is given and stays within its bound."""
import os

from iiif.tilecache import TileCache


def test_get_put_and_bound(tmp_path):
    cache = TileCache(str(tmp_path), max_bytes=10_000)
    cache.put("a" * 64, b"x" * 3000)
    assert cache.get("a" * 64) == b"x" * 3000
    assert cache.get("b" * 64) is None
    for n in range(10):
        key = f"{n:064d}"
        cache.put(key, b"y" * 3000)
        os.utime(os.path.join(str(tmp_path), key[:2], key), (n, n))
    assert cache.size() <= 10_000
    assert cache.get(f"{9:064d}") == b"y" * 3000          # the newest survive


def test_disabled_and_oversized(tmp_path):
    TileCache(str(tmp_path), max_bytes=0).put("c" * 64, b"z")
    assert TileCache(str(tmp_path)).get("c" * 64) is None
    small = TileCache(str(tmp_path), max_item=10)
    small.put("d" * 64, b"z" * 11)
    assert small.get("d" * 64) is None
