"""Sentence splitting on Chinese sentence punctuation and paragraph breaks."""
from __future__ import annotations

import re

MAX_SENTENCE = 1000  # longer runs without sentence punctuation are cut at a comma or space, else hard
_SOFT = re.compile(r"[，,；;、：:\s]")

# a sentence ends after 。！？!? (or …… / ……” ), including closing quotes/brackets that follow
_END = re.compile(r"(?:[。！？!?]+|…{1,2}(?=[^，,、”’」』）)]|$))[”’」』）)》\"']*|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans of the sentences of ``text``; white space is trimmed,
    empty sentences are dropped, and a newline (paragraph break) always ends one."""
    spans = []
    start = 0
    for m in _END.finditer(text):
        end = m.end() if m.group()[0] != "\n" else m.start()
        _add(text, start, end, spans)
        start = m.end()
    _add(text, start, len(text), spans)
    return spans


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = start + MAX_SENTENCE
        soft = [m.end() for m in _SOFT.finditer(text, start + MAX_SENTENCE // 2, cut)]
        cut = soft[-1] if soft else cut
        _add(text, start, cut, spans)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        spans.append((start, end))
