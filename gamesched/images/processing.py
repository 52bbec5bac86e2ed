"""Checking and shrinking an uploaded image with Pillow: pure functions, no database.

The type is told by the content (Pillow's decoders), never by the file name or the declared type. An image
within its kind's box is kept byte for byte (the same upload is the same stored image); a bigger one is
downscaled to fit the box, keeping its proportions (and, for GIF and WebP, every frame of an animation).
One with EXIF or XMP metadata is written anew without it: images are public, and a phone photo's metadata
may say where it was taken.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from gamesched.core.errors import DomainError

#: Largest upload taken, in bytes.
MAX_BYTES = 5 * 1024 * 1024
#: Pillow's format names we take, with the media type and file extension each is served with.
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
#: How a downscaled image is written, per format.
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "PNG": {"optimize": True},
    "JPEG": {"quality": 88},
    "WEBP": {"quality": 88},
}
#: A decompression bomb (a tiny file that claims a huge canvas) is refused before it is decoded.
MAX_PIXELS = 40_000_000


class ImageKind(StrEnum):
    """Where an image is shown. Discord draws an embed's thumbnail at most 80 px square and its image at
    most about 400 px wide (520 on wide layouts); on 2x-3x screens that needs 3x the pixels. Hence the boxes:
    512 px for a thumbnail (also the game page's 160 px picture at 3x), 1600 px for a banner (a 520 px embed
    image at 3x, and the full width of the game page). Larger uploads only cost space and Discord's proxy
    time; they would look no sharper."""

    THUMBNAIL = "thumbnail"
    BANNER = "banner"

    @property
    def box(self) -> int:
        return 512 if self is ImageKind.THUMBNAIL else 1600


class ImageRejected(DomainError):
    """An upload that is not an image we take: wrong type (415) or too big (413)."""

    code = "unsupported_image"
    status_code = 415


class ImageTooLarge(ImageRejected):
    code = "image_too_large"
    status_code = 413


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An upload checked and shrunk to fit: what is stored, under ``name`` (its content hash and type)."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def name(self) -> str:
        """The stored image's name, and the last part of its URL: ``<sha256 of the bytes>.<ext>``."""
        return f"{self.digest}.{self.extension}"


PIXELS_SENTENCE = "The image has too many pixels; images may have at most 40 megapixels."
TYPE_SENTENCE = "The file is not a PNG, JPEG, GIF or WebP image."


def prepare_image(data: bytes, kind: ImageKind) -> PreparedImage:
    """Check ``data`` and downscale it to ``kind``'s box; raises ImageRejected with a sentence for people.

    CPU-bound (decoding, resizing): call it in a thread (``asyncio.to_thread``)."""
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(
            f"The image is {len(data) / (1024 * 1024):.1f} MB; images may be at most 5 MB.", field=kind.value
        )
    if not data:
        raise ImageRejected("The file is empty: choose a PNG, JPEG, GIF or WebP image.", field=kind.value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            image.verify()  # reads the whole file: a truncated or corrupt one fails here
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageTooLarge(PIXELS_SENTENCE, field=kind.value)
            fmt = image.format or ""
            media_type, extension = FORMATS[fmt]
            if width <= kind.box and height <= kind.box and not _has_metadata(image):
                image.load()  # decodes it: an image whose pixels are broken is refused, not stored
                return PreparedImage(data, media_type, extension, width, height)
            # Too big, or carrying EXIF/XMP (a phone photo's GPS position, its camera): written anew, without.
            return _downscale(image, fmt, kind.box)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(PIXELS_SENTENCE, field=kind.value) from None
    except UnidentifiedImageError:
        raise ImageRejected(TYPE_SENTENCE, field=kind.value) from None
    except (OSError, SyntaxError, ValueError, KeyError, EOFError):
        # Pillow's ways of saying "this file is damaged".
        raise ImageRejected(
            "The image could not be read (the file is damaged or incomplete).", field=kind.value
        ) from None


def _has_metadata(image: Image.Image) -> bool:
    return bool(image.getexif()) or any(key in image.info for key in ("exif", "xmp", "XML:com.adobe.xmp"))


def _downscale(image: Image.Image, fmt: str, box: int) -> PreparedImage:
    media_type, extension = FORMATS[fmt]
    out = io.BytesIO()
    animated = fmt in ("GIF", "WEBP") and getattr(image, "n_frames", 1) > 1
    if animated:
        frames = []
        durations = []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", image.info.get("duration", 100)))
            copy = frame.convert("RGBA")
            copy.thumbnail((box, box), Image.Resampling.LANCZOS)
            frames.append(copy)
        frames[0].save(
            out,
            format=fmt,
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=image.info.get("loop", 0),
            disposal=2 if fmt == "GIF" else 0,
        )
        width, height = frames[0].size
    else:
        # A phone photo stores its rotation apart from its pixels: apply it, since the metadata goes.
        still = ImageOps.exif_transpose(image)
        if fmt == "JPEG":
            still = still.convert("RGB")
        elif fmt == "GIF" or still.mode not in ("RGB", "RGBA", "L", "LA"):
            still = still.convert("RGBA")
        still.thumbnail((box, box), Image.Resampling.LANCZOS)
        still.save(out, format=fmt, **SAVE_OPTIONS.get(fmt, {}))
        width, height = still.size
    return PreparedImage(out.getvalue(), media_type, extension, width, height)
