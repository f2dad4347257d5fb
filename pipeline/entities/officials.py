"""Officials: people the text gives a position, job or rank, with each position as written.

:class:`OfficialFinder` is called by :class:`pipeline.entities.rules.Extractor` (``titled_people``);
:class:`OfficialRecords` (part of ``EntityStage``) makes the records.  A name directly after a
chain of titles (``市委常委、西海岸新区工委书记、区委书记孙永红``) gets one :class:`Official` with
each title as written (the organisation words in front of the title word included) and
``orgs`` parsed from each title (None where the title has no organisation).  Reporters in
bylines get their byline role (``青岛日报/观海新闻记者``).  Honours (``“最美劳动者”``) are not
titles.  Every pattern is a general pattern of Chinese news:

============================  ==============================================================
pattern                       example
============================  ==============================================================
titles before a name          ``国家主席习近平``, ``美国总统特朗普``, ``伊朗外交部发言人阿巴斯·穆萨维``,
                              ``山东省委常委、青岛市委书记王清宪`` (two titles),
                              ``哈金森集团主席兼首席执行官杰克·梅涅`` (兼/及 join two titles),
                              ``“乡村教师”张某`` (a quoted title), ``时任某派出所所长的刘某``
a title after the name        ``习近平主席``, ``陈毅元帅``, ``贺某研究员``
a verb of office              ``米某担任政府总理``, ``刘某先后任某乡特派员``, ``任命米某为总理``,
                              ``李某以代理主教练的身份``; a sentence's subject for
                              ``张某，河北人，…到某农场任武装干事``
apposition                    ``张某，某公司总经理，``
============================  ==============================================================

The name after a title is a Chinese name (surname + one or two characters), a span
the statistical model tagged PERSON there (whatever its first character: 格奥尔基耶娃,
喇某某), or a run of transliteration characters with ``·``/``—`` between the parts
(阿巴斯·穆萨维, 阿卜杜勒—迈赫迪).  A title cue is what makes such a name a person.

Titles are written as in the text with the organisation words attached
(``伊朗外交部发言人``); words that start a clause (与, 会见, 据 ...) and fillers
(新任, 时任) are cut off on the left.  One record per person: a title contained in
another title of the same person is dropped (``国家主席`` and ``主席`` -> ``国家主席``).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from ..records import Document, Official
from .chars import nospace
from .gazetteers import common_words
from .merge import Cand

RULES = Path(__file__).resolve().parent.parent / "resources" / "entities" / "rules.yaml"

_SEPARATORS = "·•・‧—－-"
# characters that end a title segment on its left
_DELIMS = set("，。、；：！？,;:!?\"\n\r\t □■◇◆「」『』【】[]…—|/／<>")
_CLAUSE_END = set("，。；！？,;!?\n")
_SENTENCE_END = set("。！？!?\n")
_LIST_MARK = re.compile(r"^(?:[\d０-９]+[.．、)）]|[（(][\d０-９一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)+")
_FUNCTION_CHARS = set("由曾和应于向从对将把被为与同及以在也还就并都要让给可能会而但又再才只即便则其此该各每某本这那多少")
_TIME_WORDS = {"周一", "周二", "周三", "周四", "周五", "周六", "周日", "周末", "年初", "年底", "月初", "月底"}
_ADDRESS_WORDS = {"先生", "女士", "小姐", "同志", "老师", "师傅", "大爷", "大妈", "阿姨", "老汉", "伯伯", "大哥", "大姐"}
_DATELINE = re.compile(r"^.*?\d+日电")
_COUNTED = re.compile(r"[\d０-９一二三四五六七八九十百千万两几数多]+[个名位家]$")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


class TitleIndex:
    """Titles by length: the longest title ending or starting at a position with one set lookup
    per title length, instead of a scan of the whole (longest-first) list."""

    def __init__(self, titles: Iterable[str]):
        self.words = frozenset(titles)
        self.lengths = sorted({len(t) for t in self.words}, reverse=True)
        by_first: dict[str, set[int]] = {}
        for t in self.words:
            if t:
                by_first.setdefault(t[0], set()).add(len(t))
        self._lengths_by_first = {c: sorted(ls) for c, ls in by_first.items()}
        self._first = re.compile("[" + "".join(map(re.escape, sorted(by_first))) + "]") if by_first else None

    def ending_at(self, text: str, end: int) -> str | None:
        """The longest title that ``text[:end]`` ends with (the first such of a longest-first list)."""
        end = min(end, len(text)) if end >= 0 else max(0, end + len(text))  # as str.endswith(t, 0, end)
        for n in self.lengths:
            if n <= end and text[end - n:end] in self.words:
                return text[end - n:end]
        return None

    def starting_at(self, text: str, p: int, min_len: int = 0) -> str | None:
        """The longest title (``min_len`` characters or more) that starts at ``p``."""
        for n in self.lengths:
            if n >= min_len and p + n <= len(text) and text[p:p + n] in self.words:
                return text[p:p + n]
        return None

    def ends(self, text: str) -> list[int]:
        """Every position where an occurrence of a title ends (overlapping ones too), in order."""
        out: set[int] = set()
        for m in self._first.finditer(text) if self._first is not None else ():
            k = m.start()
            for n in self._lengths_by_first[text[k]]:
                if k + n <= len(text) and text[k:k + n] in self.words:
                    out.add(k + n)
        return sorted(out)


class NameIndex:
    """Names known in a document, by first and last character: the longest one starting or
    ending at a position is found without trying them all (long documents know many)."""

    def __init__(self, names: Iterable[str]):
        self.names = set(names)
        self._by_first: dict[str, list[str]] = {}
        self._by_last: dict[str, list[str]] = {}
        for n in self.names:
            if n:
                self._by_first.setdefault(n[0], []).append(n)
                self._by_last.setdefault(n[-1], []).append(n)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def longest_at(self, text: str, k: int, min_len: int = 1) -> int | None:
        """Length of the longest name (``min_len`` characters or more) starting at ``k``."""
        lens = [len(n) for n in self._by_first.get(text[k:k + 1], ()) if len(n) >= min_len and text.startswith(n, k)]
        return max(lens, default=None)

    def longest_before(self, text: str, k: int, min_len: int = 1) -> int | None:
        """Length of the longest name (``min_len`` characters or more) ending at ``k``."""
        lens = [len(n) for n in self._by_last.get(text[k - 1:k] if k else "", ())
                if len(n) >= min_len and text.endswith(n, 0, k)]
        return max(lens, default=None)

    def inside(self, s: str, min_len: int = 1) -> bool:
        """Whether a name (``min_len`` characters or more) occurs in ``s``."""
        return any(self.longest_at(s, k, min_len) is not None for k in range(len(s)))


@dataclass
class Holder:
    """A person given positions: the name span and the titles (as written) of this mention."""

    start: int
    end: int
    titles: list[str] = field(default_factory=list)
    method: str = "title"

    # tuple-like access keeps ``for _, s, e in titled`` working
    def __iter__(self):
        return iter((self.titles, self.start, self.end))


@dataclass
class OfficialRules:
    titles: list[str]
    titles_after: list[str]
    after_blockers: set[str]
    verbs: list[str]
    adverbs: list[str]
    appoint: list[str]
    ren_before: set[str]
    ren_after: set[str]
    fillers: list[str]
    cut_words: list[str]
    protect: list[str]
    follow_words: list[str]
    follow_chars: set[str]
    foreign_chars: set[str]
    honours: list[str]
    honour_prefixes: list[str]
    generic_prefixes: list[str]


@lru_cache(maxsize=4)
def _yaml(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def official_rules(res) -> OfficialRules:
    """The officials' word lists: ``res`` (gazetteers.Resources) plus the officials sections of rules.yaml."""
    cached = getattr(res, "_official_rules", None)
    if cached is not None:
        return cached
    y = _yaml(str(RULES))
    by_len = lambda xs: sorted(set(xs), key=len, reverse=True)  # noqa: E731
    rules = OfficialRules(
        titles=by_len(res.titles),
        titles_after=by_len(y.get("titles_after_name", [])),
        after_blockers=set(y.get("title_after_blockers", "")),
        verbs=by_len(y.get("title_verbs", [])),
        adverbs=by_len(y.get("title_verb_adverbs", [])),
        appoint=by_len(y.get("appoint_verbs", [])),
        ren_before=set(y.get("ren_blockers_before", [])),
        ren_after=set(y.get("ren_blockers_after", [])),
        fillers=by_len(y.get("title_fillers", [])),
        cut_words=by_len(list(res.title_cut_words) + list(y.get("title_cut_more", []))),
        protect=by_len(list(y.get("title_cut_protect", [])) + list(res.inside_words)),
        follow_words=by_len(y.get("name_follow_words", [])),
        follow_chars=set(res.name_followers),
        foreign_chars=set("".join(str(y.get("foreign_name_chars", "")).split())),
        honours=list(res.honours),
        honour_prefixes=list(y.get("honour_prefixes", [])),
        generic_prefixes=list(y.get("title_generic_prefixes", [])),
    )
    try:
        res._official_rules = rules
    except AttributeError:  # pragma: no cover - slots
        pass
    return rules


