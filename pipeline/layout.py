"""Newspaper page layout: split a printed page into articles and repair column breaks.

A page (as the sample in ``data/raw``) is a sequence of Markdown-like lines:
heading lines (``#``/``##``/``###``), bylines (``□青岛日报/观海新闻记者 周晓峰``),
datelines (``本报4月28日讯``) and body paragraphs separated by blank lines.  The
printed columns break words and numbers across lines (``“小`` / ``巨人”企业``,
``共达成交易60`` / ``余亿元``); a paragraph that does not end a sentence is
joined to the next one.

Every character of an article's repaired ``text`` keeps the offset of the source
character it came from (``Document.offsets``), so any span found later maps back
to the exact place in the source file.

A text without bylines is not a newspaper page and passes through as a single
document, normalised but not re-flowed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .records import Document, OffsetMap

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)\s*$")
BYLINE = re.compile(r"^[□■◇◆]")
# outlet and role, then names; several roles may follow each other
BYLINE_ROLE = re.compile(
    r"(?P<title>[^\s□■◇◆]*?(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道))[ \t\u3000]*"
    r"(?P<names>[^□■◇◆]*?)(?=[ \t\u3000]*(?:[^\s□■◇◆]*?(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道))|[ \t\u3000]*$)"
)
DATELINE = re.compile(
    r"^(?:本报|本刊|新华社|中新社)?(?P<place>[\u4e00-\u9fff]{0,6}?)"
    r"(?:(?P<year>\d{4})年)?(?:(?P<month>\d{1,2})月)?(?P<day>\d{1,2})日(?:电|讯)"
    r"|^本报讯"
)
# a paragraph ending in one of these ends a sentence; otherwise the next one continues it
SENTENCE_END = set("。！？!?…；;：:")
CLOSERS = set("”’」』）)》】\"'")

# 1:1 character normalisation (offsets stay valid): full-width digits, Latin letters,
# %, . and spaces become ASCII.
_FW = {c: c - 0xFEE0 for c in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))}
_FW.update({0xFF05: ord("%"), 0xFF0E: ord("."), 0x3000: ord(" "), 0x00A0: ord(" "), 0xFEFF: ord(" ")})


def normalise(text: str) -> str:
    """Character-for-character normalisation; ``len(normalise(t)) == len(t)``."""
    return text.translate(_FW)


class LayoutSettings(BaseModel):
    """How input text is split into documents."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "newspaper", "plain"] = "auto"
    """``auto``: a text with bylines is a newspaper page, anything else one document."""
    publication_date: dt.date | None = None
    """Issue date of the page; datelines such as ``本报4月28日讯`` are resolved against it."""
    join_column_breaks: bool = True
    """Join paragraphs that do not end a sentence (printed column breaks)."""


@dataclass
class Line:
    start: int  # source offset of the first character
    text: str  # the line without its newline
    kind: str  # blank | heading | byline | text
    level: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split_lines(text: str) -> list[Line]:
    lines = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if not stripped:
            kind, level = "blank", 0
        elif (m := HEADING.match(stripped)):
            kind, level = "heading", len(m.group(1))
        elif BYLINE.match(stripped):
            kind, level = "byline", 0
        else:
            kind, level = "text", 0
        lines.append(Line(pos, body, kind, level))
        pos += len(raw)
    return lines


@dataclass
class _Builder:
    """Accumulates repaired text with its source offsets."""

    text: list[str] = field(default_factory=list)
    offsets: OffsetMap = field(default_factory=OffsetMap)

    def add(self, s: str, start: int) -> tuple[int, int]:
        begin = len(self.offsets)
        self.text.append(s)
        self.offsets.extend_range(start, len(s))
        return begin, len(self.offsets)

    def add_break(self, source_pos: int) -> None:
        self.text.append("\n")
        self.offsets.append(source_pos)

    def __len__(self) -> int:
        return len(self.offsets)

    def string(self) -> str:
        return "".join(self.text)


def _content(line: Line) -> tuple[str, int]:
    """Visible content of a line and its source offset (heading marks and padding removed)."""
    s = line.text
    lead = len(s) - len(s.lstrip())
    s = s.strip()
    if line.kind == "heading":
        m = HEADING.match(s)
        inner = m.group(2)
        lead += s.index(inner, len(m.group(1))) if inner else len(s)
        s = inner
    return s, line.start + lead


def ends_sentence(paragraph: str) -> bool:
    s = paragraph.rstrip()
    while s and s[-1] in CLOSERS:
        s = s[:-1]
        if s and s[-1] in SENTENCE_END:
            return True
    return bool(s) and s[-1] in SENTENCE_END


