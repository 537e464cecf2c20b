"""What makes an upload a photo the crib can keep."""

import io
import warnings

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "MPO": "jpg"}


def check_photo(data: bytes) -> tuple[int, int, str]:
    """(width, height) after EXIF orientation and a file extension; CribError when it is no photo."""
    from toolcrib.crib.services import CribError

    if not data:
        raise CribError("The upload is empty: take the photo again.")
    if len(data) > settings.TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024:
        raise CribError(f"The photo is larger than {settings.TOOLCRIB_MAX_UPLOAD_MB} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise CribError(f"{image.format} files are not accepted: send a JPEG, PNG or WEBP photo.")
            width, height = image.size
            if width * height > settings.TOOLCRIB_MAX_PIXELS:
                raise CribError(f"The photo has {width * height / 1e6:.0f} megapixels; the limit is {settings.TOOLCRIB_MAX_PIXELS / 1e6:.0f}.")
            image.load()  # a truncated or corrupt file fails here, not later in the model
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise CribError("This file is not a photo the crib can read (JPEG, PNG or WEBP).") from None
    except (OSError, SyntaxError, ValueError):
        raise CribError("The photo is damaged or cut short: take it again.") from None
    orientation = image.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return width, height, FORMATS[image.format]
