"""Readers for the public annotated corpora in ``../shared/datasets``.

Each reader yields :class:`AnnotatedSentence` objects: the sentence text and its
gold spans as character offsets with the corpus's own labels.  ``map_label``
turns a corpus label into ours (PERSON, PLACE, COMPANY, GOV, ORG) or ``None``
for types we do not extract.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

Span = tuple[int, int, str]


@dataclass
class AnnotatedSentence:
    text: str
    spans: list[Span] = field(default_factory=list)


# corpus label -> our label.  "ORG" from MSRA/PD1998 means "any organisation":
# evaluation treats COMPANY, GOV and ORG predictions as matching it.
LABEL_MAPS: dict[str, dict[str, str]] = {
    "msra": {"PER": "PERSON", "LOC": "PLACE", "ORG": "ORG"},
    "pd1998": {"PER": "PERSON", "LOC": "PLACE", "ORG": "ORG"},
    "weibo": {"PER.NAM": "PERSON", "LOC.NAM": "PLACE", "GPE.NAM": "PLACE", "ORG.NAM": "ORG"},
    "resume": {"NAME": "PERSON", "LOC": "PLACE", "ORG": "ORG"},
    # Xu et al. 2017 literature NER: names and nominal mentions share these types in the BIO files
    "literature": {"Person": "PERSON", "Location": "PLACE", "Organization": "ORG"},
    "cluener": {"name": "PERSON", "address": "PLACE", "company": "COMPANY",
                "government": "GOV", "organization": "ORG"},
}

# datasets whose ORG does not distinguish company / government / other
COARSE_ORG = {"msra", "pd1998", "weibo", "resume", "literature"}


def map_label(dataset: str, label: str) -> str | None:
    return LABEL_MAPS[dataset].get(label)


def _tagged_lines(path: Path, split) -> Iterator[list[tuple[str, str]]]:
    sent: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line.strip():
                if sent:
                    yield sent
                    sent = []
                continue
            ch, tag = split(line)
            sent.append((ch, tag))
    if sent:
        yield sent


def _spans_from_tags(chars: list[str], tags: list[str]) -> AnnotatedSentence:
    """BIO / BIOES / BMES tags to spans; ill-formed I- after O starts a span."""
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, lab = tag.partition("-")
        if prefix in ("B", "S", "O") or (prefix in ("I", "M", "E") and lab != label):
            if start is not None:
                spans.append((start, i, label))
                start, label = None, None
            if prefix != "O":
                start, label = i, lab
        if prefix in ("E", "S") and start is not None:
            spans.append((start, i + 1, label))
            start, label = None, None
    return AnnotatedSentence("".join(chars), spans)


def read_bio(path: str | Path, dataset: str = "msra") -> Iterator[AnnotatedSentence]:
    """MSRA (``char<TAB>tag``), PD1998 (``char tag``), Weibo (``char+segpos<TAB>tag``),
    Resume (``char tag`` with BMES), literature (``char B_Person``: ``_`` for ``-``)."""

    def split(line: str) -> tuple[str, str]:
        if "\t" in line:
            ch, tag = line.split("\t", 1)
        else:
            ch, tag = line.rsplit(" ", 1)
        if dataset == "weibo" and len(ch) > 1:
            ch = ch[0]
        tag = tag.strip()
        if dataset == "literature":
            tag = tag.replace("_", "-", 1)
        return ch[:1] or " ", tag

    for sent in _tagged_lines(Path(path), split):
        chars = [c for c, _ in sent]
        tags = [t for _, t in sent]
        yield _spans_from_tags(chars, tags)


def read_cluener(path: str | Path) -> Iterator[AnnotatedSentence]:
    """CLUENER JSON lines; end offsets in the file are inclusive."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            spans = []
            for label, mentions in (row.get("label") or {}).items():
                for _mention, positions in mentions.items():
                    for s, e in positions:
                        spans.append((s, e + 1, label))
            yield AnnotatedSentence(row["text"], sorted(spans))


def _literature_nominals(folder: Path) -> frozenset[str]:
    """Texts the literature corpus's brat files mark more often as a nominal or pronoun
    mention than as a name (``母亲``, ``我``)."""
    from collections import Counter

    names: Counter = Counter()
    other: Counter = Counter()
    for ann in sorted(folder.glob("*.ann")):
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3 or not parts[0].startswith("T"):
                continue
            kind = parts[1].split(" ", 1)[0]
            (names if kind.endswith("-Name") else other)[parts[2]] += 1
    return frozenset(t for t, n in other.items() if n > names[t])


def read_literature(path: str | Path) -> Iterator[AnnotatedSentence]:
    """Literature NER (BIO, ``人 B_Person``), names only.

    The BIO files mix names with nominal and pronoun mentions under one type.  The
    corpus's training annotations (``brat_training/`` beside the file) tell them
    apart (``Person-Name`` / ``Person-Nominal`` / ``Person-Pronoun``), so a gold span
    whose text they mark more often as nominal or pronoun than as a name is dropped, and
    so is a one-character span (``里``, ``上``: locative words, never names here).  Without
    that folder only the one-character spans are dropped.
    """
    path = Path(path)
    brat = path.parent / "brat_training"
    nominals = _literature_nominals(brat) if brat.is_dir() else frozenset()
    for sent in read_bio(path, "literature"):
        sent.spans = [sp for sp in sent.spans
                      if sp[1] - sp[0] > 1 and sent.text[sp[0]:sp[1]] not in nominals]
        yield sent


def load(dataset: str, path: str | Path) -> Iterator[AnnotatedSentence]:
    if dataset == "cluener":
        return read_cluener(path)
    if dataset == "literature":
        return read_literature(path)
    if dataset in LABEL_MAPS:
        return read_bio(path, dataset)
    raise ValueError(f"unknown dataset {dataset!r}; expected one of: {', '.join(sorted(LABEL_MAPS))}")


def load_mapped(dataset: str, path: str | Path) -> Iterator[AnnotatedSentence]:
    """Sentences with labels mapped to ours; unmapped types are dropped."""
    for sent in load(dataset, path):
        spans = [(s, e, m) for s, e, lab in sent.spans if (m := map_label(dataset, lab))]
        yield AnnotatedSentence(sent.text, spans)