class OfficialFinder:
    """Finds holders of positions in one text; ``ex`` is the rules.Extractor (Chinese names)."""

    def __init__(self, ex):
        self.ex = ex
        self.r = ex.r
        self.o = official_rules(ex.r)
        self.common = common_words()
        self._follow_single = {w for w in self.o.follow_words if len(w) == 1}
        self.titles = TitleIndex(self.o.titles)
        self._titles_by_first: dict[str, list[str]] = {}
        for t in self.o.titles:
            self._titles_by_first.setdefault(t[0], []).append(t)
        # the gazetteer's people, listed once (not the whole gazetteer per document)
        self._gaz_people = [n for n, g in self.r.gaz.items() if g.label == "PERSON"]

    # ------------------------------------------------------------------ names
    def _clean_after(self, text: str, e: int) -> bool:
        """Whether a name may end at ``e`` (punctuation, a digit, a follower word or character)."""
        if e >= len(text):
            return True
        ch = text[e]
        if ch in _SEPARATORS:
            return False
        if not _is_cjk(ch):
            return True
        if ch in self.o.follow_chars:
            return True
        if any(text.startswith(w, e) for w in self.o.follow_words):
            return True
        # another title follows (记者朱某实习生王某)
        return self.titles.starting_at(text, e, 2) is not None

    def _foreign_end(self, text: str, p: int, min_len: int = 2) -> int | None:
        """End of a transliterated name starting at ``p`` (阿巴斯·穆萨维), or None."""
        fc = self.o.foreign_chars
        i, n, letters = p, len(text), 0
        while i < n and letters <= 14:
            ch = text[i]
            if ch in fc:
                i += 1
                letters += 1
            elif ch in _SEPARATORS and i > p and i + 1 < n and text[i + 1] in fc and text[i - 1] in fc:
                i += 1
            else:
                break
        for e in range(i, p + min_len - 1, -1):
            if text[e - 1] in _SEPARATORS:
                continue
            if self._clean_after(text, e):
                return e
        return None

    def _surname_len(self, text: str, p: int) -> int:
        r = self.r
        return 2 if text[p:p + 2] in r.compound_surnames else (1 if p < len(text) and text[p] in r.surnames else 0)

    def _is_cn_name(self, text: str, s: int, e: int, followers_ok: bool = False) -> bool:
        """Whether text[s:e] reads as a Chinese name (surname + one or two given characters)."""
        sl = self._surname_len(text, s)
        if not sl or not 1 <= e - s - sl <= 2:
            return False
        given = text[s + sl:e]
        return all(_is_cjk(c) and (followers_ok or c not in self.r.name_followers)
                   and c not in self.r.given_name_stop and c not in "，。、" for c in given)

    def _cn_name_loose(self, text: str, p: int) -> int | None:
        """A Chinese name followed by a common word (赵志刚报警, 李明视察), when no follower character says where it ends."""
        sl = self._surname_len(text, p)
        if not sl:
            return None
        for glen in (2,):
            e = p + sl + glen
            if e + 2 <= len(text) and self._is_cn_name(text, p, e) and text[e:e + 2] in self.common \
                    and text[e - 1:e + 1] not in self.common \
                    and not any(text[k:k + 2] in self.common for k in range(p, e - 1)):
                return e
        return None

    def _valid_name(self, text: str, s: int, e: int) -> bool:
        t = text[s:e].replace(" ", "")
        if len(t) < 2 or len(t) > 20:
            return False
        if t in self.r.not_entities or t in self.common:
            return False
        g = self.r.gaz.get(t)
        if g is not None and g.label != "PERSON":
            return False
        if self.titles.starting_at(t, 0, 2) is not None:
            return False
        if t[0] in _FUNCTION_CHARS and (t[1:] in self.common or t[:2] in self.common or t[1:3] in self.common
                                        or text[s + 1:s + 3] in self.common or t[1:] in self.r.gaz):
            return False  # 曾多次, 由武术, 和学者, 和欧洲, 都承认: a function word, not a surname
        if t[:2] in _TIME_WORDS:
            return False  # 周二晚
        if t[1:] in _ADDRESS_WORDS or t[2:] in _ADDRESS_WORDS:
            return False  # 姚先生, 王老师: a surname with a form of address is no name
        return True

    def name_at(self, text: str, p: int, model_starts: dict[int, int]) -> int | None:
        """End of a person's name starting at ``p`` (right after a title), or None."""
        if p >= len(text) or not (_is_cjk(text[p])):
            return None
        e = self.ex._name_at(text, p)
        if e is not None and e < len(text) and text[e] in _SEPARATORS:
            e = None  # 汤姆·克鲁斯: the Chinese-name reading stops at the separator
        if e is not None and e - p == 2 and e < len(text) and text[e] not in "也还就在和与同对为是将会已等的一说表摄" \
                and self._is_cn_name(text, p, e + 1, True) \
                and text[e:e + 2] not in self.common and self._clean_after(text, e + 1):
            e = e + 1  # 唐国强今天: 强 is no verb here (强调 would be)
        if e is not None:
            fe = self._foreign_end(text, p)
            if fe is not None and fe > e and any(c in _SEPARATORS for c in text[p:fe]):
                e = fe  # 马格坦戈尔·圭尼贡多
        for L in range(min(8, len(text) - p), 1, -1):
            g = self.r.gaz.get(text[p:p + L])
            if g is not None and g.label == "PERSON":
                return p + L  # a well-known name (known_names.tsv)
        if e is not None and p in model_starts and model_starts[p] != e and 2 <= model_starts[p] - p <= 4 \
                and self._clean_after(text, model_starts[p]) and self._valid_name(text, p, model_starts[p]):
            e = model_starts[p]  # the model decides between 2 and 3 characters (刘某一介绍, 普京互致)
        if e is None and p in model_starts:
            me = model_starts[p]
            if me - p <= 16 and all(_is_cjk(c) or c in _SEPARATORS or c == " " for c in text[p:me]):
                if me - p >= 4 and text[me - 1] in self._follow_single and self._clean_after(text, me - 1):
                    me -= 1  # 尤努斯互致贺电: the model took the verb's first character
                e = me
                if not self._clean_after(text, me):
                    fe = self._foreign_end(text, p)
                    if fe is not None and fe > me:
                        e = fe
        if e is None:
            e = self._foreign_end(text, p, 2)
            if e is not None and e - p < 2:
                e = None
        if e is None:
            e = self._cn_name_loose(text, p)
        if e is not None and e < len(text) and text[e] in _SEPARATORS:
            fe = self._foreign_end(text, p)
            e = fe if fe is not None and fe > e else None
        if e is None or not self._valid_name(text, p, e):
            return None
        return e

    def _list_name_at(self, text: str, p: int, model_starts: dict[int, int]) -> int | None:
        """A further name of a list after a title: a Chinese name or a model PERSON span,
        ended by 、, punctuation or 等 (not a name that has a title of its own)."""
        if p >= len(text):
            return None
        e = self.ex._name_at(text, p)
        if e is None and p in model_starts:
            e = model_starts[p]
        if e is None or e - p > 16 or not self._valid_name(text, p, e):
            return None
        if e < len(text) and text[e] != "、" and not self._clean_after(text, e):
            return None
        if self.titles.starting_at(text, p) is not None or \
                any(self._title_word_at(text, k) for k in range(p + 2, e + 1)) or \
                self.titles.starting_at(text, e) is not None:
            return None  # 华侨委主任委员于某: a title of its own follows
        return e

    def _name_ending_at(self, text: str, k: int, known: NameIndex, model_ends: dict[int, int]) -> int | None:
        """Start of a person's name that ends at ``k`` (before a title or verb), or None."""
        length = known.longest_before(text, k, 2)
        if length is not None:
            return k - length
        if k in model_ends:
            s = self._extend_left(text, model_ends[k])
            if 2 <= k - s <= 20 and self._valid_name(text, s, k):
                return s
        s = k
        while s > 0 and text[s - 1] in self.o.foreign_chars and k - s < 12:
            s -= 1
        if s < k - 1 and s >= 2 and text[s - 1] in _SEPARATORS and text[s - 2] in self.o.foreign_chars:
            s = self._extend_left(text, s)
            if self._valid_name(text, s, k):
                return s
        for L in (3, 2):
            s = k - L
            if s < 0:
                continue
            prev = text[s - 1] if s > 0 else "\n"
            if _is_cjk(prev) or prev.isalnum() or prev in _SEPARATORS:
                continue
            if L == 3 and text[s] in _FUNCTION_CHARS and self._is_cn_name(text, s + 1, k):
                continue  # 由徐某导演: 由 is a preposition
            if self._is_cn_name(text, s, k) and self._valid_name(text, s, k):
                return s
        return None

    def _extend_left(self, text: str, s: int) -> int:
        """迈克·盖尔: a name whose part before a separator is written in transliteration."""
        fc = self.o.foreign_chars
        while s >= 2 and text[s - 1] in _SEPARATORS and text[s - 2] in fc:
            j = s - 1
            while j > 0 and text[j - 1] in fc and s - j < 12:
                j -= 1
            s = j
        return s

    # ------------------------------------------------------------------ titles
    def _title_word_at(self, text: str, end: int) -> str | None:
        """The title word ending at ``end``: the first of the longest-first titles, the longest."""
        return self.titles.ending_at(text, end)

    def _protected(self, text: str, k: int, w: str) -> bool:
        """Whether the cut word ``w`` at ``k`` lies inside a protected word."""
        for p in self.o.protect:
            if w not in p:
                continue
            j = text.find(p, max(0, k - len(p) + 1), k + len(p) + len(w))
            while j != -1 and j <= k:
                if j <= k and k + len(w) <= j + len(p):
                    return True
                j = text.find(p, j + 1, k + len(p) + len(w))
        return False

    def _segment_start(self, text: str, end: int, limit: int) -> int:
        """Left end of the title segment ending at ``end`` (not before ``limit``)."""
        s = end
        quoted = False
        while s > limit and end - s < 50:
            ch = text[s - 1]
            if ch in "）)":
                j = text.rfind("（", max(limit, s - 14), s - 1)
                j = j if j != -1 else text.rfind("(", max(limit, s - 14), s - 1)
                if j <= limit or not _is_cjk(text[j - 1]):
                    break  # 党校（行政学院）: only a parenthesis inside a name
                s = j
                continue
            if ch == "》":
                j = text.rfind("《", max(limit, s - 24), s - 1)
                if j == -1:
                    break
                s = j
                continue
            if ch == "”" and not quoted and s < end:
                j = text.rfind("“", max(limit, s - 14), s - 1)
                if j == -1:
                    break
                quoted = True
                s = j
                continue
            if ch in _DELIMS or ch in "（(《“”":
                break
            s -= 1
        return s

    def _cut(self, text: str, s: int, end: int, word: str) -> tuple[int, str | None]:
        """Cut the segment [s, end) after the last clause word before its title word."""
        best, best_w = s, None
        for w in self.o.cut_words:
            k = text.rfind(w, s, end - len(word))
            while k != -1 and k + len(w) > best:
                if k + len(w) <= end - len(word) and not self._protected(text, k, w):
                    best, best_w = k + len(w), w
                    break
                k = text.rfind(w, s, k)
        return best, best_w

    def _clean_title(self, t: str) -> str:
        t = t.replace(" ", "").replace("\u3000", "")
        t = _LIST_MARK.sub("", t)  # 9.某某书记: a list number is no part of the title
        t = _DATELINE.sub("", t)  # 本报武汉5月19日电记者 -> 记者
        if t.startswith("应") and not t.startswith(("应急", "应用")):
            t = t[1:]  # 应某国总统某某邀请
        changed = True
        while changed:
            changed = False
            for f in self.o.fillers:
                if t.startswith(f) and len(t) > len(f):
                    t = t[len(f):]
                    changed = True
        return t

    def title_chain(self, text: str, end: int, limit: int = 0) -> list[str]:
        """Titles written before ``end`` (where a name starts, or a title word ends), as written."""
        titles: list[str] = []
        while end > limit:
            word = self._title_word_at(text, end)
            if word is None:
                break
            s = self._segment_start(text, end, limit)
            cut, cut_word = self._cut(text, s, end, word)
            seg = text[cut:end]
            if _COUNTED.search(seg[:len(seg) - len(word)]):
                break  # 36个成员国: a count, not a title
            if any(seg.endswith(h) and len(h) >= len(word) for h in self.o.honours) or \
                    seg.lstrip("“").startswith(tuple(self.o.honour_prefixes)):
                break  # 最美护林员, 特级教师: honours are no titles
            if seg.startswith(tuple(self.o.generic_prefixes)):
                break  # 各级领导干部, 一些专家: a group, not one person's title
            title = self._clean_title(seg)
            if title:
                titles.insert(0, title)
            # a title before 兼/及/和/并/、/， continues the chain (主席兼首席执行官; 常委、书记)
            if cut_word in ("兼", "及", "和", "并") and cut > limit:
                nxt = cut - len(cut_word)
            elif cut == s and s > limit and text[s - 1] in "、，,":
                nxt = s - 1
            else:
                break
            if self._title_word_at(text, nxt) is None:
                break
            end = nxt
        return titles

    def _title_phrase(self, text: str, p: int) -> tuple[list[str], int] | None:
        """Titles written from ``p`` to the end of the clause (after 任/担任), and the phrase end."""
        e = p
        n = len(text)
        while e < n and e - p <= 40:
            ch = text[e]
            if ch in _CLAUSE_END or ch in "）)" or text.startswith("的", e) or text.startswith("时", e) \
                    or text.startswith("期间", e) or text.startswith("一职", e) or text.startswith("职务", e):
                break
            if ch in "（(":  # 乡（苏木）综合治理领导小组
                j = text.find("）", e, e + 12)
                if j == -1:
                    return None
                e = j + 1
                continue
            e += 1
        if e == p or e - p > 40:
            return None
        parts, cur = [], p
        for k in range(p, e + 1):
            if k == e or text[k] == "、":
                seg_end = k
                if self._title_word_at(text, seg_end) is not None or k == e:
                    parts.append((cur, seg_end))
                    cur = k + 1
        titles = []
        for a, b in parts:
            seg = text[a:b]
            word = self._title_word_at(text, b)
            if word is None:
                return None
            if any(w in seg[:-len(word)] for w in ("的", "和", "与", "在", "对", "把", "被", "是")):
                return None
            titles.append(self._clean_title(seg))
        return ([t for t in titles if t], e) if titles else None

    # ------------------------------------------------------------------ the finder
    def find(self, text: str, model_spans: Iterable[tuple[int, int, str]] = ()) -> list[Holder]:
        model = [(s, e) for s, e, lab in model_spans if lab == "PERSON" and e > s]
        model_starts: dict[int, int] = {}
        model_ends: dict[int, int] = {}
        for s, e in model:
            model_starts[s] = max(model_starts.get(s, 0), e)
            model_ends.setdefault(e, s)
            model_ends[e] = min(model_ends[e], s)
        holders: list[Holder] = []

        # 1. titles before a name
        ends = self.titles.ends(text)
        gaz_people = [n for n in self._gaz_people if n in text]
        for t_end in ends:
            word = self._title_word_at(text, t_end)
            k = t_end - len(word)
            if k in model_ends or any(text.endswith(n, 0, k) for n in gaz_people):
                continue  # 习近平主席贺信: the title is the name's before it
            if any(text[t_end - L:t_end + 1] in self.common for L in range(2, len(word) + 1)):
                continue  # 成员国, 主席团, 总统府: the title word is part of a longer word
            if any(text.startswith(t2, j) and j + len(t2) > t_end
                   for j in range(k, t_end) for t2 in self._titles_by_first.get(text[j], ())):
                continue  # 总工|程师: a longer title runs on
            p = t_end
            if p < len(text) and text[p] == "”":
                p += 1  # “乡村教师”张某
            elif text.startswith("的", p) and self._after_office_word(text, t_end):
                p += 1  # 时任某派出所所长的刘某
            e = self.name_at(text, p, model_starts)
            if e is None:
                continue
            limit = max((h.end for h in holders if h.end <= t_end), default=0)
            titles = self.title_chain(text, t_end, limit)
            if not titles:
                continue
            holders.append(Holder(p, e, titles, "title"))
            # a list of names after one title: 中央军委委员李某、刘某、苗某
            while e < len(text) and text[e] == "、":
                e2 = self._list_name_at(text, e + 1, model_starts)
                if e2 is None:
                    break
                holders.append(Holder(e + 1, e2, list(titles), "title"))
                e = e2

        # one name throughout the document: 普京互致 -> 普京 when 普京 is named elsewhere
        names = {text[h.start:h.end] for h in holders}
        for h in holders:
            n = text[h.start:h.end]
            if len(n) == 3 and n[:2] in names and _is_cjk(n[0]):
                h.end -= 1
        known = {text[h.start:h.end] for h in holders}
        known |= {text[s:e] for s, e in model if self._valid_name(text, s, e)}
        known |= set(gaz_people)
        index = NameIndex(known)

        # 2. a title right after the name (习近平主席)
        for w in self.o.titles_after:
            for k in _find_all(text, w):
                e = k + len(w)
                if e < len(text) and text[e] in self.o.after_blockers:
                    continue
                if text[k:e + 1] in self.common or text[k:e + 2] in self.common:
                    continue
                if self.titles.starting_at(text, k, len(w) + 1) is not None or \
                        self._title_word_at(text, e) != w:
                    continue  # part of a longer title (主任医师, 副主席)
                if any(h.start == e for h in holders):
                    continue  # 应国家主席习近平邀请: the title is the next name's
                s = self._name_ending_at(text, k, index, model_ends)
                if s is None:
                    continue
                holders.append(Holder(s, k, [w], "after"))

        known |= {text[h.start:h.end] for h in holders}
        index = NameIndex(known)
        self._sure = NameIndex({text[h.start:h.end] for h in holders} | set(gaz_people))
        # 3. verbs of office
        holders += self._verbs(text, index, model_ends, model_starts, {h.start for h in holders})
        # 4. apposition: 张某，某公司总经理，
        holders += self._appositions(text, index)
        return sorted(holders, key=lambda h: (h.start, h.end))

    def _after_office_word(self, text: str, t_end: int) -> bool:
        """时任/现任/曾任 … 所长的 (a title phrase opened by a word of office)."""
        s = self._segment_start(text, t_end, 0)
        seg = text[s:t_end]
        return any(seg.startswith(f) or f in seg for f in ("时任", "现任", "曾任", "原任", "前任", "历任"))

    def _verbs(self, text: str, known: NameIndex, model_ends: dict[int, int],
               model_starts: dict[int, int], titled_starts: set[int] = frozenset()) -> list[Holder]:
        out: list[Holder] = []
        o = self.o
        for v in o.verbs:
            for k in _find_all(text, v):
                if v == "任":
                    if k > 0 and text[k - 1] in o.ren_before and not self._adverb_before(text, k):
                        continue
                    if text[k + 1:k + 2] in o.ren_after:
                        continue
                if any(len(w) > len(v) and w.endswith(v) and text.endswith(w, 0, k + len(v)) for w in o.verbs):
                    continue  # 任 inside 担任
                ph = self._title_phrase(text, k + len(v))
                if ph is None:
                    continue
                titles, ph_end = ph
                phrase = text[k + len(v):ph_end]
                if self._sure.inside(phrase, 2) or \
                        any(w in phrase for w in o.verbs if len(w) >= 2):
                    continue  # 现任局长米某担任总理: a name inside is no position
                # the holder: a name right before the verb (after adverbs), else the sentence's subject
                j = k
                for a in o.adverbs:
                    if text.endswith(a, 0, j):
                        j -= len(a)
                        break
                s = self._name_ending_at(text, j, known, model_ends)
                if s is not None and not self._holder_position(text, s, titled_starts):
                    s = None  # 击败博某当选总统: the object of another verb holds nothing
                if s is not None:
                    out.append(Holder(s, j, titles, "verb"))
                    continue
                # 任命米某为总理: the appointed person is the holder, not the subject
                subj = self._appointee(text, k, known, model_ends, model_starts)
                if subj is None:
                    subj = self._subject(text, k, known)
                if subj is not None:
                    out.append(Holder(subj[0], subj[1], titles, "verb"))
        # 任命X为Y / 提名X为Y
        for v in o.appoint:
            for k in _find_all(text, v):
                p = k + len(v)
                e = next((p + L for L in range(min(16, len(text) - p), 1, -1)
                          if text.startswith("为", p + L) and text[p:p + L] in known), None)
                if e is None:
                    e = self.ex._name_at(text, p, need_follower=False)
                    if e is None or not text.startswith("为", e) or not self._valid_name(text, p, e):
                        continue
                ph = self._title_phrase(text, e + 1)
                if ph is not None:
                    out.append(Holder(p, e, ph[0], "verb"))
        # 李某以代理主教练的身份
        for k in _find_all(text, "以"):
            j = text.find("的身份", k + 1, k + 30)
            if j == -1:
                continue
            s = self._name_ending_at(text, k, known, model_ends)
            word = self._title_word_at(text, j)
            if s is None or word is None:
                continue
            seg = self._clean_title(text[k + 1:j])
            if seg and not any(c in _CLAUSE_END for c in seg):
                out.append(Holder(s, k, [seg], "verb"))
        return out

    def _holder_position(self, text: str, s: int, titled_starts: set[int]) -> bool:
        """Whether a name at ``s`` can be the subject of a verb of office after it: it opens a
        clause, follows a title (局长米某担任…) or is the object of an appointing verb (提名米某担任…)."""
        prev = text[s - 1] if s > 0 else "\n"
        if not _is_cjk(prev) or s in titled_starts:
            return True
        return any(text.endswith(v, 0, s) for v in self.o.appoint) or text.endswith("由", 0, s)

    def _adverb_before(self, text: str, k: int) -> bool:
        return any(text.endswith(a, 0, k) for a in self.o.adverbs if len(a) >= 2 or a in ("曾", "现", "历"))

    def _appointee(self, text, k, known, model_ends, model_starts) -> tuple[int, int] | None:
        """提名X担任Y: the person right before the verb is found by _name_ending_at; nothing here."""
        return None

    def _subject(self, text: str, k: int, known: NameIndex) -> tuple[int, int] | None:
        """The person a sentence starts with (after an optional time phrase and comma)."""
        s = k
        while s > 0 and text[s - 1] not in _SENTENCE_END:
            s -= 1
        while s < k and text[s] in " \u3000“\"（(":
            s += 1
        head = text[s:k]
        # an optional leading phrase up to the first comma (1976年，刘某…)
        starts = [s]
        c = head.find("，")
        if 0 < c <= 12 and re.search(r"[年月日后前间]$", head[:c]):
            starts.append(s + c + 1)
        c = head.find("）")
        if 0 < c <= 30:  # after a dateline or byline: 据新华社电（记者某某）刘某，
            starts.append(s + c + 1)
        for st in starts:
            best = known.longest_at(text, st)
            if best is None:
                e = self.ex._name_at(text, st) or self._cn_name_loose(text, st)
                if e is not None and self._valid_name(text, st, e):
                    best = e - st
            if best is not None and st + best <= k:
                nxt = text[st + best] if st + best < len(text) else "\n"
                if nxt not in "的之等和与、及同":
                    return st, st + best
        return None

    def _appositions(self, text: str, known: NameIndex) -> list[Holder]:
        """张某，某公司总经理，… / 张某（某公司总经理）: a name opening a clause, then its title."""
        out = []
        for k in _clause_starts(text):
            length = known.longest_at(text, k, 2)
            e = None if length is None else k + length
            if e is None:
                e = self.ex._name_at(text, k)
                if e is not None and not self._valid_name(text, k, e):
                    e = None
            if e is None or e >= len(text) or text[e] not in "，（(":
                continue
            close = "）" if text[e] == "（" else (")" if text[e] == "(" else None)
            p = e + 1
            q = p
            while q < len(text) and q - p <= 30 and text[q] not in _CLAUSE_END and text[q] not in "）)":
                q += 1
            if q == p or q - p > 30 or q >= len(text):
                continue
            if (close and text[q] != close) or (not close and text[q] not in "，,"):
                continue
            ph = self._title_phrase(text, p)
            if ph is None or ph[1] != q:
                continue
            out.append(Holder(k, e, ph[0], "apposition"))
        return out


