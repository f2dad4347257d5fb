"""Entity-stage dev benchmark on the sample gold page.

    .venv/bin/python benchmarks/entities_dev.py [--backend none|spacy|...] [--errors] [--repeat N]

Splits ``data/raw/000_5072bf7ae566881d.txt`` with the layout stage, runs the
entity stage, maps offsets to the source and scores against
``data/gold/000_5072bf7ae566881d.gold.json`` (strict span+label entities;
officials as (person, title) pairs).  Prints per-label P/R/F1, officials F1 and
throughput in characters per second (entity stage only, backend included).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.entities import EntityStage  # noqa: E402
from pipeline.evaluation.extraction import load_gold, score_entities, score_officials  # noqa: E402
from pipeline.layout import LayoutSettings, split_page  # noqa: E402
from pipeline.stage import Analysis, RunContext  # noqa: E402

GOLD = ROOT / "data" / "gold" / "000_5072bf7ae566881d.gold.json"


def run(backend: str, errors: bool, repeat: int) -> dict:
    gold = load_gold(GOLD)
    docs = split_page(gold.text, gold.source, LayoutSettings(publication_date=dt.date(2024, 4, 29)))
    t0 = time.perf_counter()
    stage = EntityStage(EntityStage.Settings(backend=backend), RunContext(base_dir=ROOT))
    load_s = time.perf_counter() - t0
    chars = sum(len(d.text) for d in docs)
    best = None
    for _ in range(max(1, repeat)):
        items = [Analysis(d) for d in docs]
        t0 = time.perf_counter()
        stage.process(items)
        dt_s = time.perf_counter() - t0
        best = dt_s if best is None else min(best, dt_s)
    pred, offs = [], []
    for a in items:
        for e in a.entities:
            s, t = a.doc.to_source(e.start, e.end)
            pred.append({"start": s, "end": t, "label": e.label, "text": gold.text[s:t], "method": e.method})
        for o in a.officials:
            offs.append({"person": o.person, "titles": o.titles})
    es = score_entities(gold.entities, pred)
    os_ = score_officials(gold.officials, offs)
    print(f"backend={backend}  docs={len(docs)}  chars={chars}  load={load_s:.2f}s  "
          f"process={best:.3f}s  throughput={chars / best:,.0f} chars/s")
    print(f"{'label':8} {'P':>6} {'R':>6} {'F1':>6}  tp  fp  fn")
    for lab, prf in sorted(es.per_label.items()):
        print(f"{lab:8} {prf.precision:6.3f} {prf.recall:6.3f} {prf.f1:6.3f} {prf.tp:3} {prf.fp:3} {prf.fn:3}")
    m = es.micro
    print(f"{'micro':8} {m.precision:6.3f} {m.recall:6.3f} {m.f1:6.3f} {m.tp:3} {m.fp:3} {m.fn:3}")
    p = os_.prf
    print(f"officials (person,title) pairs: P={p.precision:.3f} R={p.recall:.3f} F1={p.f1:.3f} "
          f"tp={p.tp} fp={p.fp} fn={p.fn}")
    if errors:
        print("\nfalse positives:")
        for r in es.false_positives:
            print(f"  {r['start']:5} {r['label']:7} {r['text']!r:30} {r.get('method')}")
        print("false negatives:")
        for r in es.false_negatives:
            print(f"  {r['start']:5} {r['label']:7} {r['text']!r}")
        print("officials fp:", os_.false_positives)
        print("officials fn:", os_.false_negatives)
    return {"micro_f1": m.f1, "officials_f1": p.f1}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="none")
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    run(a.backend, a.errors, a.repeat)
