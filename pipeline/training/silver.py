"""Silver NER labels on raw modern text from two teachers (the shipped model and LAC), and their measured quality.

Usage::

    python -m pipeline.training.silver --source xwlb --limit-chars 2000000
    python -m pipeline.training.silver --source weibo-hot
    python -m pipeline.training.silver --measure

The raw text (``../shared/datasets/raw``) is split into sentences, tagged by both teachers
and turned into spaCy ``DocBin`` files of one token per character, as ``ner-zh`` is trained
on: an entity where the teachers' spans say so under the combination rule (:func:`combine`),
spaCy's missing value (neither entity nor O) on every other character some teacher tagged,
O where neither did.  Sentences that also occur in the held-out sets (the dev gold, CLUENER
dev, Weibo dev and test) are left out.  Output goes to ``~/.cache/zh-extract/silver/<source>/``
(``NNN.spacy`` shards and ``summary.json``): research text, never inside the repository.

``--measure`` applies every rule to the texts of sets whose truth is known and reports, per
rule, the precision of the silver entities, the share of gold entities they cover, the share
of characters left missing and the "false O" rate (see :func:`quality`).
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from pipeline import registry
from pipeline.backends.base import Span
from pipeline.evaluation.ner import coarse_label
from pipeline.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
RAW = SHARED / "datasets" / "raw"
LEXICONS = SHARED / "datasets" / "lexicons"
OUTPUT = Path("~/.cache/zh-extract/silver")
SOURCES = ("xwlb", "weibo-hot")
TEACHERS = ("spacy", "lac")  # first: the shipped model, second: LAC
OPTIONS = ("person", "lexicon")
RULES = ("agree", "agree+person", "agree+lexicon", "agree+person+lexicon")
DEFAULT_RULE = "agree"  # the rule SILVER.md recommends for training
# the sets the measurement uses; their text is kept out of the silver output
GOLD_DEV = SHARED / "gold" / "dev"
MEASURE_SETS = {
    "dev": ("gold", GOLD_DEV),
    "cluener-dev": ("cluener", SHARED / "datasets" / "cluener" / "dev.json"),
    "weibo-dev": ("weibo", SHARED / "datasets" / "weibo" / "weiboNER_2nd_conll.dev"),
}
HELD_OUT = [*MEASURE_SETS.values(),
            ("weibo", SHARED / "datasets" / "weibo" / "weiboNER_2nd_conll.test")]
# lexicon file -> the coarse label its entries confirm (see combine)
LEXICON_FILES = {"THUOCL_diming.txt": "PLACE", "THUOCL_lishimingren.txt": "PERSON",
                 "company_short_names.txt": "ORG"}


@dataclass
class Silver:
    """One sentence's silver annotation: ``entities`` (coarse labels PERSON/PLACE/ORG),
    ``missing`` character ranges (unknown), O everywhere else; ``added`` counts the entities
    beyond the teachers' agreement."""
    entities: list[Span] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)
    added: int = 0


def parse_rule(rule: str) -> frozenset[str]:
    """The options of a rule name (``agree``, ``agree+person`` ...); ValueError if unknown."""
    parts = rule.split("+")
    if parts[0] != "agree" or any(p not in OPTIONS for p in parts[1:]) or len(set(parts)) < len(parts):
        raise ValueError(f"unknown rule {rule!r}; expected 'agree' optionally followed by "
                         f"{', '.join('+' + o for o in OPTIONS)} (e.g. {', '.join(RULES)})")
    return frozenset(parts[1:])


class PersonCheck:
    """The entity stage's test for a model PERSON worth keeping (a known surname, an
    anonymised name, a foreign name in transliteration characters, ``·`` or Latin letters;
    not ``严老汉``): :meth:`pipeline.entities.merge.ModelMerge.person_ok`."""

    def __init__(self) -> None:
        from pipeline.entities import EntityStage

        self._stage = EntityStage(EntityStage.Settings(backend="none", officials=False))

    def __call__(self, name: str, after: str = "") -> bool:
        return bool(name) and self._stage.person_ok(name, after)


def load_lexicons(folder: str | Path = LEXICONS) -> dict[str, frozenset[str]]:
    """Coarse label -> names, from :data:`LEXICON_FILES` (first column; BOM, blanks and
    one-character entries dropped)."""
    out: dict[str, set[str]] = {}
    for name, label in LEXICON_FILES.items():
        with open(Path(folder) / name, encoding="utf-8-sig") as fh:
            words = {w for line in fh if (w := line.split("\t")[0].strip()) and len(w) >= 2}
        out.setdefault(label, set()).update(words)
    return {k: frozenset(v) for k, v in out.items()}


