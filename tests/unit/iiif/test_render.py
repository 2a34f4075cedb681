"""Tiles served as the pyramidal TIFF stores them: exactly the right requests,
exactly the stored pixels."""
import io

import pytest
import pyvips
from PIL import Image

from iiif import imageapi, render
from tests.unit.iiif.support import pyramid_tiff

LIMITS = imageapi.Limits()


def noisy(width, height, bands=3):
    image = pyvips.Image.gaussnoise(width, height, mean=128, sigma=40).cast("uchar")
    return image.bandjoin([image.invert(), image]) if bands == 3 else image


@pytest.fixture
def page(tmp_path):
    """A 1300 × 1100 colour page: level 0 has 3 × 3 tiles of 512 px (the last
    column and row padded), level 1 (650 × 550) 2 × 2, level 2 one."""
    path = tmp_path / "page.tif"
    path.write_bytes(pyramid_tiff(noisy(1300, 1100), 1300, 1100))
    render._cache.clear()
    return render.open_pyramid(str(path))


def plan(pyramid, region, size, rotation="0", quality="default.jpg"):
    return imageapi.plan(region, size, rotation, quality, pyramid.width, pyramid.height,
                         LIMITS)


def pixels(data):
    return Image.open(io.BytesIO(data)).tobytes()


def stored_pixels(pyramid, level, left, top, w=512, h=512):
    """What libvips decodes from the TIFF there (the pixels ``render`` starts from)."""
    return pyramid.levels[level][0].crop(left, top, w, h).write_to_memory()


@pytest.mark.parametrize("region,size,level,left,top", [
    ("0,0,512,512", "512,", 0, 0, 0),
    ("512,512,512,512", "512,", 0, 512, 512),
    ("0,512,512,512", "max", 0, 0, 512),
    ("0,0,1024,1024", "512,", 1, 0, 0),           # level 1 (650 × 550): its first tile
    ("1024,0,276,1024", "138,", 1, 512, 0),       # level 1, right column: 138 px, padded
])
def test_whole_stored_tiles_come_out_as_stored(page, region, size, level, left, top):
    tile = render.stored_tile(page, plan(page, region, size))
    if left + 512 > page.levels[level][1] or top + 512 > page.levels[level][2]:
        assert tile is None          # an edge tile is stored padded: rendered instead
        return
    data = tile.read()
    assert data[:2] == b"\xff\xd8" and data[6:11] == b"JFIF\x00"
    assert Image.open(io.BytesIO(data)).size == (512, 512)
    assert pixels(data) == stored_pixels(page, level, left, top)


@pytest.mark.parametrize("region,size,rotation,quality", [
    ("0,0,512,512", "512,", "0", "default.png"),
    ("0,0,512,512", "512,", "0", "gray.jpg"),
    ("0,0,512,512", "512,", "90", "default.jpg"),
    ("0,0,512,512", "512,", "!0", "default.jpg"),
    ("0,0,512,512", "256,", "0", "default.jpg"),     # a smaller size: resized
    ("1,0,512,512", "512,", "0", "default.jpg"),     # off the grid
    ("0,0,500,512", "500,", "0", "default.jpg"),     # part of a tile
    ("1024,1024,276,76", "276,", "0", "default.jpg"),   # the corner, stored padded
])
def test_everything_else_is_rendered(page, region, size, rotation, quality):
    assert render.stored_tile(page, plan(page, region, size, rotation, quality)) is None
    assert render.render(page, plan(page, region, size, rotation, quality))


def test_grey_pages_too(tmp_path):
    path = tmp_path / "grey.tif"
    path.write_bytes(pyramid_tiff(noisy(1024, 1024, bands=1), 1024, 1024))
    pyramid = render.Pyramid(str(path))
    data = render.stored_tile(pyramid, plan(pyramid, "512,512,512,512", "512,")).read()
    assert Image.open(io.BytesIO(data)).mode == "L"
    assert pixels(data) == stored_pixels(pyramid, 0, 512, 512)


@pytest.mark.parametrize("options", [
    {"compression": "deflate", "tile_width": 512, "tile_height": 512},   # not JPEG
    {"compression": "jpeg", "tile_width": 256, "tile_height": 256},      # another grid
])
def test_other_tiffs_are_always_rendered(tmp_path, options):
    path = tmp_path / "other.tif"
    path.write_bytes(noisy(1024, 1024).tiffsave_buffer(tile=True, pyramid=True, **options))
    pyramid = render.Pyramid(str(path))
    assert render.stored_tile(pyramid, plan(pyramid, "0,0,512,512", "512,")) is None


def test_a_tiff_whose_tags_cannot_be_read_is_rendered(tmp_path, monkeypatch):
    path = tmp_path / "page.tif"
    path.write_bytes(pyramid_tiff(noisy(1024, 1024), 1024, 1024))

    def broken(*args, **kwargs):
        raise OSError("bad tags")
    monkeypatch.setattr("PIL.TiffImagePlugin.TiffImageFile", broken)
    pyramid = render.Pyramid(str(path))
    assert pyramid.stored == [None] * len(pyramid.levels)
    assert render.stored_tile(pyramid, plan(pyramid, "0,0,512,512", "512,")) is None


def test_bytes_that_are_not_a_jpeg_are_not_served(page, tmp_path):
    tile = render.stored_tile(page, plan(page, "0,0,512,512", "512,"))
    other = tmp_path / "garbage.tif"
    other.write_bytes(b"\0" * (tile.offset + tile.length))
    tile.path = str(other)
    assert tile.read() is None


def test_a_very_large_scan_still_has_its_tiles_served_as_stored(tmp_path, monkeypatch):
    """Only the TIFF's tags are read: Pillow's decompression-bomb limit (meant for
    decoding pixels) does not turn the stored tiles of a large map scan off."""
    import PIL.Image
    path = tmp_path / "map.tif"
    path.write_bytes(pyramid_tiff(noisy(1024, 1024), 1024, 1024))
    monkeypatch.setattr(PIL.Image, "MAX_IMAGE_PIXELS", 1000)    # as if 1024² were huge
    pyramid = render.Pyramid(str(path))
    assert render.stored_tile(pyramid, plan(pyramid, "512,512,512,512", "512,")) is not None
