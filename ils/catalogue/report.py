"""What an import tells the librarian: counts, and each problem with its place.

Every message is a ``Reason``: an English msgid (a TranslationString for the
portal to localize) and the Vietnamese text, so the command line can print
both without a request. ``str(reason)`` gives "Vietnamese / English".
"""
from dataclasses import dataclass, field
from string import Template

from translationstring import TranslationStringFactory   # what pyramid.i18n gives, lighter

_ = TranslationStringFactory("serepok")

__all__ = ["Reason", "Rejection", "ItemProblem", "ImportReport", "NotMarcError"]


@dataclass(frozen=True)
class Reason:
    """One message in both languages; ``${name}`` placeholders filled from ``mapping``."""

    english: str
    vietnamese: str
    mapping: tuple = ()

    @classmethod
    def of(cls, english, vietnamese, **mapping):
        return cls(english, vietnamese, tuple(sorted(mapping.items())))

    @property
    def message(self):
        """The TranslationString (English msgid) for the portal."""
        return _(self.english, mapping=dict(self.mapping))

    @property
    def en(self):
        return Template(self.english).safe_substitute(dict(self.mapping))

    @property
    def vi(self):
        return Template(self.vietnamese).safe_substitute(dict(self.mapping))

    def __str__(self):
        return f"{self.vi} / {self.en}"


@dataclass
class Rejection:
    """A record that was not imported: where it is in the file and why.

    ``number`` counts records from 1 in file order; ``offset`` is the byte
    offset of the record in an ISO 2709 file, ``line`` its line in MARCXML.
    """

    number: int
    reason: Reason
    offset: int | None = None
    line: int | None = None
    control_number: str | None = None

    def position(self):
        place = f"#{self.number}"
        if self.offset is not None:
            place += f" (byte {self.offset})"
        if self.line is not None:
            place += f" (dòng/line {self.line})"
        if self.control_number:
            place += f" 001={self.control_number}"
        return place

    def __str__(self):
        return f"{self.position()}: {self.reason}"


@dataclass
class ItemProblem:
    """A copy (852/952 field) that was not stored; its record was."""

    number: int
    tag: str
    reason: Reason
    barcode: str = ""

    def __str__(self):
        barcode = f" {self.barcode}" if self.barcode else ""
        return f"#{self.number} {self.tag}{barcode}: {self.reason}"


@dataclass
class ImportReport:
    """The outcome of one import.

    ``read == created + updated + unchanged + len(rejected)``. ``encodings``
    counts the records read in each character encoding other than UTF-8
    (``marc-8``, ``tcvn3``, ``vni``, ``utf-8-unlabelled``, or a codec the
    caller forced). ``changed_ids`` are the records created or updated, for
    the search index to pick up after the commit; ``unchanged_ids`` the
    others the file holds. ``merged``: how many of the file's records the
    union catalogue shows merged with another source record (the same book
    in another library's catalogue, or a duplicate), once it has taken the
    import in; None until then.
    """

    file: str = ""
    format: str = ""                 # "iso2709" or "marcxml"
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    item_problems: list = field(default_factory=list)
    encodings: dict = field(default_factory=dict)
    changed_ids: list = field(default_factory=list)
    unchanged_ids: list = field(default_factory=list)
    merged: int | None = None
    # wall-clock seconds per phase, when the caller timed them ("import",
    # "union": the union catalogue and search index brought up to date)
    seconds: dict = field(default_factory=dict)
    stopped: Reason | None = None    # the file could not be read to its end

    def summary_lines(self):
        """The report as bilingual lines, for the command line."""
        lines = [
            f"Tệp / file: {self.file} ({self.format})",
            f"Đã đọc / read: {self.read}",
            f"Tạo mới / created: {self.created}",
            f"Cập nhật / updated: {self.updated}",
            f"Không đổi / unchanged: {self.unchanged}",
            f"Bị loại / rejected: {len(self.rejected)}",
        ]
        if self.merged is not None:
            lines.append(f"Gộp trong mục lục liên hợp / merged in the union catalogue: "
                         f"{self.merged}")
        lines += [
            f"Bản sách / items: {self.items_created} tạo mới / created, "
            f"{self.items_updated} cập nhật / updated, "
            f"{self.items_unchanged} không đổi / unchanged, "
            f"{len(self.item_problems)} bỏ qua / skipped",
        ]
        if self.encodings:
            converted = ", ".join(f"{name}: {n}" for name, n in sorted(self.encodings.items()))
            lines.append(f"Đã chuyển mã / converted from: {converted}")
        lines.extend(f"  ✗ {rejection}" for rejection in self.rejected)
        lines.extend(f"  ! {problem}" for problem in self.item_problems)
        if self.stopped is not None:
            lines.append(f"Dừng đọc tệp / stopped reading: {self.stopped}")
        return lines


class NotMarcError(ValueError):
    """The file as a whole is not MARC 21; nothing of it was stored."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(str(reason))

    @property
    def message(self):
        return self.reason.message
