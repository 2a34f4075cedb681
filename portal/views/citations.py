"""Citations of a union-catalogue record: APA-style text, RIS and BibTeX.

Names are kept as catalogued. A Vietnamese name has no comma ("Tô Hoài"):
citation styles that invert names would turn it into "Hoài, T.", which no
Vietnamese reader would recognise, so it is written whole (in BibTeX, in braces,
so reference managers keep it as one unit). An inverted name ("Dournes,
Jacques") is left to the reference manager.
"""
import re

from markupsafe import Markup

from federation.analysis import fold

__all__ = ["apa", "ris", "bibtex", "display_name"]

# ", 1920-2014" / " (1765-1820)" after a name in a MARC heading
_DATES = re.compile(r",?\s*\(?\s*\d{3,4}\s*-\s*(?:\d{3,4})?\s*\)?\.?$")
RIS_TYPES = {"book": "BOOK", "ebook": "EBOOK", "digital": "ELEC", "audiobook": "SOUND",
             "serial": "JFULL", "map": "MAP", "video": "VIDEO", "music": "MUSIC",
             "manuscript": "MANSCPT"}


def display_name(name):
    """A heading as a person reads it: dates and trailing punctuation dropped."""
    return _DATES.sub("", name.strip()).strip(" ,;/")


def _names(record):
    return [n for n in (display_name(a) for a in record.authors) if n]


def full_title(record):
    return f"{record.title}: {record.subtitle}" if record.subtitle else record.title


def apa(record, url):
    """An APA-style reference as HTML (the title in italics)."""
    names = _names(record)
    if len(names) > 1:
        who = ", ".join(names[:-1]) + " & " + names[-1]
    else:
        who = names[0] if names else ""
    year = f"({record.year})." if record.year else "(n.d.)."
    title = full_title(record).rstrip(". ")
    parts = []
    if who:
        parts.append(Markup("{} {}").format(who.rstrip(".") + ".", year))
        parts.append(Markup("<i>{}</i>.").format(title))
    else:
        parts.append(Markup("<i>{}</i>. {}").format(title, year))
    if record.publisher:
        parts.append(Markup("{}.").format(record.publisher.rstrip(". ")))
    if url:
        parts.append(Markup("{}").format(url))
    return Markup(" ").join(parts)


def ris(record, url):
    """The record as RIS (for Zotero, EndNote, Mendeley): CRLF lines, ``ER`` last."""
    lines = [("TY", RIS_TYPES.get(record.format, "GEN"))]
    lines += [("AU", name) for name in _names(record)]
    lines.append(("TI", full_title(record)))
    if record.year:
        lines.append(("PY", str(record.year)))
    if record.publisher:
        lines.append(("PB", record.publisher))
    lines += [("SN", isbn) for isbn in record.isbns]
    if record.language:
        lines.append(("LA", record.language))
    lines += [("KW", subject) for subject in record.subjects]
    if record.description:
        lines.append(("AB", " ".join(record.description.split())))
    lines.append(("UR", url))
    if record.url and record.url != url:
        lines.append(("L2", record.url))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(str(value).split())}\r\n" for tag, value in lines)


_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib(text):
    text = " ".join(str(text).replace("\\", "/").split())
    return _BIBTEX_SPECIAL.sub(r"\\\1", text)


def bibtex_key(record):
    names = _names(record)
    who = fold(names[0].split(",")[0].split()[0]) if names else "record"
    key = re.sub(r"[^a-z0-9]", "", who) + (str(record.year) if record.year else "")
    tail = re.sub(r"[^a-z0-9]", "", fold(record.id))[:12]
    return f"{key or 'record'}-{tail}" if tail else key or "record"


def bibtex(record, url):
    """The record as a BibTeX entry (UTF-8, for biblatex/biber)."""
    kind = "book" if record.format in ("book", "ebook") else "misc"
    authors = " and ".join(n if "," in n else "{" + n + "}" for n in
                           (_bib(n) for n in _names(record)))
    fields = [("title", _bib(full_title(record))), ("author", authors),
              ("year", str(record.year or "")), ("publisher", _bib(record.publisher)),
              ("isbn", ", ".join(record.isbns)), ("language", record.language),
              ("keywords", _bib(", ".join(record.subjects))),
              # a verbatim field: escaping would change the address
              ("url", url.replace("{", "%7B").replace("}", "%7D"))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{bibtex_key(record)},\n{body}\n}}\n"
