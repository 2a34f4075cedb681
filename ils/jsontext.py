"""JSON text, fast: orjson behind two functions the rest of the code calls.

Every record of the union catalogue crosses JSON several times on its way
from a MARC file to the index (SQL JSON columns, worker processes, the
index's stored copy); the standard library's encoder was the largest single
cost of an import (``bench/union_rebuild.py --profile``). orjson writes the
same JSON (UTF-8, no ASCII escapes, compact separators) several times faster
and reads anything ``json`` reads. (``federation.merge.fingerprint`` calls
orjson itself, with sorted keys.)
"""
import orjson

__all__ = ["dumps", "dumps_bytes", "loads"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value):
    """``value`` as JSON text (str)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def dumps_bytes(value):
    """``value`` as UTF-8 JSON bytes."""
    return orjson.dumps(value, option=_OPTIONS)


loads = orjson.loads
