"""Scoring extraction output against gold files, exactly as ``data/gold/GUIDELINES.md`` states.

- Entities: strict span+label precision/recall/F1, per label and micro-averaged; and
  coarse (COMPANY, GOV and ORG one label), the PER/LOC/ORG view public NER sets use.
- Officials: (person, title) pairs, names compared without white space; a predicted
  title matches when it equals the gold title or one contains the other.
- Facts: a prediction matches a gold fact when the spans overlap and value
  (1e-6 relative), unit, kind and bound are equal; among matched facts, subject
  accuracy (equal, contains or contained), entity accuracy and time accuracy.

Matching is one-to-one: a predicted record can satisfy at most one gold record, so
duplicate predictions count as false positives.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .scoring import PRF

LABELS = ("COMPANY", "GOV", "ORG", "PLACE", "PERSON")


class GoldError(ValueError):
    """A gold file that does not match its source."""


@dataclass
class Gold:
    path: Path
    source: str
    source_path: Path
    text: str
    entities: list[dict]
    officials: list[dict]
    facts: list[dict]


def load_gold(path: str | Path, source_dir: str | Path | None = None) -> Gold:
    """Load a gold file, checking ``text_sha256`` and every span's text against the source."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise GoldError(f"{path}: cannot read gold file: {exc}") from exc
    src_dir = Path(source_dir) if source_dir else path.parent
    candidates = [src_dir / data["source"], path.parent / data["source"], path.parent.parent / "raw" / data["source"]]
    source_path = next((c for c in candidates if c.is_file()), None)
    if source_path is None:
        raise GoldError(f"{path}: source file {data['source']!r} not found (looked in {', '.join(str(c.parent) for c in candidates)})")
    raw = source_path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != data.get("text_sha256"):
        raise GoldError(f"{path}: text_sha256 {data.get('text_sha256')} does not match {source_path} ({digest})")
    text = raw.decode("utf-8")
    for kind in ("entities", "facts"):
        for i, rec in enumerate(data.get(kind, [])):
            if text[rec["start"]:rec["end"]] != rec["text"]:
                raise GoldError(f"{path}: {kind}[{i}] text {rec['text']!r} != source[{rec['start']}:{rec['end']}] "
                                f"{text[rec['start']:rec['end']]!r}")
    return Gold(path, data["source"], source_path, text, data.get("entities", []),
                data.get("officials", []), data.get("facts", []))


