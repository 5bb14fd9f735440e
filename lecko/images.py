"""Uploaded images opened, checked and re-encoded by Pillow (no EXIF, no trailing bytes),
with smaller copies for srcset. Apart from lecko.uploads so that Pillow (2 MB a process)
is loaded only by the processes that receive an upload, not by every web worker."""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .uploads import (
    DAMAGED_IMAGE,
    IMAGE_FORMAT,
    IMAGE_FORMATS,
    MAX_ANIMATION_PIXELS,
    MAX_PIXELS,
    TOO_MANY_PIXELS,
    UNKNOWN,
    VARIANT_WIDTHS,
    Checked,
    RefusedUpload,
)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def identify_image(data: bytes) -> str:
    """The Pillow format of an accepted image, opened and verified (bombs refused) but not
    decoded; RefusedUpload otherwise."""
    with pillow_refusals(), Image.open(io.BytesIO(data)) as probe:
        kind = probe.format
        check_pixels(probe, frames=1)
        probe.verify()
        return kind


def reencode_image(data: bytes) -> Checked:
    """An image that passed identify_image(), decoded and re-encoded from its pixels."""
    with pillow_refusals(), Image.open(io.BytesIO(data)) as image:
        frames = image.n_frames if is_animated(image) else 1
        check_pixels(image, frames)
        return reencode(image, image.format)


@contextmanager
def pillow_refusals():
    """Pillow's errors and bomb warnings as RefusedUpload, with a message for the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except RefusedUpload:
            raise
        except UnidentifiedImageError:
            raise RefusedUpload(UNKNOWN) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise RefusedUpload(TOO_MANY_PIXELS % {"mp": MAX_PIXELS // 1_000_000}) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
            raise RefusedUpload(DAMAGED_IMAGE) from None


def check_pixels(image: Image.Image, frames: int) -> None:
    """An accepted format, and few enough pixels to decode safely."""
    if image.format not in IMAGE_FORMATS:
        raise RefusedUpload(IMAGE_FORMAT % {"format": image.format})
    width, height = image.size
    if width * height > MAX_PIXELS or width * height * frames > MAX_ANIMATION_PIXELS:
        raise RefusedUpload(TOO_MANY_PIXELS % {"mp": MAX_PIXELS // 1_000_000})


def is_animated(image: Image.Image) -> bool:
    return image.format != "MPO" and getattr(image, "is_animated", False)


def reencode(image: Image.Image, kind: str) -> Checked:
    """The pixels only: no EXIF, XMP, comments or trailing bytes survive."""
    extension, mime_type = IMAGE_FORMATS[kind]
    save_format = "JPEG" if kind == "MPO" else kind
    icc = image.info.get("icc_profile")
    if is_animated(image):
        data = encode_animation(image, save_format)
        return Checked(data, extension, mime_type, *image.size)
    image.seek(0)
    upright = ImageOps.exif_transpose(image)
    upright.load()
    upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    data = encode(upright, save_format, icc)
    variants = {}
    if save_format != "GIF":  # resizing palettes degrades them: GIFs stay one size
        for width in VARIANT_WIDTHS:
            if width < upright.width:
                variants[width] = encode(resized(upright, width), save_format, icc)
    return Checked(data, extension, mime_type, upright.width, upright.height, variants)


def encode(image: Image.Image, save_format: str, icc: bytes | None) -> bytes:
    options: dict = {"icc_profile": icc} if icc else {}
    if save_format == "JPEG":
        if image.mode not in ("L", "RGB", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=85, optimize=True, progressive=True)
    elif save_format == "WEBP":
        options.update(quality=85, method=4)
    buffer = io.BytesIO()
    image.save(buffer, save_format, **options)
    return buffer.getvalue()


def resized(image: Image.Image, width: int) -> Image.Image:
    if image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        keeps_alpha = image.mode in ("P", "PA") and "transparency" in image.info
        image = image.convert("RGBA" if keeps_alpha or "A" in image.mode else "RGB")
    height = max(1, round(image.height * width / image.width))
    copy = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    copy.info = {}
    return copy


def encode_animation(image: Image.Image, save_format: str) -> bytes:
    """Every frame, composited as Pillow shows it, with its duration; nothing else."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration") or 100)
        copy = frame.convert("RGBA")
        copy.info = {}
        frames.append(copy)
    options: dict = {"save_all": True, "append_images": frames[1:], "duration": durations,
                     "loop": image.info.get("loop", 0)}
    if save_format == "GIF":
        options["disposal"] = 2
    elif save_format == "WEBP":
        options.update(quality=85, method=4)
    buffer = io.BytesIO()
    frames[0].save(buffer, save_format, **options)
    return buffer.getvalue()
