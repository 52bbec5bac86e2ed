"""The images module: game (and, later, template) thumbnails and banners.

Uploads are checked by content with Pillow (PNG, JPEG, GIF, WebP; at most 5 MB), downscaled to fit
(``ImageKind.box``) and stored once per content in PostgreSQL's ``images`` table, named by the SHA-256 of
their bytes. They are served publicly at ``/images/<name>`` with year-long, immutable caching: anyone with
the link can see an image (as on Discord), and the hash is the only way to find one. Rows that show an
image point at it with a foreign key; ``ImageStore.sweep`` deletes images nothing points at any more.
"""

from gamesched.images.module import register
from gamesched.images.processing import (
    MAX_BYTES,
    ImageKind,
    ImageRejected,
    ImageTooLarge,
    PreparedImage,
    prepare_image,
)
from gamesched.images.serving import NotMultipart, require_multipart
from gamesched.images.store import GRACE, SWEEP, ImageStore, StoredImage, image_path

__all__ = [
    "GRACE",
    "MAX_BYTES",
    "SWEEP",
    "ImageKind",
    "ImageRejected",
    "ImageStore",
    "ImageTooLarge",
    "NotMultipart",
    "PreparedImage",
    "StoredImage",
    "image_path",
    "prepare_image",
    "register",
    "require_multipart",
]
