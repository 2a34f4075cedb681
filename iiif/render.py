"""Cut IIIF Image API answers out of a pyramidal TIFF with pyvips.

The derivative holds the page at full size plus halvings (one TIFF page per
level, tiled, JPEG-compressed).  A request is served from the smallest level
that still has at least as many pixels as the output needs, so a 512 px tile
of a zoomed-out view reads a few tiles of a small level, never the 600 dpi
master.  pyvips evaluates lazily and streams: only the tiles under the crop
are decoded.

Opened images are kept in a small per-process LRU (pyvips images are
immutable and safe to share between threads); the key is the file path,
which changes whenever the derivative blob does.

Stored tiles as they are ("passthrough"): a request for exactly one of a
level's stored tiles (the 512 px grid info.json announces, which is what
viewers ask for), in colour or default quality, JPEG, unrotated, gets the
JPEG the TIFF already holds, made whole with the file's JPEG tables: the same
pixels ``render`` would decode (tested), without a second lossy encoding and
without decoding at all. Tiles at the right and bottom edges (stored padded),
other regions, sizes and qualities are rendered as above. Only JPEG-in-TIFF
in YCbCr (colour) or grey qualifies; the tile layout is read from the TIFF's
tags with Pillow when the pyramid is opened.
"""
import collections
import logging
import threading

import pyvips

log = logging.getLogger(__name__)

__all__ = ["Pyramid", "open_pyramid", "render", "stored_tile", "StoredTile",
           "pyramid_sizes"]

_JPEG = 7                      # TIFF Compression: JPEG ("new style", tables in JPEGTables)
# TIFF PhotometricInterpretation: YCbCr, and grey with black as zero (a JPEG decoder knows
# nothing of WhiteIsZero, which would come out inverted)
_YCBCR, _BLACK_IS_ZERO = 6, 1
# A JFIF APP0 segment: says "YCbCr (or grey), no thumbnail" to every decoder
_JFIF = bytes.fromhex("ffe000104a46494600010100000100010000")


