"""Upload checks: size limits and file types told by their first bytes, not their names."""
from pyramid.i18n import TranslationStringFactory

_ = TranslationStringFactory("serepok")

AUDIO = {"audio/ogg", "audio/mpeg", "audio/wav", "audio/mp4", "audio/flac"}
IMAGES = {"image/jpeg", "image/png"}


class UploadError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def sniff(head):
    """The media type of a file from its first bytes, or None."""
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def megabytes(size):
    """A size in MB for people: 300, 1.5, 0.016 (never a misleading 0)."""
    mb = size / (1 << 20)
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.2g}"


def read_limited(field, max_bytes):
    """The bytes of an uploaded file (a cgi FieldStorage), or :class:`UploadError`.

    The size is checked while reading, so a 2 GB upload is never held in memory.
    """
    if field is None or not hasattr(field, "file"):
        raise UploadError(_("Choose a file to upload."))
    chunks, size = [], 0
    while True:
        chunk = field.file.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise UploadError(_("The file is larger than the limit of ${mb} MB.",
                                mapping={"mb": megabytes(max_bytes)}))
        chunks.append(chunk)
    if not size:
        raise UploadError(_("The file is empty."))
    return b"".join(chunks)


def read_upload(field, allowed, max_bytes):
    """Read an uploaded file within limits and of an allowed type.

    Returns ``(data, media_type, filename)`` or raises :class:`UploadError`.
    """
    data = read_limited(field, max_bytes)
    media_type = sniff(data[:16])
    if media_type not in allowed:
        raise UploadError(_("This type of file is not accepted here. Accepted: ${types}.",
                            mapping={"types": ", ".join(sorted(allowed))}))
    return data, media_type, getattr(field, "filename", "") or ""


def audio_duration(data):
    """Duration in seconds of an audio file (mutagen), 0.0 when it cannot tell."""
    import io

    import mutagen
    try:
        info = mutagen.File(io.BytesIO(data))
    except Exception:   # mutagen raises many types on damaged files
        return 0.0
    return float(getattr(getattr(info, "info", None), "length", 0.0) or 0.0)