def nospace(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


# --------------------------------------------------------------------------- entities

@dataclass
class EntityScore:
    per_label: dict[str, PRF] = field(default_factory=dict)
    micro: PRF = field(default_factory=PRF)
    coarse: PRF = field(default_factory=PRF)  # COMPANY, GOV and ORG all count as one ORG label
    false_positives: list[dict] = field(default_factory=list)
    false_negatives: list[dict] = field(default_factory=list)


ORG_LABELS = frozenset({"COMPANY", "GOV", "ORG"})


def _coarse(label: str) -> str:
    return "ORG" if label in ORG_LABELS else label


def score_entities(gold: Iterable[dict], pred: Iterable[dict], labels: Iterable[str] = LABELS) -> EntityScore:
    g = {(r["start"], r["end"], r["label"]): r for r in gold}
    p = {(r["start"], r["end"], r["label"]): r for r in pred}
    out = EntityScore(per_label={lab: PRF() for lab in labels})
    for key in set(g) | set(p):
        prf = out.per_label.setdefault(key[2], PRF())
        if key in g and key in p:
            prf.tp += 1
        elif key in p:
            prf.fp += 1
            out.false_positives.append(p[key])
        else:
            prf.fn += 1
            out.false_negatives.append(g[key])
    for prf in out.per_label.values():
        out.micro += prf
    gc = {(s, e, _coarse(lab)) for s, e, lab in g}
    pc = {(s, e, _coarse(lab)) for s, e, lab in p}
    out.coarse = PRF(len(gc & pc), len(pc - gc), len(gc - pc))
    out.false_positives.sort(key=lambda r: r["start"])
    out.false_negatives.sort(key=lambda r: r["start"])
    return out


# --------------------------------------------------------------------------- officials

def _pairs(officials: Iterable[dict]) -> list[tuple[str, str]]:
    pairs = []
    for o in officials:
        titles = o.get("titles")
        for t in ([] if titles is None else list(titles)):
            pairs.append((nospace(o["person"]), nospace(t)))
    return pairs


def title_matches(gold: str, pred: str) -> bool:
    return bool(gold) and bool(pred) and (gold == pred or gold in pred or pred in gold)


@dataclass
class PairScore:
    prf: PRF = field(default_factory=PRF)
    false_positives: list[tuple[str, str]] = field(default_factory=list)
    false_negatives: list[tuple[str, str]] = field(default_factory=list)


def score_officials(gold: Iterable[dict], pred: Iterable[dict]) -> PairScore:
    gp, pp = _pairs(gold), list(dict.fromkeys(_pairs(pred)))
    out = PairScore()
    used = [False] * len(pp)
    # exact matches first, then containment, so that one loose match cannot steal an exact one
    order = sorted(range(len(gp)), key=lambda i: 0 if gp[i] in pp else 1)
    matched_gold = set()
    for i in order:
        person, title = gp[i]
        for j, (pperson, ptitle) in enumerate(pp):
            if not used[j] and pperson == person and (ptitle == title if gp[i] in pp else title_matches(title, ptitle)):
                used[j] = True
                matched_gold.add(i)
                break
    out.prf.tp = len(matched_gold)
    out.prf.fn = len(gp) - len(matched_gold)
    out.prf.fp = used.count(False)
    out.false_negatives = [gp[i] for i in range(len(gp)) if i not in matched_gold]
    out.false_positives = [pp[j] for j in range(len(pp)) if not used[j]]
    return out


# --------------------------------------------------------------------------- facts

def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if math.isnan(a) or math.isnan(b):
        return False
    return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def fact_matches(g: dict, p: dict) -> bool:
    """Spans overlap and value, unit, kind and bound are equal; a range (bound ``range``)
    matches a gold range when value, ``value_high``, unit and kind are equal."""
    if not (p["start"] < g["end"] and g["start"] < p["end"]
            and _same_value(g.get("value"), p.get("value"))
            and (g.get("unit") or None) == (p.get("unit") or None)
            and g.get("kind") == p.get("kind") and g.get("bound") == p.get("bound")):
        return False
    if g.get("bound") == "range":
        return _same_value(g.get("value_high"), p.get("value_high"))
    return True


def subject_matches(gold: str | None, pred: str | None) -> bool:
    g, p = nospace(gold), nospace(pred)
    if not g or not p:
        return g == p
    return g == p or g in p or p in g


@dataclass
class FactScore:
    prf: PRF = field(default_factory=PRF)
    subject: PRF = field(default_factory=PRF)  # tp = correct among matched, fn = wrong
    entity: PRF = field(default_factory=PRF)
    time: PRF = field(default_factory=PRF)
    matched: list[tuple[dict, dict]] = field(default_factory=list)
    false_positives: list[dict] = field(default_factory=list)
    false_negatives: list[dict] = field(default_factory=list)

    @staticmethod
    def accuracy(prf: PRF) -> float:
        n = prf.tp + prf.fn
        return prf.tp / n if n else 1.0


def score_facts(gold: Iterable[dict], pred: Iterable[dict]) -> FactScore:
    gold, pred = list(gold), list(pred)
    out = FactScore()
    used = [False] * len(pred)
    for g in gold:
        # prefer the candidate with the largest overlap
        best, best_overlap = None, 0
        for j, p in enumerate(pred):
            if used[j] or not fact_matches(g, p):
                continue
            overlap = min(g["end"], p["end"]) - max(g["start"], p["start"])
            if overlap > best_overlap:
                best, best_overlap = j, overlap
        if best is None:
            out.false_negatives.append(g)
            continue
        used[best] = True
        p = pred[best]
        out.matched.append((g, p))
        for attr, ok in (("subject", subject_matches(g.get("subject"), p.get("subject"))),
                         ("entity", nospace(g.get("entity")) == nospace(p.get("entity"))),
                         ("time", nospace(g.get("time")) == nospace(p.get("time")))):
            acc = getattr(out, attr)
            if ok:
                acc.tp += 1
            else:
                acc.fn += 1
    out.false_positives = [p for j, p in enumerate(pred) if not used[j]]
    out.prf.tp = len(out.matched)
    out.prf.fn = len(out.false_negatives)
    out.prf.fp = len(out.false_positives)
    return out


# --------------------------------------------------------------------------- whole runs

@dataclass
class EvalReport:
    """Scores of one pipeline output against a folder of gold files."""

    entities: EntityScore
    officials: PairScore
    facts: FactScore
    files: list[str]
    sentences: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)  # source -> sentence spans

    def metrics(self) -> dict[str, float]:
        """Flat ``name -> value`` mapping; what the regression gate compares."""
        m: dict[str, float] = {}
        for label, prf in sorted(self.entities.per_label.items()):
            m[f"entities.{label}.precision"] = prf.precision
            m[f"entities.{label}.recall"] = prf.recall
            m[f"entities.{label}.f1"] = prf.f1
        for name, prf in (("entities.micro", self.entities.micro), ("entities.coarse", self.entities.coarse),
                          ("officials", self.officials.prf),
                          ("facts", self.facts.prf)):
            m[f"{name}.precision"] = prf.precision
            m[f"{name}.recall"] = prf.recall
            m[f"{name}.f1"] = prf.f1
        m["facts.subject_accuracy"] = FactScore.accuracy(self.facts.subject)
        m["facts.entity_accuracy"] = FactScore.accuracy(self.facts.entity)
        m["facts.time_accuracy"] = FactScore.accuracy(self.facts.time)
        return {k: round(v, 4) for k, v in m.items()}

    def to_dict(self) -> dict:
        return {"files": self.files, "metrics": self.metrics(),
                "counts": {
                    "entities": {lab: {"tp": p.tp, "fp": p.fp, "fn": p.fn} for lab, p in self.entities.per_label.items()},
                    "officials": {"tp": self.officials.prf.tp, "fp": self.officials.prf.fp, "fn": self.officials.prf.fn},
                    "facts": {"tp": self.facts.prf.tp, "fp": self.facts.prf.fp, "fn": self.facts.prf.fn},
                }}

    def table_rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for label, prf in sorted(self.entities.per_label.items()):
            rows.append((f"entities {label}", *_fmt(prf), str(prf.tp + prf.fn)))
        rows.append(("entities micro", *_fmt(self.entities.micro), str(self.entities.micro.tp + self.entities.micro.fn)))
        rows.append(("entities coarse (any org type = ORG)", *_fmt(self.entities.coarse),
                     str(self.entities.coarse.tp + self.entities.coarse.fn)))
        rows.append(("officials (person, title)", *_fmt(self.officials.prf), str(self.officials.prf.tp + self.officials.prf.fn)))
        rows.append(("facts", *_fmt(self.facts.prf), str(self.facts.prf.tp + self.facts.prf.fn)))
        n = len(self.facts.matched)
        for attr in ("subject", "entity", "time"):
            rows.append((f"facts {attr} accuracy", "", "", f"{FactScore.accuracy(getattr(self.facts, attr)):.3f}", str(n)))
        return rows

    def markdown(self) -> str:
        out = ["| metric | precision | recall | F1 / accuracy | gold |", "|---|---:|---:|---:|---:|"]
        out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in self.table_rows()]
        return "\n".join(out) + "\n"

    def errors_text(self, gold_texts: dict[str, str] | None = None) -> str:
        """Every false positive and negative, with its sentence."""
        lines = []

        def ctx(rec: dict) -> str:
            return self._sentence(rec.get("source", ""), rec["start"], rec["end"])

        for title, recs in (("entity false positives", self.entities.false_positives),
                            ("entity false negatives", self.entities.false_negatives)):
            lines.append(f"## {title} ({len(recs)})")
            lines += [f"  {r['label']:<8} {r['text']!r} [{r['start']}:{r['end']}]  | {ctx(r)}" for r in recs]
        for title, pairs in (("official false positives", self.officials.false_positives),
                             ("official false negatives", self.officials.false_negatives)):
            lines.append(f"## {title} ({len(pairs)})")
            lines += [f"  {p} — {t}" for p, t in pairs]
        for title, recs in (("fact false positives", self.facts.false_positives),
                            ("fact false negatives", self.facts.false_negatives)):
            lines.append(f"## {title} ({len(recs)})")
            lines += [f"  {r['text']!r} value={r.get('value')} unit={r.get('unit')} kind={r.get('kind')} "
                      f"bound={r.get('bound')}  | {ctx(r)}" for r in recs]
        wrong = [(g, p) for g, p in self.facts.matched
                 if not subject_matches(g.get("subject"), p.get("subject"))
                 or nospace(g.get("entity")) != nospace(p.get("entity")) or nospace(g.get("time")) != nospace(p.get("time"))]
        lines.append(f"## matched facts with a wrong subject/entity/time ({len(wrong)})")
        for g, p in wrong:
            lines.append(f"  {g['text']!r}: subject {g.get('subject')!r}/{p.get('subject')!r} "
                         f"entity {g.get('entity')!r}/{p.get('entity')!r} time {g.get('time')!r}/{p.get('time')!r}")
        return "\n".join(lines) + "\n"

    def _sentence(self, source: str, start: int, end: int) -> str:
        for s, e, text in self.sentences.get(source, []):
            if s <= start < e:
                return text
        return ""


