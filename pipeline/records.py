"""Typed records: every row the pipeline writes is one of these dataclasses.

Offsets come in two flavours.  Stages work on a document's repaired ``text``
and produce records whose ``start``/``end`` are indices into that text; the
runner maps them to *source* offsets (indices into the decoded source file, or
into the record's text field for jsonl/csv/parquet input) before writing, using
``Document.offsets``.  Written tables therefore always satisfy
``source_text[start:end] == record.text``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Iterator


class OffsetMap:
    """Text index -> source offset, stored as contiguous runs.

    A repaired article maps to its source in a few hundred runs however long it is,
    so a 50 MB single-line file does not need a 50-million-entry list.
    """

    __slots__ = ("_starts", "_sources", "_length")

    def __init__(self, offsets: Iterable[int] = ()):
        self._starts: list[int] = []  # text index where each run starts
        self._sources: list[int] = []  # source offset of that index
        self._length = 0
        for o in offsets:
            self.append(o)

    @classmethod
    def identity(cls, n: int) -> "OffsetMap":
        m = cls()
        if n:
            m._starts, m._sources, m._length = [0], [0], n
        return m

    def append(self, source: int) -> None:
        if not self._starts or self._sources[-1] + (self._length - self._starts[-1]) != source:
            self._starts.append(self._length)
            self._sources.append(source)
        self._length += 1

    def extend_range(self, source_start: int, n: int) -> None:
        """Append ``n`` consecutive source offsets starting at ``source_start``."""
        if n <= 0:
            return
        self.append(source_start)
        self._length += n - 1

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: int) -> int:
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(i)
        k = bisect_right(self._starts, i) - 1
        return self._sources[k] + (i - self._starts[k])

    def __iter__(self) -> Iterator[int]:
        bounds = self._starts[1:] + [self._length]
        for start, end, src in zip(self._starts, bounds, self._sources):
            yield from range(src, src + end - start)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (OffsetMap, list, range)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"OffsetMap({len(self)} chars, {len(self._starts)} runs)"


@dataclass
class Document:
    doc_id: str
    source: str
    record: str | None = None  # record id inside a jsonl/csv/parquet file
    article_index: int = 0
    pre_title: str | None = None
    title: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    reporters: list[str] = field(default_factory=list)
    date: dt.date | None = None
    text: str = ""
    body_start: int = 0  # index in ``text`` where the body (after headings/byline) starts
    source_start: int = 0
    source_end: int = 0
    status: str = "ok"
    error: str | None = None
    # not written: text index -> source offset, len(offsets) == len(text)
    offsets: OffsetMap = field(default_factory=OffsetMap, repr=False)
    # not written: the decoded source text the offsets point into
    source_text: str = field(default="", repr=False)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of ``text`` to a [start, end) span of the source."""
        if end <= start:
            s = self.offsets[start] if start < len(self.offsets) else self.source_end
            return s, s
        return self.offsets[start], self.offsets[end - 1] + 1

    def source_slice(self, start: int, end: int) -> str:
        s, e = self.to_source(start, end)
        return self.source_text[s:e]


@dataclass
class Sentence:
    doc_id: str
    source: str
    sentence_index: int
    start: int
    end: int
    text: str


@dataclass
class Token:
    doc_id: str
    source: str
    sentence_index: int
    token_index: int
    start: int
    end: int
    text: str


@dataclass
class Entity:
    doc_id: str
    source: str
    start: int
    end: int
    text: str
    label: str  # COMPANY | GOV | ORG | PLACE | PERSON
    method: str  # which rule / model found it, e.g. "gazetteer:divisions", "regex:org_suffix", "model:spacy"
    entity_id: str = ""
    canonical: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None
    adcode: str | None = None
    entity_key: str = ""  # the row of this entity in the run's ``entity_index`` (see :func:`entity_key`)


def entity_key(label: str, canonical: str | None, adcode: str | None = None) -> str:
    """Key of a distinct entity across a corpus: its label, canonical name and (places) division
    code, so that 青岛市 and 青岛 (both 370200) are one place, and two 新区 of different cities two."""
    key = f"{label}\x00{canonical or ''}\x00{adcode or ''}"
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class Official:
    doc_id: str
    source: str
    person: str
    start: int
    end: int
    titles: list[str] = field(default_factory=list)
    orgs: list[str | None] = field(default_factory=list)


@dataclass
class Fact:
    doc_id: str
    source: str
    start: int
    end: int
    text: str
    value: float | None
    unit: str | None
    kind: str  # count | money | area | length | weight | percent | rank | other
    bound: str  # exact | approx | lower | upper | range (value .. value_high)
    value_low: float | None = None
    value_high: float | None = None
    base_value: float | None = None
    base_unit: str | None = None
    subject: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    time: str | None = None
    time_start: dt.date | None = None
    time_end: dt.date | None = None
    place: str | None = None
    sentence: str | None = None


@dataclass
class ErrorRecord:
    source: str
    doc_id: str | None
    stage: str
    error_type: str
    message: str


TABLE_RECORDS: dict[str, type] = {
    "documents": Document,
    "sentences": Sentence,
    "tokens": Token,
    "entities": Entity,
    "officials": Official,
    "facts": Fact,
    "errors": ErrorRecord,
}

_PRIVATE = {"offsets", "source_text"}


def to_row(record: Any) -> dict[str, Any]:
    """A record as a dict of its written columns."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name not in _PRIVATE}


__all__ = [
    "Document", "Sentence", "Token", "Entity", "Official", "Fact", "ErrorRecord",
    "TABLE_RECORDS", "to_row", "entity_key",
]
