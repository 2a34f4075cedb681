"""A MARC file as a whole: ISO 2709 or MARCXML, told apart by content.

``read_marc(source)`` yields one ``Entry`` per record in file order: the record
(Unicode NFC, legacy Vietnamese encodings converted, see ``charsets``), or the
reason it could not be read and where it is (record number, byte offset or
line). A file that is not MARC at all raises ``NotMarcError`` before any
record is read.
"""
import io
import mmap
import os
import re

from .charsets import check_encoding, convert_mojibake
from .iso2709 import LEADER, entry_of, iso2709_entries, iso2709_frames
from .marc import Entry, reason
from .marcxml import XmlReader, not_marc
from .report import NotMarcError

__all__ = ["MarcFile", "read_marc", "read_frame", "finish", "sniff"]


def sniff(head):
    """``"iso2709"``, ``"marcxml"`` or None for the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") or head.startswith((b"\xff\xfe<", b"\xfe\xff\x00<")):
        return "marcxml"
    if re.match(rb"\d{5}[ -~]{7}\d{5}", text) or LEADER.search(head):
        return "iso2709"
    return None


class MarcFile:
    """A MARC file opened for reading: ``format``, ``size`` and ``entries()``.

    ``source`` is a path, a binary file object or bytes. Raises NotMarcError
    for an empty file or one that is not MARC at all, before any record is read.
    """

    def __init__(self, source, encoding=None):
        self.encoding = check_encoding(encoding) if encoding else None
        self._closers = []
        self._path = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            self._path = source
            handle = open(source, "rb")
            self._closers.append(handle.close)
            if os.fstat(handle.fileno()).st_size == 0:
                self.data = b""
            else:
                self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                self._closers.insert(0, self.data.close)
        else:
            self.data = source.read()
        self.size = len(self.data)
        if not self.size or not self.data[:4096].strip(b" \t\r\n\x00\x1a"):
            self.close()
            raise NotMarcError(reason("The file is empty; nothing was imported.",
                                      "Tệp rỗng; chưa nhập gì."))
        self.format = sniff(self.data[:65536])
        if self.format is None:
            self.close()
            raise NotMarcError(not_marc())
        self.stopped = None
        self._xml = None
        self._stream = None
        self._offset = 0

    def entries(self):
        if self.format == "iso2709":
            entries = iso2709_entries(self.data, self.encoding)
        else:
            stream = open(self._path, "rb") if self._path else io.BytesIO(self.data)
            self._closers.append(stream.close)
            self._stream = stream
            self._xml = XmlReader(stream, head=bytes(self.data[:65536]))
            entries = self._xml.entries()
        for entry in entries:
            if entry.offset is not None:
                self._offset = entry.offset
            yield finish(entry)
        if self._xml is not None:
            self.stopped = self._xml.stopped

    def frames(self):
        """For an ISO 2709 file: the records cut apart but not read, as
        ``iso2709_frames`` gives them (``read_frame`` reads one, anywhere:
        worker processes read a large file's records in parallel)."""
        for frame in iso2709_frames(self.data):
            self._offset = frame.offset if isinstance(frame, Entry) else frame[1]
            yield frame

    def position(self):
        """How far reading has come, in bytes (for a progress bar)."""
        if self._stream is not None and not self._stream.closed:
            return self._stream.tell()
        return self._offset

    def close(self):
        for close in self._closers:
            close()
        self._closers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def finish(entry):
    """A UTF-8 record that is really TCVN3 or VNI read as Latin-1 is converted."""
    record = entry.record
    if record is not None and record.encoding in ("utf-8", "utf-8-unlabelled"):
        legacy = convert_mojibake(record)
        if legacy:
            record.encoding = legacy
    return entry


def read_frame(frame, encoding=None):
    """The ``Entry`` of a frame of ``MarcFile.frames``."""
    if isinstance(frame, Entry):
        return frame
    return finish(entry_of(*frame, encoding))


def read_marc(source, encoding=None):
    """Yield an ``Entry`` for each record of ``source`` (see ``MarcFile``)."""
    with MarcFile(source, encoding) as marc:
        yield from marc.entries()
