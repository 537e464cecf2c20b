"""What makes an upload a photo the crib can keep."""

import io

from django.conf import settings
from PIL import Image

from inference.preprocess import PhotoError, open_photo
from toolcrib.crib.errors import CribError

FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}


def check_photo(data: bytes) -> tuple[int, int, str]:
    """(width, height) after EXIF orientation, and a file extension; CribError when it is no photo."""
    if len(data) > settings.TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024:
        raise CribError(f"The photo is larger than {settings.TOOLCRIB_MAX_UPLOAD_MB} MB.")
    try:
        # Decoded once here (at a reduced scale where JPEG allows), so a broken file is refused
        # at upload and not later, half-way through an issue.
        photo = open_photo(data)
    except PhotoError as e:
        raise CribError(str(e)) from None
    kind = Image.open(io.BytesIO(data)).format
    if kind not in FORMATS:
        raise CribError(f"{kind} files are not accepted: send a JPEG, PNG or WEBP photo.")
    return *photo.size, FORMATS[kind]