_OPENERS = re.compile("[" + re.escape("".join(sorted(_CLAUSE_END)) + "“（(：:") + "]")


def _clause_starts(text: str) -> list[int]:
    """The positions of ``text`` that open a clause: the start, and after a clause end, an
    opening quote or parenthesis or a colon."""
    return ([0] if text else []) + [k for k in (m.end() for m in _OPENERS.finditer(text)) if k < len(text)]


def _find_all(text: str, w: str) -> list[int]:
    out = []
    k = text.find(w)
    while k != -1:
        out.append(k)
        k = text.find(w, k + 1)
    return out


def merge_titles(titles: list[str]) -> list[str]:
    """Distinct positions in their fullest written form, in order of first mention."""
    out: list[str] = []
    for t in titles:
        if not t or any(t in u for u in out):
            continue
        inside = [i for i, u in enumerate(out) if u in t]
        if inside:
            out[inside[0]] = t
            out = [u for i, u in enumerate(out) if i not in inside[1:]]
        else:
            out.append(t)
    return out


class OfficialRecords:
    """Part of :class:`~pipeline.entities.stage.EntityStage`: one :class:`Official` per person
    from the holders found, the chosen PERSON spans and the bylines (uses ``res``, ``ex``)."""

    def _officials(self, doc: Document, text: str, chosen: list[Cand], titled: list[tuple[int, int, int]],
                   reporter_spans, byline_roles) -> list[Official]:
        persons = {(c.start, c.end) for c in chosen if c.label == "PERSON"}
        by_person: dict[str, Official] = {}
        order: list[str] = []

        def add(name_s: int, name_e: int, titles: list[str]) -> None:
            person = nospace(text[name_s:name_e])
            o = by_person.get(person)
            if o is None:
                o = Official(doc_id=doc.doc_id, source=doc.source, person=person, start=name_s, end=name_e)
                by_person[person] = o
                order.append(person)
            for t in titles:
                if t and t not in o.titles:
                    o.titles.append(t)
                    o.orgs.append(self.title_org(t))

        for s, e, _ in reporter_spans:
            role = None
            for rs, re_, rt in byline_roles:
                if rs < s:
                    role = rt
            add(s, e, [role] if role else [])

        # the other entities by start: those a name overlaps start less than the longest one's
        # length before it
        taken = sorted((c.start, c.end) for c in chosen if c.label != "PERSON")
        starts = [s for s, _ in taken]
        longest = max((e - s for s, e in taken), default=0)
        for h in titled:
            near = taken[bisect.bisect_left(starts, h.start - longest):bisect.bisect_left(starts, h.end)]
            # the name is a chosen PERSON, or at least no other entity claims its characters
            if (h.start, h.end) not in persons and any(s < h.end and h.start < e for s, e in near):
                continue
            add(h.start, h.end, h.titles)
        out = []
        for p in order:
            o = by_person[p]
            merged = merge_titles(o.titles)
            if merged != o.titles:
                o.titles = merged
                o.orgs = [self.title_org(t) for t in merged]
            if o.titles:
                out.append(o)
        return out

    def title_chain(self, text: str, t_end: int) -> list[str]:
        """Titles written before position ``t_end`` (where a name starts), as written
        (:meth:`OfficialFinder.title_chain`)."""
        return self.ex.official_finder().title_chain(text, t_end)

    def title_org(self, title: str) -> str | None:
        """The organisation part of a title (省委宣传部副部长 -> 省委宣传部), None if there is none."""
        titles = self.ex.official_finder().titles  # the longest title word ending the title
        t = title
        for _ in range(3):
            word = titles.ending_at(t, len(t))
            if word is None:
                break
            t = t[: -len(word)]
            t = re.sub(r"(?:[一二三四五六七八九十]级|常务|副|正|总|首席|高级|资深)+$", "", t)
        t = t.strip("，、 ")
        return t or None


__all__ = ["Holder", "OfficialFinder", "OfficialRecords", "merge_titles", "official_rules"]
