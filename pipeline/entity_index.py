"""The corpus-level ``entity_index`` table: one row per distinct entity of a run.

A distinct entity is a (label, canonical name, division code) triple, the
``entity_key`` every ``entities`` row carries (:func:`pipeline.records.entity_key`).
:class:`EntityIndex` is fed the rows of each batch as the run writes them, so its
memory grows with the number of distinct entities, never with the corpus.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from .records import entity_key


@dataclass
class _Entry:
    canonical: str | None
    label: str
    province: str | None
    city: str | None
    county: str | None
    adcode: str | None
    mentions: int = 0
    documents: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    last_doc: str | None = None


class EntityIndex:
    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}

    def add(self, documents: Iterable[dict], entities: Iterable[dict]) -> None:
        """The ``documents`` and ``entities`` rows of one batch (a document's entities always
        come in the batch of its document row, together).  Fills in an entity row's
        ``entity_key`` where it has none (rows cached by an earlier version)."""
        dates = {d["doc_id"]: d.get("date") for d in documents}
        for r in entities:
            key = r.get("entity_key") or entity_key(r["label"], r.get("canonical") or r["text"], r.get("adcode"))
            r["entity_key"] = key
            e = self.entries.get(key)
            if e is None:
                e = self.entries[key] = _Entry(r.get("canonical") or r["text"], r["label"], r.get("province"),
                                               r.get("city"), r.get("county"), r.get("adcode"))
            e.mentions += 1
            if e.last_doc != r["doc_id"]:
                e.last_doc = r["doc_id"]
                e.documents += 1
            date = dates.get(r["doc_id"])
            if date is not None:
                e.first_date = date if e.first_date is None else min(e.first_date, date)
                e.last_date = date if e.last_date is None else max(e.last_date, date)

    def rows(self) -> list[dict]:
        """Most mentioned first (then by label and name: the order is deterministic)."""
        items = sorted(self.entries.items(), key=lambda kv: (-kv[1].mentions, kv[1].label, kv[1].canonical or "", kv[0]))
        return [{"entity_key": k, "canonical": e.canonical, "label": e.label, "province": e.province,
                 "city": e.city, "county": e.county, "adcode": e.adcode, "mentions": e.mentions,
                 "documents": e.documents, "first_date": e.first_date, "last_date": e.last_date}
                for k, e in items]
