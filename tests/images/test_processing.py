"""Telling an image by its content and shrinking it to fit (Pillow, no database)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gamesched.images import MAX_BYTES, ImageKind, ImageRejected, ImageTooLarge, prepare_image
from tests.images.pictures import animated_gif, dimensions, picture


@pytest.mark.parametrize(
    ("fmt", "media_type", "ext"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_each_taken_type_is_kept_byte_for_byte_within_the_box(fmt: str, media_type: str, ext: str) -> None:
    data = picture(fmt)
    image = prepare_image(data, ImageKind.THUMBNAIL)
    assert image.data == data
    assert (image.media_type, image.extension, image.width, image.height) == (media_type, ext, 64, 48)
    assert image.name == f"{image.digest}.{ext}" and len(image.digest) == 64


def test_a_bigger_picture_is_downscaled_to_its_kinds_box_keeping_proportions() -> None:
    big = picture("JPEG", (3200, 1800))
    thumb = prepare_image(big, ImageKind.THUMBNAIL)
    banner = prepare_image(big, ImageKind.BANNER)
    assert dimensions(thumb.data) == ("JPEG", (512, 288)) and (thumb.width, thumb.height) == (512, 288)
    assert dimensions(banner.data) == ("JPEG", (1600, 900))
    # Downscaling is deterministic, so the same upload is the same stored image.
    assert prepare_image(big, ImageKind.THUMBNAIL).name == thumb.name


def test_an_animated_gif_keeps_its_frames_when_downscaled() -> None:
    image = prepare_image(animated_gif((900, 600)), ImageKind.THUMBNAIL)
    with Image.open(io.BytesIO(image.data)) as shrunk:
        assert shrunk.format == "GIF" and shrunk.size == (512, 341) and shrunk.n_frames == 3


def test_the_type_comes_from_the_content_not_the_name() -> None:
    with pytest.raises(ImageRejected) as text_file:
        prepare_image(b"just some text, saved as picture.png\n", ImageKind.BANNER)
    assert text_file.value.status_code == 415
    assert text_file.value.message == "The file is not a PNG, JPEG, GIF or WebP image."
    with pytest.raises(ImageRejected):
        prepare_image(picture("BMP"), ImageKind.BANNER)  # a real image, of a type we do not take
    with pytest.raises(ImageRejected) as damaged:
        prepare_image(picture("PNG", (300, 300))[:200], ImageKind.BANNER)
    assert "damaged" in damaged.value.message


def test_more_than_five_megabytes_is_refused_with_the_limit() -> None:
    with pytest.raises(ImageTooLarge) as error:
        prepare_image(b"\x89PNG" + b"\0" * MAX_BYTES, ImageKind.BANNER)
    assert error.value.status_code == 413
    assert error.value.message == "The image is 5.0 MB; images may be at most 5 MB."


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    bomb = picture("PNG", (10_000, 10_000), "black")  # 100 megapixels in a few kilobytes
    with pytest.raises(ImageTooLarge) as error:
        prepare_image(bomb, ImageKind.BANNER)
    assert error.value.status_code == 413
    assert error.value.message == "The image has too many pixels; images may have at most 40 megapixels."
    with pytest.raises(ImageTooLarge):
        prepare_image(picture("PNG", (8000, 6000), "black"), ImageKind.BANNER)  # 48: under Pillow's own limit


def test_metadata_such_as_a_photos_position_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (52.0, 31.0, 12.0)}  # GPS: latitude
    photo = picture("JPEG", (300, 200), exif=exif.tobytes())
    assert Image.open(io.BytesIO(photo)).getexif()
    kept = prepare_image(photo, ImageKind.BANNER)
    with Image.open(io.BytesIO(kept.data)) as stored:
        assert not stored.getexif() and "exif" not in stored.info
        assert stored.size == (300, 200)
