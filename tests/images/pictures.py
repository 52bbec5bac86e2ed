"""Image files for the tests, made with Pillow."""

from __future__ import annotations

import io

from PIL import Image


def picture(
    fmt: str = "PNG", size: tuple[int, int] = (64, 48), colour: str = "teal", **options: object
) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.save(out, format=fmt, **options)
    return out.getvalue()


def animated_gif(size: tuple[int, int], frames: int = 3) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", size, colour) for colour in ("red", "green", "blue")[:frames]]
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=120, loop=0)
    return out.getvalue()


def dimensions(data: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format or "", image.size