def _fmt(prf: PRF) -> tuple[str, str, str]:
    return f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}"


def gold_files(gold_dir: str | Path) -> list[Path]:
    files = sorted(Path(gold_dir).glob("*.gold.json"))
    if not files:
        raise GoldError(f"{gold_dir}: no *.gold.json files")
    return files


def score_output(out_dir: str | Path, golds: list[Gold]) -> EvalReport:
    """Score the Parquet tables in ``out_dir`` against loaded gold files."""
    import pandas as pd

    out_dir = Path(out_dir)

    def table(name: str) -> "pd.DataFrame":
        path = out_dir / name
        return pd.read_parquet(path) if path.exists() else pd.DataFrame()

    ents, offs, facts, sents = table("entities"), table("officials"), table("facts"), table("sentences")
    e_all, o_all, f_all = EntityScore(per_label={lab: PRF() for lab in LABELS}), PairScore(), FactScore()
    report = EvalReport(e_all, o_all, f_all, [g.path.name for g in golds])
    for gold in golds:
        def mine(df):
            if df.empty:
                return df
            return df[df["source"].map(lambda s: Path(s).name) == gold.source]

        def recs(df):
            df = mine(df)
            df = df.astype(object).where(df.notna(), None)  # NaN -> None
            return [dict(r, source=gold.source) for r in df.to_dict("records")]

        e = score_entities([dict(r, source=gold.source) for r in gold.entities], recs(ents))
        for lab, prf in e.per_label.items():
            e_all.per_label.setdefault(lab, PRF())
            e_all.per_label[lab] += prf
        e_all.micro += e.micro
        e_all.coarse += e.coarse
        e_all.false_positives += e.false_positives
        e_all.false_negatives += e.false_negatives
        o = score_officials(gold.officials, recs(offs))
        o_all.prf += o.prf
        o_all.false_positives += o.false_positives
        o_all.false_negatives += o.false_negatives
        f = score_facts([dict(r, source=gold.source) for r in gold.facts], recs(facts))
        for attr in ("prf", "subject", "entity", "time"):
            getattr(f_all, attr).__iadd__(getattr(f, attr))
        f_all.matched += f.matched
        f_all.false_positives += f.false_positives
        f_all.false_negatives += f.false_negatives
        report.sentences[gold.source] = [(r["start"], r["end"], r["text"]) for r in recs(sents)]
    return report