def _overlaps(s: int, e: int, spans: Iterable[Span]) -> bool:
    return any(s < oe and os < e for os, oe, _ in spans)


def combine(text: str, first: list[Span], second: list[Span], rule: str = "agree", *,
            person_ok=None, lexicons: dict[str, frozenset[str]] | None = None) -> Silver:
    """Silver labels of one sentence from two teachers' spans (``first``: the shipped model,
    ``second``: LAC), labels compared coarse (COMPANY/GOV/ORG are ORG).

    * ``agree``: a span both teachers give (same start, end and coarse label) is an entity,
      unless it is one character long (``美`` of ``中美``: MSRA tags those, the guidelines
      never do; none of them is a gold entity in the measured sets), which stays missing.
    * ``+person``: also a PERSON only the second teacher (LAC) gives, where the first has no
      span overlapping it, when ``person_ok(name, next two characters)`` accepts the name
      (:class:`PersonCheck`).
    * ``+lexicon``: also a span one teacher gives and the other has nothing overlapping, or
      both give with different labels, when its text is a name of ``lexicons`` under that
      label (only one of the two labels, if they differ).

    Every other character some teacher tagged is missing; characters neither tagged are O."""
    options = parse_rule(rule)
    a = {(s, e, coarse_label(lab)) for s, e, lab in first}
    b = {(s, e, coarse_label(lab)) for s, e, lab in second}
    extra: set[Span] = set()
    if "person" in options:
        extra |= {(s, e, lab) for s, e, lab in b - a
                  if lab == "PERSON" and not _overlaps(s, e, a) and person_ok(text[s:e], text[e:e + 2])}
    if "lexicon" in options:
        def listed(s: int, e: int, lab: str) -> bool:
            return text[s:e] in lexicons.get(lab, ())

        for mine, other in ((a, b), (b, a)):
            for s, e, lab in mine - other:
                clash = [sp for sp in other if sp[0] < e and s < sp[1]]
                if not clash and listed(s, e, lab):
                    extra.add((s, e, lab))
                elif (len(clash) == 1 and clash[0][:2] == (s, e) and listed(s, e, lab)
                      and not listed(*clash[0])):
                    extra.add((s, e, lab))
    extra = {sp for sp in extra if sp[1] - sp[0] >= 2}
    entities = {sp for sp in a & b if sp[1] - sp[0] >= 2} | extra
    covered = [False] * len(text)
    for s, e, _ in a | b:
        covered[s:e] = [True] * (e - s)
    for s, e, _ in entities:
        covered[s:e] = [False] * (e - s)
    return Silver(sorted(entities), _runs(covered), len(extra))


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """``[start, end)`` ranges where ``flags`` is true."""
    out, start = [], None
    for i, f in enumerate(flags + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i))
            start = None
    return out


# ---------------------------------------------------------------------------
# measurement
# ---------------------------------------------------------------------------
@dataclass
class Quality:
    """Silver against gold, one rule over one set (coarse labels, strict spans)."""
    sentences: int = 0
    chars: int = 0
    gold: int = 0          # gold entities
    silver: int = 0        # silver entities
    correct: int = 0       # silver entities equal to a gold entity
    missing_chars: int = 0
    o_chars: int = 0       # characters the silver labels O
    false_o_chars: int = 0  # ... that are inside a gold entity

    def add(self, text: str, gold: Iterable[Span], silver: Silver) -> None:
        g = {(s, e, coarse_label(lab)) for s, e, lab in gold}
        p = set(silver.entities)
        state = ["O"] * len(text)
        for s, e in silver.missing:
            state[s:e] = ["-"] * (e - s)
        for s, e, _ in p:
            state[s:e] = ["E"] * (e - s)
        in_gold = [False] * len(text)
        for s, e, _ in g:
            in_gold[s:e] = [True] * (e - s)
        self.sentences += 1
        self.chars += len(text)
        self.gold += len(g)
        self.silver += len(p)
        self.correct += len(g & p)
        self.missing_chars += state.count("-")
        self.o_chars += state.count("O")
        self.false_o_chars += sum(1 for st, ins in zip(state, in_gold) if st == "O" and ins)

    def as_dict(self) -> dict[str, float | int]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        return {**self.__dict__, "precision": ratio(self.correct, self.silver),
                "coverage": ratio(self.correct, self.gold),
                "missing_share": ratio(self.missing_chars, self.chars),
                "false_o_rate": ratio(self.false_o_chars, self.o_chars)}