class _StoredTiles:
    """Where one level's JPEG tiles are in the file: tile size, offsets, lengths, tables."""
    __slots__ = ("width", "height", "tile_w", "tile_h", "across", "offsets", "lengths", "tables")

    def __init__(self, width, height, tile_w, tile_h, offsets, lengths, tables):
        self.width, self.height = width, height
        self.tile_w, self.tile_h = tile_w, tile_h
        self.across = -(-width // tile_w)
        self.offsets, self.lengths, self.tables = offsets, lengths, tables


def _stored_layout(path, sizes):
    """``[_StoredTiles or None]`` for each level of ``sizes`` (``[(w, h)]``):
    None for a level whose tiles cannot be served as they are."""
    from PIL import TiffImagePlugin
    layout = []
    try:
        # the plugin itself, not Image.open: only tags are read, so the decompression-bomb
        # check (which refuses the largest map scans) has nothing to guard here
        with TiffImagePlugin.TiffImageFile(path) as tiff:
            for page, (width, height) in enumerate(sizes):
                tiff.seek(page)
                tags = tiff.tag_v2
                tables = tags.get(347)
                samples = tags.get(277, 1)
                photometric = tags.get(262)
                usable = (tags.get(259) == _JPEG and tags.get(322) and tags.get(323)
                          and tags.get(324) and tags.get(284, 1) == 1
                          and tiff.size == (width, height) and isinstance(tables, bytes)
                          and tables[:2] == b"\xff\xd8" and tables[-2:] == b"\xff\xd9"
                          and ((photometric == _YCBCR and samples == 3)
                               or (photometric == _BLACK_IS_ZERO and samples == 1)))
                layout.append(_StoredTiles(width, height, int(tags[322]), int(tags[323]),
                                           tuple(tags[324]), tuple(tags[325]),
                                           tables[:-2]) if usable else None)
    except Exception:        # an odd TIFF: every tile is rendered, nothing is lost
        log.warning("cannot read the tile layout of %s; rendering every tile", path,
                    exc_info=True)
        return [None] * len(sizes)
    return layout


_SAVE = {
    "jpg": (".jpg", {"Q": 85, "strip": True}),
    "png": (".png", {"compression": 6, "strip": True}),
    "webp": (".webp", {"Q": 80, "strip": True}),
}


class Pyramid:
    """The levels of one pyramidal TIFF: ``levels[k]`` is (image, width, height)."""

    def __init__(self, path):
        self.path = path
        first = pyvips.Image.new_from_file(path, access="random", page=0)
        pages = first.get("n-pages") if "n-pages" in first.get_fields() else 1
        self.levels = [(first, first.width, first.height)]
        for page in range(1, pages):
            level = pyvips.Image.new_from_file(path, access="random", page=page)
            if level.width >= self.levels[-1][1]:
                break             # not a reduced level: a multi-page TIFF, not a pyramid
            self.levels.append((level, level.width, level.height))
        self.stored = _stored_layout(path, [(w, h) for _, w, h in self.levels])

    @property
    def width(self):
        return self.levels[0][1]

    @property
    def height(self):
        return self.levels[0][2]

    def level_for(self, region_w, region_h, out_w, out_h):
        """The smallest level that keeps at least the output's resolution."""
        return self.levels[self.level_index(region_w, region_h, out_w, out_h)]

    def level_index(self, region_w, region_h, out_w, out_h):
        """The index in ``levels`` of ``level_for``'s answer."""
        chosen = 0
        for index, (_, lw, lh) in enumerate(self.levels[1:], 1):
            if region_w * lw / self.width >= out_w and region_h * lh / self.height >= out_h:
                chosen = index
            else:
                break
        return chosen


_cache = collections.OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 64


def open_pyramid(path):
    """The :class:`Pyramid` of ``path``, opened once per process (LRU of 64)."""
    with _cache_lock:
        pyramid = _cache.get(path)
        if pyramid is not None:
            _cache.move_to_end(path)
            return pyramid
    pyramid = Pyramid(path)
    with _cache_lock:
        _cache[path] = pyramid
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return pyramid


def pyramid_sizes(pyramid, limits):
    """Whole-image sizes that are cheap to serve (info.json ``sizes``), smallest first."""
    return sorted((w, h) for _, w, h in pyramid.levels if limits.allows(w, h))


def _crop_box(pyramid, plan):
    """(level index, left, top, right, bottom): the region in the pixels of the level
    ``plan`` is cut from."""
    index = pyramid.level_index(plan.w, plan.h, plan.width, plan.height)
    _image, lw, lh = pyramid.levels[index]
    fx, fy = lw / pyramid.width, lh / pyramid.height
    left, top = int(plan.x * fx), int(plan.y * fy)
    right = min(lw, max(left + 1, int(round((plan.x + plan.w) * fx))))
    bottom = min(lh, max(top + 1, int(round((plan.y + plan.h) * fy))))
    return index, left, top, right, bottom


def stored_tile(pyramid, plan):
    """Where the JPEG of ``plan`` is stored as it is (a ``StoredTile``), or None
    when ``plan`` is not exactly one whole stored tile served unchanged (see
    the module docstring). Reads nothing: ``StoredTile.read()`` does."""
    if (plan.format != "jpg" or plan.quality not in ("default", "color") or plan.rotation
            or plan.mirror):
        return None
    index, left, top, right, bottom = _crop_box(pyramid, plan)
    stored = pyramid.stored[index] if index < len(pyramid.stored) else None
    if stored is None:
        return None
    tw, th = stored.tile_w, stored.tile_h
    if (left % tw or top % th or right - left != tw or bottom - top != th
            or (plan.width, plan.height) != (tw, th)):
        return None
    tile = (top // th) * stored.across + left // tw
    if tile >= len(stored.offsets):
        return None
    return StoredTile(pyramid.path, stored.offsets[tile], stored.lengths[tile], stored.tables)


class StoredTile:
    """One JPEG tile of a TIFF: ``read()`` gives it as a whole JPEG file."""
    __slots__ = ("path", "offset", "length", "tables")

    def __init__(self, path, offset, length, tables):
        self.path, self.offset, self.length, self.tables = path, offset, length, tables

    def read(self):
        """The JPEG, or None when the bytes there are not one (then render it)."""
        with open(self.path, "rb") as data:
            data.seek(self.offset)
            body = data.read(self.length)
        if body[:2] != b"\xff\xd8" or body[-2:] != b"\xff\xd9":
            return None
        # SOI, JFIF, the file's tables (without their SOI), the tile's own segments
        return b"\xff\xd8" + _JFIF + self.tables[2:] + body[2:]


def render(pyramid, plan):
    """The encoded bytes of ``plan`` (an :class:`iiif.imageapi.Plan`)."""
    index, left, top, right, bottom = _crop_box(pyramid, plan)
    image = pyramid.levels[index][0]
    out = image.crop(left, top, right - left, bottom - top)
    if (out.width, out.height) != (plan.width, plan.height):
        out = out.resize(plan.width / out.width, vscale=plan.height / out.height,
                         kernel="lanczos3" if plan.width < out.width else "linear")
        if (out.width, out.height) != (plan.width, plan.height):
            # resize rounds; pad or trim the last pixel so the size is exactly what was asked
            out = out.gravity("north-west", plan.width, plan.height, extend="copy")
    if out.hasalpha():
        out = out.flatten(background=[255] * (out.bands - 1))
    if plan.mirror:
        out = out.fliphor()
    if plan.rotation:
        out = out.rot(f"d{plan.rotation}")
    if plan.quality in ("gray", "bitonal"):
        out = out.colourspace("b-w")
        if plan.quality == "bitonal":
            out = (out > 127).ifthenelse(255, 0).cast("uchar")
    suffix, options = _SAVE[plan.format]
    return out.write_to_buffer(suffix, **options)
