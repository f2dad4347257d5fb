"""Word segmentation scoring against SIGHAN-style gold files (the segmenters and their
user dictionaries are in :mod:`pipeline.segmenters`).

Gold format (SIGHAN 2005 ``*_gold.utf8``): one sentence per line, words separated
by two spaces, CRLF line ends.  Scoring is word-level: a predicted word is
correct when its character span ``(start, end)`` in the sentence equals a gold
word's span (the bakeoff ``score`` script's definition).

Typical use (the CLI ``extract eval-seg --segmenter NAME GOLD_FILE`` maps onto
:func:`evaluate_segmenter`)::

    from pipeline.evaluation.segmentation import evaluate_segmenter, format_table
    rows = [evaluate_segmenter(n, "pku_heldout_gold.utf8") for n in ("jieba", "pkuseg", "char")]
    print(format_table(rows))
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.evaluation.scoring import PRF
from pipeline.segmenters import DEFAULT_PKUSEG_MODEL, make_segmenter


# --------------------------------------------------------------------------- gold + scoring

def read_gold(path: str | os.PathLike) -> list[list[str]]:
    """Sentences of a segmented gold file as word lists.

    Words may be separated by any run of whitespace (the SIGHAN files use two
    spaces, sometimes three); CRLF/LF line ends and a UTF-8 BOM are accepted;
    blank lines are skipped.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    return [ln.split() for ln in text.splitlines() if ln.strip()]


def word_spans(words: Iterable[str]) -> set[tuple[int, int]]:
    """Character spans ``(start, end)`` of consecutive words."""
    spans, pos = set(), 0
    for w in words:
        spans.add((pos, pos + len(w)))
        pos += len(w)
    return spans


def score_words(gold_sents: Sequence[Sequence[str]], pred_sents: Sequence[Sequence[str]]) -> PRF:
    """Word-level P/R/F1 (a :class:`~pipeline.evaluation.scoring.PRF`) by span comparison.

    Sentences are paired by position; each pair must cover the same characters
    (whitespace inside a sentence is ignored), otherwise ``ValueError``.
    """
    if len(gold_sents) != len(pred_sents):
        raise ValueError(f"{len(gold_sents)} gold sentences but {len(pred_sents)} predicted")
    total = PRF()
    for i, (gold, pred) in enumerate(zip(gold_sents, pred_sents)):
        gold = [w for w in gold if w.strip()]
        pred = [w.strip() for w in pred if w.strip()]
        if "".join(gold) != "".join(pred):
            raise ValueError(f"sentence {i}: predicted text differs from gold text")
        g, p = word_spans(gold), word_spans(pred)
        tp = len(g & p)
        total += PRF(tp=tp, fp=len(p) - tp, fn=len(g) - tp)
    return total


# --------------------------------------------------------------------------- evaluation

def evaluate_segmenter(name: str, gold_file: str | os.PathLike, model: str | os.PathLike | None = None,
                       user_dicts: Sequence[str | os.PathLike] = (), limit: int | None = None,
                       **kwargs) -> dict:
    """Segment the gold file's sentences with ``name`` and score them.

    Returns ``precision``, ``recall``, ``f1``, ``chars_per_second`` (segmentation
    calls only, model loading excluded), ``sentences``, ``characters`` and
    ``tp``/``fp``/``fn``.  ``limit`` scores only the first ``limit`` sentences.
    Extra keyword arguments go to the segmenter loader (``postprocess`` for pkuseg).
    """
    gold = read_gold(gold_file)
    if limit is not None:
        gold = gold[:limit]
    seg = make_segmenter(name, model=model, user_dicts=user_dicts, **kwargs)
    texts = ["".join(s) for s in gold]
    t0 = time.perf_counter()
    pred = [seg(t) for t in texts]
    seconds = time.perf_counter() - t0
    prf = score_words(gold, pred)
    chars = sum(len(t) for t in texts)
    out = {"segmenter": name, "gold_file": str(gold_file),
           "model": str(model or DEFAULT_PKUSEG_MODEL) if name == "pkuseg" else None,
           "user_dicts": [str(d) for d in user_dicts]}
    out.update(prf.as_dict())
    out.update(chars_per_second=round(chars / seconds) if seconds > 0 else float("inf"),
               sentences=len(gold), characters=chars)
    return out


def format_table(results: Iterable[dict]) -> str:
    """Markdown table of :func:`evaluate_segmenter` results."""
    lines = ["| segmenter | gold | sentences | chars | P | R | F1 | chars/s |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        label = r["segmenter"] + (" +dict" if r.get("user_dicts") else "")
        lines.append(f"| {label} | {Path(r['gold_file']).name} | {r['sentences']} | {r['characters']} | "
                     f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['chars_per_second']:,} |")
    return "\n".join(lines)
