"""Image API 3.0 request arithmetic: what a request asks for, and which status refuses it."""
import dataclasses

import pytest

from iiif.imageapi import ImageRequestError, Limits, info, plan, scale_factors


def region(p):
    return (p.x, p.y, p.w, p.h)


def cut(region_text):
    return region(plan(region_text, "max", "0", "default.jpg", 400, 300))


def test_regions():
    assert region(plan("full", "max", "0", "default.jpg", 400, 300)) == (0, 0, 400, 300)
    assert region(plan("square", "max", "0", "default.jpg", 400, 300)) == (50, 0, 300, 300)
    assert cut("pct:25,50,50,50") == (100, 150, 200, 150)
    # a region running past the edge is cut to the image
    assert cut("300,200,500,500") == (300, 200, 100, 100)


def test_sizes():
    def p(size, w=400, h=300):
        return dataclasses.astuple(plan("full", size, "0", "default.jpg", w, h))[4:6]
    assert p("200,") == (200, 150)
    assert p(",150") == (200, 150)
    assert p("pct:50") == (200, 150)
    assert p("100,100") == (100, 100)          # distorted on request
    assert p("!100,100") == (100, 75)
    assert p("^800,") == (800, 600)
    assert p("^pct:200") == (800, 600)
    assert p("max", 10000, 5000) == (5792, 2896)   # max keeps within maxArea
    small = Limits(max_width=500, max_height=500, max_area=250000)
    assert dataclasses.astuple(plan("full", "^max", "0", "default.jpg", 100, 50, small))[4:6] == (
        500, 250)


@pytest.mark.parametrize("args,status", [
    (("full", "max", "0", "default.tif"), 501),
    (("full", "max", "0", "default.bmp2"), 400),
    (("full", "max", "22.5", "default.jpg"), 501),
    (("full", "max", "361", "default.jpg"), 400),
    (("full", "max", "0", "native.jpg"), 400),
    (("400,0,10,10", "max", "0", "default.jpg"), 400),
    (("pct:101,0,10,10", "max", "0", "default.jpg"), 400),
    (("full", "401,", "0", "default.jpg"), 400),
    (("full", "!0,10", "0", "default.jpg"), 400),
    (("full", "!10,", "0", "default.jpg"), 400),
    (("full", ",", "0", "default.jpg"), 400),
    (("full", "full", "0", "default.jpg"), 400),   # 2.x syntax is not 3.0
    (("full", "^9000,", "0", "default.jpg"), 400),
])
def test_refusals(args, status):
    with pytest.raises(ImageRequestError) as exc:
        plan(*args, 400, 300)
    assert exc.value.status == status


def test_rotation_and_mirroring():
    p = plan("full", "max", "!270", "gray.png", 400, 300)
    assert (p.rotation, p.mirror, p.quality, p.format, p.media_type) == (
        270, True, "gray", "png", "image/png")
    assert plan("full", "max", "360", "default.jpg", 4, 3).rotation == 0


def test_info_claims_level2_with_tiles_down_to_one_tile():
    assert scale_factors(4960, 7016) == [1, 2, 4, 8, 16]
    doc = info("http://x/iiif/3/a~b", 4960, 7016)
    assert doc["profile"] == "level2" and doc["type"] == "ImageService3"
    assert doc["tiles"][0]["scaleFactors"] == [1, 2, 4, 8, 16]
    assert "mirroring" in doc["extraFeatures"] and "rotationArbitrary" not in doc["extraFeatures"]
