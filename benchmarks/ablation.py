"""Ablation of the entity stage's rule families: each one switched off in turn, on the
development set and on the public NER test sets.

    .venv/bin/python benchmarks/ablation.py [--shared ../shared] [--backend spacy]
                                            [--limit N] [--markdown FILE] [--json FILE]

For every set the backend tags each text once; its spans are then scored alone ("backend
alone") and merged with the rules by :class:`pipeline.entities.EntityStage` under each
setting (the full stage, and the stage with one family off).  Figures are strict span F1,
coarse (COMPANY/GOV/ORG are one ORG label), the PER/LOC/ORG view every public set shares:

- dev: the articles of ``../shared/gold/dev`` split by the layout stage, entities mapped to
  source offsets and scored against the gold files as ``extract eval`` does (its
  ``entities coarse`` row is the "full stage" row here);
- public: MSRA test, CLUENER dev, Weibo test and the literature test set (names only),
  each sentence one document, as ``extract eval-ner --pipeline`` scores them; MSRA also
  as ``--conventions guidelines`` scores it (on both sides: without the one-character
  abbreviations and ``中华`` it tags and the guidelines never do, places written together as
  one span, a place before ``政府`` as the body).

A family whose row is *higher* than the full stage's lowers F1 where it is switched on.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.entities import EntityStage  # noqa: E402
from pipeline.evaluation.extraction import gold_files, load_gold, score_entities  # noqa: E402
from pipeline.evaluation.ner import evaluate_spans, load_sentences, micro, stage_spans, with_conventions  # noqa: E402
from pipeline.layout import LayoutSettings, split_page  # noqa: E402
from pipeline.stage import RunContext  # noqa: E402

# rule family -> the entities settings that switch it off
FAMILIES: dict[str, dict] = {
    "suffix organisations": {"suffix_organisations": False},
    "built-in gazetteers": {"gazetteers_builtin": False},
    "addresses and place runs": {"addresses": False},
    "person cues": {"person_cues": False},
    "names after titles": {"title_names": False},
    "enumerations": {"enumerations": False},
    "propagation": {"propagate_names": False},
    "filters on model spans (all)": {"model_span_filters": False},
    "model filter: surname check": {"model_surname_check": False},
    "model filter: common words": {"model_common_words": True},  # off by default: this row switches it on
    "model filter: generic heads": {"model_generic_heads": False},
    "model spans: feature place names": {"model_feature_places": False},
    "campaign bodies": {"campaign_bodies": False},
    "short-name linking": {"link_short_names": False},
}

GUIDELINE_VIEW = ("msra",)
PUBLIC = {  # dataset -> path under shared/datasets
    "msra": "msra/test.bio",
    "cluener": "cluener/dev.json",
    "weibo": "weibo/weiboNER_2nd_conll.test",
    "literature": "literature/ner_test.txt",
}


def _stage(settings: dict) -> EntityStage:
    return EntityStage(EntityStage.Settings(backend="none", officials=False, **settings), RunContext())


def _known(settings: dict) -> bool:
    return all(k in EntityStage.Settings.model_fields for k in settings)


def dev_set(folder: Path, backend) -> tuple[list, list, list]:
    """(golds, docs per gold, backend spans per doc) of the development set."""
    golds = [load_gold(p) for p in gold_files(folder)]
    docs = [split_page(g.text, g.source, LayoutSettings()) for g in golds]
    spans = [backend.tag([d.text for d in ds]) for ds in docs]
    return golds, docs, spans


def score_dev(golds, docs, spans, stage: EntityStage | None) -> tuple[float, float]:
    """(coarse F1, 5-label micro F1); ``stage=None`` scores the backend's spans alone."""
    from pipeline.evaluation.scoring import PRF

    coarse, fine = PRF(), PRF()
    for gold, ds, sp in zip(golds, docs, spans):
        pred = []
        for doc, s in zip(ds, sp):
            found = [(e.start, e.end, e.label) for e in stage.extract(doc, s)[0]] if stage else s
            for a, b, label in found:
                if b > a:
                    start, end = doc.to_source(a, b)
                    pred.append({"start": start, "end": end, "label": label, "text": gold.text[start:end]})
        sc = score_entities(gold.entities, pred)
        coarse += sc.coarse
        fine += sc.micro
    return coarse.f1, fine.f1


def public_set(dataset: str, path: Path, backend, limit: int | None):
    sents = load_sentences(dataset, path, limit)
    texts = [s.text for s in sents]
    spans = []
    for i in range(0, len(texts), 64):
        spans += backend.tag(texts[i:i + 64])
    return sents, spans


def score_public(dataset: str, sents, spans, stage: EntityStage | None,
                 conventions: tuple[str, ...] = ("corpus",)) -> list[float]:
    """Coarse F1 under each of ``conventions`` (see :mod:`pipeline.evaluation.ner`)."""
    preds = [list(sp) for sp in spans] if stage is None else \
        stage_spans(stage, [s.text for s in sents], spans, source=dataset)
    return [micro(evaluate_spans(dataset, *with_conventions(sents, preds, conv))[1]).f1 for conv in conventions]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--backend", default="spacy")
    ap.add_argument("--limit", type=int, default=None, help="first N sentences of each public set")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    from pipeline import registry

    backend = registry.get("ner_backends", a.backend)()
    defaults = EntityStage.Settings()
    variants = {"full stage": {}, **{(f"with {k}" if all(getattr(defaults, n) is False for n in v) else f"without {k}"): v
                                     for k, v in FAMILIES.items() if _known(v)}}
    missing = [k for k, v in FAMILIES.items() if not _known(v)]
    if missing:
        print(f"no setting switches off: {', '.join(missing)} (not in EntityStage.Settings)", file=sys.stderr)
    stages = {name: _stage(v) for name, v in variants.items()}
    results: dict[str, dict[str, float]] = {name: {} for name in ["backend alone", *variants]}
    columns = ["dev coarse", "dev 5-label"]

    t0 = time.perf_counter()
    golds, docs, spans = dev_set(a.shared / "gold" / "dev", backend)
    for name in results:
        c, f = score_dev(golds, docs, spans, stages.get(name))
        results[name].update({"dev coarse": c, "dev 5-label": f})
    print(f"dev set done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    for dataset, rel in PUBLIC.items():
        t0 = time.perf_counter()
        sents, sp = public_set(dataset, a.shared / "datasets" / rel, backend, a.limit)
        # MSRA tags one-character abbreviations and 中华, which the guidelines never do: its
        # second column scores both sides without them (eval-ner --conventions guidelines)
        cols = [dataset, f"{dataset} (guidelines)"] if dataset in GUIDELINE_VIEW else [dataset]
        for name in results:
            scores = score_public(dataset, sents, sp, stages.get(name), ("corpus", "guidelines")[:len(cols)])
            results[name].update(zip(cols, scores))
        columns += cols
        print(f"{dataset} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)

    full = results["full stage"]
    lines = ["| entity stage | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, row in results.items():
        cells = []
        for col in columns:
            v = row[col]
            cell = f"{v:.3f}"
            if name.startswith(("without", "with ")):
                cell += f" ({v - full[col]:+.3f})"
            cells.append(f"**{cell}**" if name == "full stage" else cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if a.markdown:
        a.markdown.write_text(table, encoding="utf-8")
    if a.json:
        a.json.write_text(json.dumps({"backend": a.backend, "limit": a.limit, "results": results},
                                     indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
