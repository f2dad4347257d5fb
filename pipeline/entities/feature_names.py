"""Names the model cut before their generic part: a place named after a feature it is.

A statistical model often takes the specific part of a proper name for a person and stops
before the generic head (``普若岗|日冰川``, ``拉查帕|皇家花园``, ``唐家|岗子屯``).  When the same
continuation follows the model's span at least twice in a document and ends in a feature head
(``FEATURE_HEADS``: 冰川, 花园, 屯 ...), the whole name is a PLACE: every occurrence of it becomes
a PLACE span, replacing the model spans it overlaps.  The continuation is at most four
characters, all CJK, at least two, with no verb, preposition, conjunction, particle, adverb or
pronoun before the head (``王刚回村`` is no place), so that a person named with a one-character
head (``李明山``) stays a person.  Sentence-level text (one mention) is never changed.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from ..segmenters import posseg

Span = tuple[int, int, str]

# generic heads of natural features, landmarks and settlements (GUIDELINES: places include
# natural features, parks, villages); longest first so that 火山群 wins over 群
FEATURE_HEADS = tuple(sorted("""
冰川 冰原 冰峰 雪山 山脉 山峰 山 峰 岭 峡谷 峡 谷 高原 草原 盆地 平原 沙漠 戈壁 绿洲 湿地
湖 湖泊 海 海湾 湾 河 江 溪 泉 温泉 瀑布 水库 岛 群岛 半岛 礁 滩 火山 火山群 森林 林场
花园 公园 园林 植物园 广场 景区 古镇 古城 遗址 故居 陵 寺 庙 宫 塔 桥 港 码头
屯 村 庄 寨 镇 乡 街 巷 胡同 路 大街 大道
""".split(), key=len, reverse=True))

_HEADS = frozenset(FEATURE_HEADS)
_HEAD_LENGTHS = sorted({len(h) for h in FEATURE_HEADS}, reverse=True)
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_NOT_IN_NAME = ("v", "p", "c", "u", "d", "r", "f")  # jieba part-of-speech prefixes
MAX_TAIL = 4
MIN_REPEATS = 2


def _longest_head(tail: str) -> str | None:
    """The longest feature head ``tail`` ends with (the first of ``FEATURE_HEADS``), by length."""
    return next((tail[-n:] for n in _HEAD_LENGTHS if n <= len(tail) and tail[-n:] in _HEADS), None)


@lru_cache(maxsize=4096)
def _tail_ok(tail: str) -> bool:
    """``tail`` (2-4 CJK characters) ends in a feature head, and what stands before the head is
    no verb, preposition, conjunction, particle, adverb, pronoun or locative."""
    if not (2 <= len(tail) <= MAX_TAIL and _CJK.match(tail)):
        return False
    head = _longest_head(tail)
    if head is None:
        return False
    middle = tail[:-len(head)]
    if not middle:
        return True
    return not any(flag.startswith(_NOT_IN_NAME) for _, flag in posseg(middle))


def feature_places(text: str, spans: list[Span]) -> list[Span]:
    """``spans`` (model spans) with the names cut before their feature head made whole PLACE
    spans (see the module docstring); unchanged when no name qualifies."""
    tails: Counter = Counter()
    for s, e, _ in spans:
        name = text[s:e]
        for k in range(2, MAX_TAIL + 1):
            if e + k <= len(text) and _tail_ok(text[e:e + k]):
                tails[name + text[e:e + k]] += 1
    names = [n for n, c in tails.items() if c >= MIN_REPEATS]
    if not names:
        return spans
    # the longest name first; occurrences never overlap each other
    taken: list[tuple[int, int]] = []
    for n in sorted(names, key=len, reverse=True):
        for m in re.finditer(re.escape(n), text):
            if not any(m.start() < b and a < m.end() for a, b in taken):
                taken.append((m.start(), m.end()))
    kept = [sp for sp in spans if not any(sp[0] < b and a < sp[1] for a, b in taken)]
    return sorted(kept + [(a, b, "PLACE") for a, b in taken])