def parse_byline(byline: str) -> tuple[list[str], list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Reporters of a byline.

    Returns ``(names, name_spans, role_spans)``: names without padding (``王 凯`` ->
    ``王凯``), the raw spans of each name in ``byline`` (``(start, end, name)``) and
    the spans of each outlet/role title (``青岛日报/观海新闻记者``).
    """
    names: list[str] = []
    name_spans: list[tuple[int, int, str]] = []
    role_spans: list[tuple[int, int, str]] = []
    for m in BYLINE_ROLE.finditer(byline):
        role_spans.append((m.start("title"), m.end("title"), m.group("title")))
        tokens = [(t.start() + m.start("names"), t.group()) for t in re.finditer(r"[^\s]+", m.group("names"))]
        i = 0
        while i < len(tokens):
            start, tok = tokens[i]
            end = start + len(tok)
            # names printed with padding: single characters belong together (王 凯)
            if len(tok) == 1:
                j = i + 1
                while j < len(tokens) and len(tokens[j][1]) == 1 and j - i < 3:
                    end = tokens[j][0] + 1
                    j += 1
                i = j
            else:
                i += 1
            name = re.sub(r"\s+", "", byline[start:end])
            names.append(name)
            name_spans.append((start, end, name))
    return names, name_spans, role_spans


def resolve_dateline(line: str, publication_date: dt.date | None) -> dt.date | None:
    m = DATELINE.match(line)
    if not m or not m.group("day"):
        return publication_date if m else None
    day = int(m.group("day"))
    ref = publication_date
    month = int(m.group("month")) if m.group("month") else (ref.month if ref else None)
    year = int(m.group("year")) if m.group("year") else (ref.year if ref else None)
    if month is None or year is None:
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if ref and not m.group("year") and date > ref + dt.timedelta(days=1):
        try:  # a dateline after the issue date refers to the previous year (or month)
            date = date.replace(year=date.year - 1) if m.group("month") else date.replace(month=date.month - 1 or 12)
        except ValueError:
            pass
    return date


def doc_id_for(source: str, record: str | None, article_index: int) -> str:
    key = f"{source}\x00{record or ''}\x00{article_index}"
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _article_starts(lines: list[Line]) -> list[int]:
    """Index of the first header line of each article (the headings before a byline)."""
    starts = []
    for i, line in enumerate(lines):
        if line.kind != "byline":
            continue
        j, first = i - 1, i
        while j >= 0 and lines[j].kind in ("blank", "heading"):
            if lines[j].kind == "heading":
                first = j
            j -= 1
        if not starts or first > starts[-1]:
            starts.append(first)
    return starts


def build_article(lines: list[Line], source_text: str, settings: LayoutSettings, *,
                  source: str, record: str | None, article_index: int, reflow: bool) -> Document:
    """Repaired text and header fields of one article made of ``lines``."""
    b = _Builder()
    headings: list[tuple[int, str]] = []
    byline = None
    byline_at = None
    reporters: list[str] = []
    reporter_spans: list[tuple[int, int, str]] = []
    role_spans: list[tuple[int, int, str]] = []
    body_start = None
    date = None
    prev: Line | None = None
    gap_start = None  # source offset of the newline after the previous content line
    blank_between = False
    for line in lines:
        if line.kind == "blank":
            blank_between = prev is not None
            continue
        content, cstart = _content(line)
        if prev is not None:
            join = (reflow and settings.join_column_breaks and blank_between
                    and prev.kind == "text" and line.kind == "text"
                    and not ends_sentence(_content(prev)[0]))
            if not join:
                b.add_break(gap_start)
        in_header = body_start is None and line.kind in ("heading", "byline")
        start, end = b.add(content, cstart)
        if in_header and line.kind == "heading":
            headings.append((line.level, content))
        elif line.kind == "byline" and byline is None:
            byline, byline_at = content, start
            reporters, spans, roles = parse_byline(content)
            reporter_spans = [(start + s, start + e, n) for s, e, n in spans]
            role_spans = [(start + s, start + e, t) for s, e, t in roles]
        elif body_start is None:
            body_start = start
            date = resolve_dateline(content, settings.publication_date)
        prev = line
        gap_start = line.end
        blank_between = False
    text = b.string()
    pre = title = sub = None
    if headings:
        top = min(level for level, _ in headings)
        k = next(i for i, (level, _) in enumerate(headings) if level == top)
        pre = " ".join(h for _, h in headings[:k]) or None
        title = headings[k][1]
        sub = " ".join(h.lstrip("—-－ ") for _, h in headings[k + 1:]) or None
    if body_start is None:
        body_start = len(text)
    offsets = b.offsets
    doc = Document(
        doc_id=doc_id_for(source, record, article_index), source=source, record=record,
        article_index=article_index,
        pre_title=pre, title=title, subtitle=sub, byline=byline, reporters=reporters,
        date=date or settings.publication_date, text=text, body_start=body_start,
        source_start=offsets[0] if offsets else 0, source_end=(offsets[-1] + 1) if offsets else 0,
        offsets=offsets, source_text=source_text,
    )
    doc.reporter_spans = reporter_spans  # type: ignore[attr-defined]
    doc.byline_roles = role_spans  # type: ignore[attr-defined]
    doc.byline_start = byline_at  # type: ignore[attr-defined]
    return doc


def split_page(source_text: str, source: str, settings: LayoutSettings | None = None,
               record: str | None = None) -> list[Document]:
    """Split a decoded source text into article documents (one for plain text)."""
    settings = settings or LayoutSettings()
    text = normalise(source_text)
    lines = split_lines(text)
    starts = _article_starts(lines) if settings.mode != "plain" else []
    if settings.mode == "newspaper" and not starts:
        starts = [0]
    if not starts:
        doc = build_article(lines, source_text, settings, source=source, record=record,
                            article_index=0, reflow=False)
        return [doc]
    docs = []
    bounds = starts + [len(lines)]
    for k, (a, z) in enumerate(zip(bounds, bounds[1:])):
        docs.append(build_article(lines[a:z], source_text, settings, source=source, record=record,
                                  article_index=k, reflow=True))
    return docs


class LayoutStage:
    """Split each input document into articles (newspaper pages) and repair column breaks."""

    name = "layout"
    Settings = LayoutSettings

    def __init__(self, settings: LayoutSettings, context=None):
        self.settings = settings

    def process(self, items: list) -> list:
        from .stage import Analysis

        out = []
        for item in items:
            d = item.doc
            out.extend(Analysis(doc) for doc in split_page(d.source_text, d.source, self.settings, record=d.record))
        return out
