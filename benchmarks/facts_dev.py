"""Facts stage on the sample page: match P/R/F1, subject/entity/time accuracy, throughput.

    .venv/bin/python benchmarks/facts_dev.py [--entities none|gold|stage] [--errors] [--speed]

``--entities`` chooses what the facts stage gets as entities:
  none  - no entity stage (the facts stage then uses its suffix cues only),
  gold  - the gold entity spans mapped into each article (an oracle stand-in, to measure
          the attribution logic alone; NOT a pipeline result),
  stage - ``pipeline.entities.EntityStage`` with default settings, when it exists.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.evaluation.extraction import FactScore, load_gold, score_facts  # noqa: E402
from pipeline.facts import FactSettings, extract_facts  # noqa: E402
from pipeline.layout import LayoutSettings, split_page  # noqa: E402
from pipeline.records import Entity  # noqa: E402
from pipeline.stage import Analysis, RunContext  # noqa: E402

GOLD = ROOT / "data" / "gold" / "000_5072bf7ae566881d.gold.json"
DATE = dt.date(2024, 4, 29)


def gold_entities(doc, gold) -> list[Entity]:
    """Gold entity spans that fall inside the article, as offsets into ``doc.text``."""
    src_to_text = {s: i for i, s in enumerate(doc.offsets)}
    out = []
    for g in gold.entities:
        s = src_to_text.get(g["start"])
        e = src_to_text.get(g["end"] - 1)
        if s is None or e is None:
            continue
        out.append(Entity(doc.doc_id, doc.source, s, e + 1, doc.text[s:e + 1], g["label"], "gold"))
    return out


def stage_entities(docs) -> dict[int, list[Entity]]:
    from pipeline.entities import EntityStage  # noqa: WPS433
    try:
        stage = EntityStage(EntityStage.Settings(), RunContext(base_dir=ROOT))
        print("entity stage: default settings")
    except Exception as exc:  # e.g. the shipped spaCy model is not built yet
        print(f"entity stage: default backend unavailable ({type(exc).__name__}); using backend=none")
        stage = EntityStage(EntityStage.Settings(backend="none"), RunContext(base_dir=ROOT))
    items = stage.process([Analysis(d) for d in docs])
    return {id(it.doc): it.entities for it in items}


def run(mode: str, settings: FactSettings) -> tuple[FactScore, list[dict]]:
    gold = load_gold(GOLD)
    docs = split_page(gold.text, gold.source, LayoutSettings(publication_date=DATE))
    ents_by_doc = stage_entities(docs) if mode == "stage" else {}
    pred = []
    for doc in docs:
        ents = gold_entities(doc, gold) if mode == "gold" else ents_by_doc.get(id(doc), [])
        for f in extract_facts(doc.text, None, ents, doc.date, settings):
            s, e = doc.to_source(f.start, f.end)
            pred.append({"start": s, "end": e, "text": gold.text[s:e], "value": f.value, "unit": f.unit,
                         "kind": f.kind, "bound": f.bound, "subject": f.subject, "entity": f.entity,
                         "time": f.time, "time_start": f.time_start, "time_end": f.time_end})
    return score_facts(gold.facts, pred), pred


def speed(settings: FactSettings, mode: str, target: int = 1_000_000) -> tuple[int, float]:
    """Facts-stage time only: entities (if any) are computed once beforehand."""
    gold = load_gold(GOLD)
    docs = split_page(gold.text, gold.source, LayoutSettings(publication_date=DATE))
    by_doc = stage_entities(docs) if mode == "stage" else {}
    ents = {id(d): (gold_entities(d, gold) if mode == "gold" else by_doc.get(id(d), [])) for d in docs}
    extract_facts(docs[0].text, None, ents[id(docs[0])], docs[0].date, settings)  # warm caches and jionlp
    total = sum(len(d.text) for d in docs)
    reps = max(1, target // total)
    t0 = time.perf_counter()
    chars = 0
    for _ in range(reps):
        for d in docs:
            extract_facts(d.text, None, ents[id(d)], d.date, settings)
            chars += len(d.text)
    return chars, chars / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", choices=["none", "gold", "stage"], default="none")
    ap.add_argument("--errors", action="store_true", help="list false positives/negatives and attribution errors")
    ap.add_argument("--speed", action="store_true", help="measure chars/s on the sample repeated to ~1 MB")
    args = ap.parse_args()
    settings = FactSettings()
    score, _ = run(args.entities, settings)
    p = score.prf
    print(f"entities={args.entities}  facts: tp={p.tp} fp={p.fp} fn={p.fn}  "
          f"P={p.precision:.3f} R={p.recall:.3f} F1={p.f1:.3f}")
    for attr in ("subject", "entity", "time"):
        prf = getattr(score, attr)
        print(f"  {attr:8s} accuracy {FactScore.accuracy(prf):.3f} ({prf.tp}/{prf.tp + prf.fn})")
    if args.errors:
        for r in score.false_positives:
            print(f"  FP {r['start']:5d} {r['text']!r} {r['value']} {r['unit']} {r['kind']} {r['bound']}")
        for r in score.false_negatives:
            print(f"  FN {r['start']:5d} {r['text']!r} {r['value']} {r['unit']} {r['kind']} {r['bound']}")
        from pipeline.evaluation.extraction import nospace, subject_matches
        for g, pr in score.matched:
            bad = []
            if not subject_matches(g.get("subject"), pr.get("subject")):
                bad.append(f"subject gold={g.get('subject')!r} pred={pr.get('subject')!r}")
            if nospace(g.get("entity")) != nospace(pr.get("entity")):
                bad.append(f"entity gold={g.get('entity')!r} pred={pr.get('entity')!r}")
            if nospace(g.get("time")) != nospace(pr.get("time")):
                bad.append(f"time gold={g.get('time')!r} pred={pr.get('time')!r}")
            if bad:
                print(f"  ATTR {g['start']:5d} {g['text']!r}: " + "; ".join(bad))
    if args.speed:
        chars, cps = speed(settings, args.entities)
        print(f"throughput: {chars} chars, {cps:,.0f} chars/s (extract_facts, entities={args.entities})")


if __name__ == "__main__":
    main()