def quality(texts: list[str], gold: list[list[Span]], silver: list[Silver]) -> Quality:
    """Silver labels scored against the truth: ``precision`` (silver entities equal to a gold
    one, coarse label, strict span), ``coverage`` (gold entities the silver labels have),
    ``missing_share`` (characters left unknown) and ``false_o_rate`` (of the characters the
    silver labels O, the share inside a gold entity: what training would be taught wrongly)."""
    q = Quality()
    for text, g, s in zip(texts, gold, silver):
        q.add(text, g, s)
    return q


def gold_sentences(kind: str, path: str | Path) -> tuple[list[str], list[list[Span]]]:
    """Texts and gold spans of a measurement set: ``gold`` (a folder of ``*.gold.json``,
    split into sentences with :func:`pipeline.sentences.split_sentences`; an entity across
    two sentences is left out) or a public corpus (``cluener``, ``weibo``)."""
    if kind != "gold":
        from pipeline.evaluation.ner import load_sentences

        sents = load_sentences(kind, path)
        return [s.text for s in sents], [list(s.spans) for s in sents]
    from pipeline.evaluation.extraction import gold_files, load_gold

    texts, spans = [], []
    for f in gold_files(path):
        g = load_gold(f)
        ents = [(r["start"], r["end"], r["label"]) for r in g.entities]
        for s, e in split_sentences(g.text):
            texts.append(g.text[s:e])
            spans.append([(gs - s, ge - s, lab) for gs, ge, lab in ents if gs >= s and ge <= e])
    return texts, spans


def teacher(name: str, model: str | Path | None = None):
    """The NER backend ``name`` as a teacher. The spaCy model (``model``: a model folder, the
    shipped ``ner-zh`` by default) runs on thinc's own layers, as when the silver shards were
    first made (the ONNX int8 runtime changes 0.24 % of MSRA test spans)."""
    if name == "spacy":
        return registry.get("ner_backends", name)(model=model, runtime="thinc")
    return registry.get("ner_backends", name)()


def tag_both(texts: list[str], teachers: tuple[str, str] = TEACHERS,
             batch: int = 1000, teacher_model: str | Path | None = None
             ) -> tuple[list[list[Span]], list[list[Span]]]:
    """Both teachers' spans for ``texts`` (``teachers``: registered NER backend names)."""
    out = []
    for name in teachers:
        backend = teacher(name, teacher_model)
        spans: list[list[Span]] = []
        for i in range(0, len(texts), batch):
            spans.extend(backend.tag(texts[i:i + batch]))
        out.append(spans)
    return out[0], out[1]


def measure(rules: Iterable[str] = RULES, sets: dict[str, tuple[str, Path]] | None = None,
            lexicon_dir: str | Path = LEXICONS, teachers: tuple[str, str] = TEACHERS,
            teacher_model: str | Path | None = None) -> dict[str, dict[str, dict]]:
    """Set -> rule -> :meth:`Quality.as_dict`; also each teacher alone (``spacy alone``,
    ``lac alone``: all its spans entities, nothing missing) for comparison.  ``sets``: name ->
    (kind, path) as in :data:`MEASURE_SETS` (the default)."""
    rules = list(rules)
    person_ok = PersonCheck() if any("person" in parse_rule(r) for r in rules) else None
    lexicons = load_lexicons(lexicon_dir) if any("lexicon" in parse_rule(r) for r in rules) else None
    out: dict[str, dict[str, dict]] = {}
    for name, (kind, path) in (sets or MEASURE_SETS).items():
        texts, gold = gold_sentences(kind, path)
        first, second = tag_both(texts, teachers, teacher_model=teacher_model)
        rows = {f"{t} alone": quality(texts, gold, [Silver(sorted({(s, e, coarse_label(lab))
                                                                   for s, e, lab in sp}))
                                                    for sp in spans])
                for t, spans in zip(teachers, (first, second))}
        for rule in rules:
            rows[rule] = quality(texts, gold, [combine(t, f, s, rule, person_ok=person_ok, lexicons=lexicons)
                                               for t, f, s in zip(texts, first, second)])
        out[name] = {k: q.as_dict() for k, q in rows.items()}
    return out