def evaluate(config, gold_dir: str | Path, output: str | Path | None = None, progress: bool = False) -> EvalReport:
    """Run ``config`` on the gold files' sources (or score ``output``) and score it."""
    import tempfile

    from ..runner import run

    golds = [load_gold(p) for p in gold_files(gold_dir)]
    if output is not None:
        return score_output(output, golds)
    config = config.model_copy(deep=True)
    config.input.paths = [str(g.source_path.resolve()) for g in golds]
    config.input.format = "auto"
    config._path, config._base_dir = getattr(config, "_path", None), config.base_dir
    with tempfile.TemporaryDirectory(prefix="zh-extract-eval-") as tmp:
        run(config, output=Path(tmp) / "out", progress=progress)
        return score_output(Path(tmp) / "out", golds)


# --------------------------------------------------------------------------- regression gate

def compare_baseline(metrics: dict[str, float], baseline: dict[str, float], tolerance: float = 0.005) -> list[str]:
    """Metrics that fell more than ``tolerance`` below the baseline (or disappeared)."""
    regressions = []
    for name, base in sorted(baseline.items()):
        if name.startswith("_"):
            continue
        now = metrics.get(name)
        if now is None:
            regressions.append(f"{name}: missing (baseline {base:.4f})")
        elif now < base - tolerance:
            regressions.append(f"{name}: {now:.4f} < baseline {base:.4f} - {tolerance}")
    return regressions
