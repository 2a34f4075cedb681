"""A bounded on-disk cache of rendered Image API answers (tiles above all).

Files live under ``<dir>/<k[:2]>/<k>`` where ``k`` is the SHA-256 of the
derivative's file path (which changes when the derivative does) and the
canonical request.  Writes go to a temporary file renamed into place, so a
reader never sees half a tile and several processes may share the directory.

The size is bounded: each process counts what it writes, and when its count
says the directory may be over ``max_bytes`` it sweeps once, deleting the
least recently written files down to 80% of the bound.
"""
import hashlib
import os
import tempfile
import threading

__all__ = ["TileCache"]


class TileCache:
    def __init__(self, directory, max_bytes=1 << 30, max_item=4 << 20):
        self.directory = directory
        self.max_bytes = int(max_bytes)
        self.max_item = int(max_item)
        self._lock = threading.Lock()
        self._estimate = None        # bytes on disk as this process believes

    @staticmethod
    def key(*parts):
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()

    def _path(self, key):
        return os.path.join(self.directory, key[:2], key)

    def get(self, key):
        try:
            with open(self._path(key), "rb") as f:
                return f.read()
        except OSError:
            return None

    def put(self, key, data):
        if not self.max_bytes or len(data) > self.max_item:
            return
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        with self._lock:
            if self._estimate is None:
                self._estimate = self.size()
            else:
                self._estimate += len(data)
            sweep = self._estimate > self.max_bytes
        if sweep:
            self.sweep()

    def _files(self):
        for base, _dirs, names in os.walk(self.directory):
            for name in names:
                path = os.path.join(base, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                yield st.st_mtime, st.st_size, path

    def size(self):
        return sum(size for _, size, _ in self._files())

    def sweep(self):
        """Delete the oldest files until the cache holds at most 80% of its bound."""
        with self._lock:
            files = sorted(self._files())
            total = sum(size for _, size, _ in files)
            target = int(self.max_bytes * 0.8)
            for _, size, path in files:
                if total <= target:
                    break
                try:
                    os.unlink(path)
                    total -= size
                except OSError:
                    pass
            self._estimate = total