def format_measure(result: dict[str, dict[str, dict]]) -> str:
    """A markdown table of :func:`measure`'s result."""
    lines = ["| set | rule | silver entities | precision | gold entities | coverage | "
             "missing chars | false O rate |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, rows in result.items():
        for rule, d in rows.items():
            lines.append(f"| {name} | {rule} | {d['silver']} | {d['precision']:.3f} | {d['gold']} | "
                         f"{d['coverage']:.3f} | {d['missing_share']:.3f} | {d['false_o_rate']:.4f} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# raw text -> silver DocBins
# ---------------------------------------------------------------------------
def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def held_out_texts(sets: Iterable[tuple[str, Path]] = HELD_OUT) -> set[str]:
    """Sentences (white space removed) of the sets only ever measured on."""
    out = set()
    for kind, path in sets:
        out.update(_squash(t) for t in gold_sentences(kind, path)[0])
    return out


_BLOCK_TAG = re.compile(r"</?(?:p|br|div|h\d)\b[^>]*>", re.I)  # a paragraph break
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")  # [text](url): its text


def markdown_text(text: str) -> str:
    """Plain text of an xwlb transcript: heading marks dropped, Markdown links reduced to
    their text (``[查看原文](https://...)``), HTML paragraph and line-break tags made line
    breaks, other tags (``<strong>``, ``<span>``) dropped, entities decoded."""
    text = _LINK.sub(r"\1", re.sub(r"(?m)^#+[ \t]*", "", text))
    return html.unescape(_TAG.sub("", _BLOCK_TAG.sub("\n", text)))


def raw_sentences(source: str, raw_dir: str | Path = RAW, seed: int = 0) -> Iterator[str]:
    """Sentences of a raw source in a seeded random order of its files (xwlb: one file a
    day, see :func:`markdown_text`) or lines (weibo-hot: one title a line)."""
    raw_dir = Path(raw_dir)
    rng = random.Random(f"{seed}-{source}")
    if source == "xwlb":
        files = sorted((raw_dir / "xwlb" / "news").glob("*.md"))
        rng.shuffle(files)
        for f in files:
            text = markdown_text(f.read_text(encoding="utf-8"))
            for s, e in split_sentences(text):
                yield text[s:e]
    elif source == "weibo-hot":
        with open(raw_dir / "weibo-hot" / "titles.tsv", encoding="utf-8") as fh:
            next(fh)  # header
            titles = [line.rstrip("\n").split("\t", 1)[-1] for line in fh]
        rng.shuffle(titles)
        for title in titles:
            for s, e in split_sentences(title):
                yield title[s:e]
    else:
        raise ValueError(f"unknown source {source!r}; expected one of: {', '.join(SOURCES)}")


def char_nlp():
    """A blank spaCy ``zh`` pipeline with one token per character, as ``ner-zh`` uses."""
    import spacy

    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})


def silver_doc(nlp, text: str, silver: Silver):
    """A training Doc: ``silver.entities`` as entities, ``silver.missing`` unknown, O elsewhere."""
    from pipeline.training.ner import _make_doc

    return _make_doc(nlp, text, silver.entities, silver.missing)[0]


