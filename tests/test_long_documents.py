"""Long documents: the facts stage does the same work per number whatever the document's
length, so a text made of many articles gives the facts of each article, and the work
grows with the number of articles, not with its square (issue 18, long documents)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from pipeline.facts import FactSettings, extract_facts
from pipeline.records import Entity

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "data" / "raw" / "000_5072bf7ae566881d.txt").read_text(encoding="utf-8")
GOLD = json.loads((ROOT / "data" / "gold" / "000_5072bf7ae566881d.gold.json").read_text(encoding="utf-8"))
DATE = dt.date(2024, 4, 29)


def page_entities(cls=Entity) -> list[Entity]:
    """The sample page's gold entities, as the entity stage would hand them over."""
    return [cls("d", "s", e["start"], e["end"], e["text"], e["label"], "gold", entity_id=f"id:{e['text']}")
            for e in GOLD["entities"]]


def copies(n: int, cls=Entity) -> tuple[str, list[Entity]]:
    """``n`` copies of the page as one text (joined by a line break) and their entities."""
    step = len(PAGE) + 1
    text = "\n".join([PAGE] * n)
    entities = [dataclasses.replace(e, start=e.start + k * step, end=e.end + k * step)
                for k in range(n) for e in page_entities(cls)]
    return text, entities


def rows(facts, shift=0):
    return [dataclasses.asdict(f) | {"start": f.start - shift, "end": f.end - shift} for f in facts]


def test_facts_of_many_articles_in_one_document_are_the_facts_of_each():
    one = extract_facts(PAGE, None, page_entities(), DATE, FactSettings(), doc_id="d")
    assert len(one) > 80
    n = 12
    text, entities = copies(n)
    many = extract_facts(text, None, entities, DATE, FactSettings(), doc_id="d")
    assert len(many) == n * len(one)
    step = len(PAGE) + 1
    for k in range(n):
        part = [f for f in many if k * step <= f.start < (k + 1) * step]
        assert rows(part, shift=k * step) == rows(one)
        assert all(text[f.start:f.end] == f.text for f in part)


def test_facts_without_entities_of_many_articles_are_the_facts_of_each():
    one = extract_facts(PAGE, None, (), DATE, FactSettings(), doc_id="d")
    n = 12
    many = extract_facts("\n".join([PAGE] * n), None, (), DATE, FactSettings(), doc_id="d")
    step = len(PAGE) + 1
    assert rows(many) == [r | {"start": r["start"] + k * step, "end": r["end"] + k * step}
                          for k in range(n) for r in rows(one)]


class CountedEntity(Entity):
    """An entity that counts how often its position is looked at."""

    reads = 0

    def __getattribute__(self, name):
        if name == "start":
            CountedEntity.reads += 1
        return super().__getattribute__(name)


def entity_reads(n: int) -> int:
    text, entities = copies(n, CountedEntity)
    CountedEntity.reads = 0
    extract_facts(text, None, entities, DATE, FactSettings())
    return CountedEntity.reads


def test_entities_looked_at_grow_with_the_length_not_its_square():
    # each number looks at the entities near it (bisection over their offsets), never at
    # every entity before it: 16 copies of the page cost 16 times one page, not 16 * 16
    one, many = entity_reads(1), entity_reads(16)
    assert one > 0
    assert many <= 16 * one * 1.1