def generate(source: str, output: str | Path = OUTPUT, rule: str = DEFAULT_RULE, *, limit_chars: int = 0,
             seed: int = 0, raw_dir: str | Path = RAW, lexicon_dir: str | Path = LEXICONS,
             teachers: tuple[str, str] = TEACHERS, held_out: Iterable[tuple[str, Path]] = HELD_OUT,
             batch: int = 2000, shard: int = 50000, teacher_model: str | Path | None = None,
             log=sys.stderr) -> dict:
    """Silver DocBins of one raw source in ``output/<source>/`` (``NNN.spacy``, ``shard``
    sentences each) and ``summary.json`` (returned): sentences, characters, entities per
    label, share of missing characters.  Repeated sentences and those of the ``held_out``
    sets (kind, path) are skipped; ``limit_chars`` stops before the sentence that would go
    beyond that many characters."""
    from pipeline.training.ner import _save_docbin

    options = parse_rule(rule)
    person_ok = PersonCheck() if "person" in options else None
    lexicons = load_lexicons(lexicon_dir) if "lexicon" in options else None
    out_dir = Path(output).expanduser() / source
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.spacy"):
        old.unlink()
    excluded = held_out_texts(held_out)
    nlp = char_nlp()
    backends = [teacher(t, teacher_model) for t in teachers]
    seen: set[str] = set()
    counts: Counter = Counter()
    labels: Counter = Counter()
    docs: list = []
    shards = 0
    started = time.time()

    def flush(texts: list[str]) -> None:
        nonlocal docs, shards
        first, second = (b.tag(texts) for b in backends)
        for text, f, s in zip(texts, first, second):
            sv = combine(text, f, s, rule, person_ok=person_ok, lexicons=lexicons)
            docs.append(silver_doc(nlp, text, sv))
            labels.update(lab for _, _, lab in sv.entities)
            counts["added"] += sv.added
            counts["missing_chars"] += sum(e - s for s, e in sv.missing)
        counts["sentences"] += len(texts)
        counts["chars"] += sum(len(t) for t in texts)
        if len(docs) >= shard:
            _save_docbin(docs, out_dir / f"{shards:03d}.spacy")
            shards, docs = shards + 1, []
        print(f"{source}: {counts['sentences']} sentences, {counts['chars']} chars, "
              f"{time.time() - started:.0f} s", file=log, flush=True)

    pending: list[str] = []
    taken = 0
    for sent in raw_sentences(source, raw_dir, seed):
        key = _squash(sent)
        if key in seen:
            counts["repeated"] += 1
            continue
        seen.add(key)
        if key in excluded:
            counts["held_out"] += 1
            continue
        if limit_chars and taken + len(sent) > limit_chars:
            break
        pending.append(sent)
        taken += len(sent)
        if len(pending) >= batch:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
    if docs:
        _save_docbin(docs, out_dir / f"{shards:03d}.spacy")
        shards += 1
    summary = {
        "source": source, "rule": rule, "teachers": list(teachers), "seed": seed,
        "teacher_model": str(teacher_model) if teacher_model else "shipped ner-zh",
        "limit_chars": limit_chars, "sentences": counts["sentences"], "chars": counts["chars"],
        "entities": dict(sorted(labels.items())), "entities_beyond_agreement": counts["added"],
        "missing_chars": counts["missing_chars"],
        "missing_share": round(counts["missing_chars"] / counts["chars"], 4) if counts["chars"] else 0.0,
        "repeated_sentences_skipped": counts["repeated"],
        "held_out_sentences_skipped": counts["held_out"],
        "shards": shards, "seconds": round(time.time() - started, 1),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.training.silver",
                                 description=__doc__.split("\n", 1)[0])
    ap.add_argument("--source", choices=SOURCES, action="append",
                    help="raw source to label (repeatable; default: all)")
    ap.add_argument("--rule", action="append",
                    help=f"combination rule, one of {', '.join(RULES)} (default {DEFAULT_RULE}; "
                    "with --measure: repeatable, default all)")
    ap.add_argument("--limit-chars", type=int, default=0,
                    help="characters to take from each source (0: all)")
    ap.add_argument("--output", default=str(OUTPUT), help="output folder (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="order in which files/titles are taken")
    ap.add_argument("--raw", default=str(RAW), help="raw text folder (default: %(default)s)")
    ap.add_argument("--lexicons", default=str(LEXICONS), help="lexicon folder (default: %(default)s)")
    ap.add_argument("--teacher-model", help="model folder of the spaCy teacher (default: the shipped "
                    "ner-zh; the silver shards of configs/train-ner-weibo-silver.yaml were made by "
                    "the model of configs/train-ner.yaml, build/ner-soup)")
    ap.add_argument("--measure", action="store_true",
                    help="instead of labelling raw text, measure the rules on the gold sets")
    ap.add_argument("--json", help="with --measure: also write the result to this JSON file")
    args = ap.parse_args(argv)
    rules = args.rule or (list(RULES) if args.measure else [DEFAULT_RULE])
    for r in rules:
        try:
            parse_rule(r)
        except ValueError as exc:
            ap.error(str(exc))
    if args.measure:
        result = measure(rules, lexicon_dir=args.lexicons, teacher_model=args.teacher_model)
        print(format_measure(result))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0
    if len(rules) != 1:
        ap.error("labelling raw text takes one --rule")
    for source in args.source or SOURCES:
        summary = generate(source, args.output, rules[0], limit_chars=args.limit_chars,
                           seed=args.seed, raw_dir=args.raw, lexicon_dir=args.lexicons,
                           teacher_model=args.teacher_model)
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
