"""The rule engine (Extractor): gazetteer matches, suffix organisations, addresses, names, enumerations."""
from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Iterable

from ..segmenters import jieba_dictionary, shared_jieba, word_tags
from .chars import is_cjk
from .gazetteers import RESOURCES, GazEntry, Resources, common_words
from .merge import Cand

_RANK = {"province": 0, "city": 1, "county": 2, "zone": 2, "town": 3, "other": -1}


@lru_cache(maxsize=1)
def not_in_org_names() -> dict[str, str]:
    """Words never inside an organisation name, with their jieba tag (``build_not_in_org_names.py``)."""
    with open(RESOURCES / "not_in_org_names.txt", encoding="utf-8") as fh:
        return dict(line.rstrip("\n").split("\t") for line in fh if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def function_words(min_freq: int = 1000) -> frozenset[str]:
    """Frequent two-character adverbs, conjunctions, prepositions, pronouns and particles of
    jieba's dictionary (``至少``, ``如此``, ``我们``; not the rarer 立新 that jieba tags d): never
    the given name of a person."""
    return frozenset(word for word, freq, tag in jieba_dictionary()
                     if len(word) == 2 and freq >= min_freq and tag in ("d", "c", "p", "r", "u"))


@lru_cache(maxsize=1)
def longer_words(min_freq: int = 20) -> frozenset[str]:
    """Words of three to six characters of jieba's dictionary with frequency >= ``min_freq``."""
    return frozenset(word for word, freq, _ in jieba_dictionary() if 3 <= len(word) <= 6 and freq >= min_freq)


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[str, ...]:
    """The words of ``text`` by :func:`shared_jieba` (HMM off), kept for texts cut again (half of them)."""
    return tuple(shared_jieba().cut(text, HMM=False))


class _WordOrder:
    """A list of words, looked up by position: the words of it that end (or start) at a position
    of a text, and the first of them in list order, with one dictionary lookup per word length
    instead of a scan of the list."""

    def __init__(self, words: list[str]):
        self.rank: dict[str, int] = {}
        for k, w in enumerate(words):
            self.rank.setdefault(w, k)
        self.lengths = sorted({len(w) for w in self.rank if w})

    def ending_at(self, text: str, j: int, lo: int, longer_than: int = 0) -> list[str]:
        return [w for n in self.lengths if n > longer_than and j - n >= lo
                for w in (text[j - n:j],) if w in self.rank]

    def starting_at(self, text: str, i: int, longer_than: int = 0) -> list[str]:
        return [w for n in self.lengths if n > longer_than and i + n <= len(text)
                for w in (text[i:i + n],) if w in self.rank]

    def first_ending_at(self, text: str, j: int, lo: int) -> str | None:
        """The first word of the list that ends at ``j`` and starts at ``lo`` or after."""
        return min(self.ending_at(text, j, lo), key=self.rank.__getitem__, default=None)


class Extractor:
    """Rule engine over one text (stateless between texts)."""

    def __init__(self, res: Resources):
        self.r = res
        self._suffix_by_first: dict[str, list[str]] = defaultdict(list)
        for s in sorted(res.suffixes, key=len, reverse=True):
            self._suffix_by_first[s[0]].append(s)
        # where a suffix may start: a character class of the suffixes' first characters
        self._suffix_firsts = re.compile("[" + re.escape("".join(sorted(self._suffix_by_first))) + "]") \
            if self._suffix_by_first else None
        self._title_set = set(res.titles)
        self._title_lengths = sorted({len(t) for t in self._title_set})
        # boundary words by the first position they have in their list (the first listed wins), and
        # their lengths: a lookup per length instead of a scan of the list per character
        self._boundaries = _WordOrder(res.boundary_words)
        self._near_boundaries = _WordOrder([*res.boundary_chars, *res.determiners])  # right before a suffix
        self._prefix_blockers = _WordOrder(res.suffix_prefix_blockers)
        self._blockers = _WordOrder(res.suffix_blockers)
        self._title_max = max((len(t) for t in res.titles), default=1)
        # first two characters -> the lengths of gazetteer names starting with them, longest first
        lens: dict[str, set[int]] = defaultdict(set)
        for name in res.gaz:
            if 2 <= len(name) <= res.gaz_max and (is_cjk(name[0]) or name[0].isalpha()):
                lens[name[:2]].add(len(name))
        self._gaz_lens = {c: sorted(ls, reverse=True) for c, ls in lens.items()}

    # ------------------------------------------------------------------ gazetteer
    def gazetteer(self, text: str) -> list[Cand]:
        r = self.r
        out = []
        n = len(text)
        i = 0
        gaz_lens = self._gaz_lens
        while i < n:
            lengths = gaz_lens.get(text[i:i + 2])
            if lengths is None:
                i += 1
                continue
            for L in lengths:
                if L > n - i:
                    continue
                e = r.gaz.get(text[i:i + L])
                if e is not None:
                    if not self._splits_word(text, i, i + L, e):
                        out.append(Cand(i, i + L, e.label, e.method, 4, e))
                    break
            i += 1
        return out

    def _splits_word(self, text: str, s: int, e: int, entry: GazEntry) -> bool:
        """A place inside a longer word (:meth:`_inside_longer_word`); a two-character
        organisation name whose first character ends a word with the one before it (其中|兴业,
        媲美|的) or whose last character starts one with the next (公安部|门), or that ends in a
        particle and runs on into more words (很美的风景: 美的 stands alone, as in 美的、格力, or
        before an organisation suffix, as in 美的集团)."""
        if entry.label == "PLACE":
            return self._inside_longer_word(text, s, e)
        if e - s != 2:
            return False
        cw = common_words()
        if text[e - 1] in "的地得了着过" and e < len(text) and is_cjk(text[e]) \
                and not any(text.startswith(suf, e) for suf in self._suffix_by_first.get(text[e], ())):
            return True
        return (s > 0 and text[s - 1:s + 1] in cw) or (e < len(text) and text[e - 1:e + 1] in cw)

    @staticmethod
    def _inside_longer_word(text: str, s: int, e: int) -> bool:
        """``text[s:e]`` lies inside a longer word of jieba's dictionary that starts before it
        (中国 in 发展中国家, 昆仑山 in 喀喇昆仑山): part of another word."""
        words = longer_words()
        return any(text[a:b] in words for a in range(max(0, s - 3), s) for b in range(e, min(len(text), a + 6) + 1))

    # ------------------------------------------------------------------ organisations
    def _boundary_left(self, text: str, i: int, lo: int) -> int:
        """Leftmost start of an organisation name ending at ``i`` (its suffix start):
        walk left over CJK characters, stop at punctuation/digits and boundary words."""
        r = self.r
        j = i
        while j > lo and is_cjk(text[j - 1]):
            if text[j - 1] in "年月日" and j >= 2 and text[j - 2].isdigit():
                return j
            # boundary word ending at j? one-character boundaries and determiners anywhere; longer
            # ones not right before the suffix (城乡建设局)
            hit = (self._boundaries if j <= i - 2 else self._near_boundaries).first_ending_at(text, j, lo)
            if hit is not None and not self._inside_word(text, j - len(hit), j):
                return j
            j -= 1
        return j

    _VERB_TAGS = ("v", "vd")
    _ADVERB_TAGS = ("d", "ad")
    _PHRASE_TAGS = ("l", "i")  # set phrases and idioms: 生态环境 (…生态环境局) stays, 签|署 does not
    # bodies named after their task take a verb phrase (…推进…工作领导小组, …学习贯彻…宣讲团)
    _TASK_SUFFIXES = ("领导小组", "小组", "工作组", "专班", "指挥部", "宣讲团", "委员会", "办公室")

    @staticmethod
    def _crosses_clause(text: str, s: int, i: int, e: int) -> bool:
        """The organisation ``text[s:e]`` (suffix at ``i``), cut into words, holds before its
        suffix a word never seen inside an organisation name (``早日``, ``一些``, ``通知``:
        see ``not_in_org_names.txt``) or one that takes the suffix's first character
        (``签|署``): a clause, not a name.  Verbs are allowed in task bodies
        (:attr:`_TASK_SUFFIXES`), set phrases everywhere."""
        words = not_in_org_names()
        task = text.endswith(Extractor._TASK_SUFFIXES, s, e)
        k = s
        for w in _words(text[s:e]):
            tag = words.get(w)
            if tag is not None and k < i:
                if k + len(w) > i:
                    return True
                if not (tag in Extractor._PHRASE_TAGS or (task and tag in Extractor._VERB_TAGS)):
                    return True
                # a set phrase led by an adverb is a clause (认真贯彻, 切实加强; not 生态环境)
                if tag in Extractor._PHRASE_TAGS and words.get(w[:2]) in Extractor._ADVERB_TAGS:
                    return True
            k += len(w)
        return False

    def _after_verb(self, text: str, s: int, i: int, e: int, anchors: list[tuple[int, int]]) -> int:
        """Where the name ``text[s:e]`` (suffix at ``i``) starts when its head holds a verb with
        an anchor after it: at that anchor (国家卫健委调派|北京医院, 示威者冲击|美国驻伊使馆); task
        bodies take verbs (:attr:`_TASK_SUFFIXES`)."""
        if text.endswith(self._TASK_SUFFIXES, s, e):
            return s
        tags = word_tags()
        k, after = s, None
        for w in _words(text[s:i]):
            if len(w) == 2 and tags.get(w) in ("v", "vn") and k > s:
                after = k + len(w)
            k += len(w)
        if after is None:
            return s
        return next((a for a, _ in anchors if a >= after), s)

    _CLASS_SUFFIXES = ("公司", "企业", "基地")

    def _country_and_class(self, text: str, s: int, i: int, suf: str, gaz_at: dict[int, Cand]) -> bool:
        """A country right before a class word (中国公司, 美国企业: GUIDELINES ``德国企业``): a
        place and a common noun, no name."""
        c = gaz_at.get(s)
        return suf in self._CLASS_SUFFIXES and c is not None and c.end == i and c.label == "PLACE" \
            and isinstance(c.info, GazEntry) and not c.info.divisions

    @staticmethod
    def _suffix_split(text: str, s: int, i: int, e: int) -> bool:
        """The suffix ``text[i:e]`` is cut by the words around it: one that starts before it
        ends inside it (南京|大学|校门: ``南京大学`` + ``校``), or one that starts inside it runs on
        past it (公益回|报社|会: ``社会``), or a one-character suffix starts a longer word (空间|局促).
        No suffix here."""
        k = s
        for w in _words(text[s:e + 3]):
            if k < i < k + len(w) < e or i < k < e < k + len(w) or (e - i == 1 and k == i and k + len(w) > e):
                return True
            k += len(w)
            if k > e:
                break
        return False

    @staticmethod
    def _starts_inside_word(text: str, s: int) -> bool:
        """``text[s]`` ends a word with the characters before it (``林区|神州…林业部``)."""
        if s == 0 or not is_cjk(text[s - 1]):
            return False
        lo = max(0, s - 3)
        k = lo
        for w in _words(text[lo:s + 3]):
            if k < s < k + len(w):
                return True
            k += len(w)
        return False

    _COUNT = re.compile(r"[0-9０-９一二三四五六七八九十百千万两几多]+(?:大|个|家|所|名|项|座)")

    _NUMERALS = "0123456789０１２３４５６７８９一二三四五六七八九十百千万两几多"

    def _counts(self, text: str, s: int, i: int) -> bool:
        """A number with a classifier in the head (``西安十大城市党委宣传部``), or a head that
        starts with the classifier of a number before it (``15个科局``, ``18所基层党校``): a
        count of bodies, not one name."""
        if s > 0 and text[s - 1] in self._NUMERALS and self._COUNT.match(text, s - 1) is not None:
            return True
        return self._COUNT.search(text, s, i) is not None

    def _holds_title(self, text: str, s: int, i: int) -> bool:
        """A title inside the head ``text[s:i]`` with more than a character after it: a person's
        post in a clause (``中宣部常务副部长郑必坚代表中宣部``, ``…出版社社长兼…有限公司``), not a
        name (``县长办公室``: the title right before the suffix, stays)."""
        return any(text[k:k + n] in self._title_set
                   for k in range(s, i - 2) for n in range(2, min(self._title_max, i - 2 - k) + 1))

    def _inside_word(self, text: str, s: int, e: int) -> bool:
        for w in self.r.inside_words:
            lo = max(0, e - len(w))
            k = text.find(w, lo, s + len(w))
            while k != -1 and k <= s:
                if k <= s and k + len(w) >= e:
                    return True
                k = text.find(w, k + 1, s + len(w))
        return False

    def _anchors(self, text: str, lo: int, hi: int, gaz_at: dict[int, Cand]) -> list[tuple[int, int]]:
        """(start, end) of anchors inside [lo, hi)."""
        r = self.r
        out = []
        for p in range(lo, hi):
            c = gaz_at.get(p)
            if c is not None and c.label in ("PLACE", "GOV", "ORG", "COMPANY") \
                    and not (c.info and c.info.weak):
                out.append((p, c.end))
                continue
            hit = False
            for w in r.anchor_words:
                if text.startswith(w, p) and p + len(w) <= hi:
                    out.append((p, p + len(w)))
                    hit = True
                    break
            if hit:
                continue
            ch = text[p]
            if ch in r.level_anchors and (p == 0 or text[p - 1] not in r.level_anchor_blockers) \
                    and not any(text.startswith(g, p) for g in r.generic_levels):
                out.append((p, p + 1))
        return out

    def _is_blocked(self, text: str, i: int, suffix: str) -> bool:
        """A word that ends at the suffix and is longer than it (举办 before 办), or one that starts
        at it and is longer (部队 at 部); blockers that extend the suffix by characters before it
        are not used."""
        e, n = i + len(suffix), len(suffix)
        return any(w.endswith(suffix) for w in self._prefix_blockers.ending_at(text, e, 0, longer_than=n)) \
            or any(w.startswith(suffix) for w in self._blockers.starting_at(text, i, longer_than=n))

    def _ends_with_title(self, text: str, end: int, suffix: str) -> bool:
        """A title longer than the suffix ends at ``end`` (…书记处 is no organisation)."""
        return any(text[end - k:end] in self._title_set
                   for k in range(len(suffix) + 1, min(self._title_max, end) + 1))

    def organisations(self, text: str, gaz: list[Cand]) -> list[Cand]:
        r = self.r
        gaz_at: dict[int, Cand] = {}
        for c in gaz:
            if c.start not in gaz_at or c.length > gaz_at[c.start].length:
                gaz_at[c.start] = c
        # all suffix occurrences (start, end, suffix)
        occ: list[tuple[int, int, str]] = []
        for m in self._suffix_firsts.finditer(text) if self._suffix_firsts is not None else ():
            i = m.start()
            for s in self._suffix_by_first[text[i]]:
                if text.startswith(s, i) and not self._is_blocked(text, i, s):
                    occ.append((i, i + len(s), s))
        suffix_ends = {e for _, e, _ in occ}
        found: list[Cand] = []
        ends: dict[int, int] = {}  # end -> start of organisations found so far
        for i, e, suf in occ:
            if self._ends_with_title(text, e, suf):
                continue
            lo = max(0, e - r.max_org_chars)
            left = self._boundary_left(text, i, lo)
            anchors = [a for a in self._anchors(text, left, i + 1, gaz_at) if a[0] < i]
            start = None
            if anchors:
                # an anchor right after another organisation's suffix starts a new name
                # (市南区综合行政执法大队|金门路街道中队), except for branches
                cut = [a for a in anchors if a[0] in suffix_ends and a[0] > anchors[0][0]]
                if cut and suf not in r.branch_suffixes:
                    start = cut[-1][0]
                else:
                    start = anchors[0][0]
                if suf in r.branch_suffixes and start in ends:
                    start = ends[start]
                start = self._after_verb(text, start, i, e, anchors)
            else:
                head = text[left:i]
                prev = text[left - 1] if left > 0 else "\n"
                bare_ok = (suf not in r.needs_anchor or text[i - min(len(head), 4):e] in r.bare_heads
                           or any(text.endswith(b, 0, e) and e - len(b) >= left for b in r.bare_heads))
                after_boundary = (prev in "，。、；：！？,;:!?“‘\n 「『" or (not is_cjk(prev) and prev not in "）)")
                                  or bool(self._boundaries.ending_at(text, left, 0)))
                if bare_ok and 2 <= len(head) <= 4 and after_boundary and head not in r.not_entities:
                    start = left
                elif bare_ok and len(head) >= 2:
                    # a bare head such as 宣传部 inside a longer run
                    for b in sorted(r.bare_heads, key=len, reverse=True):
                        if text.endswith(b, 0, e) and e - len(b) >= left:
                            if e - len(b) == left or text[e - len(b) - 1] in "，。、；：“\n":
                                start = e - len(b)
                            break
            # the checks that cut words last (they take the most time)
            if start is None or e - start <= len(suf) or self._counts(text, start, i) \
                    or self._country_and_class(text, start, i, suf, gaz_at) or self._holds_title(text, start, i) \
                    or self._suffix_split(text, start, i, e) or self._crosses_clause(text, start, i, e) \
                    or self._starts_inside_word(text, start):
                continue
            label = r.suffixes[suf]
            found.append(Cand(start, e, label, "regex:org_suffix", 5))
            ends.setdefault(e, start)
            ends[e] = min(ends[e], start)
        return found

    # ------------------------------------------------------------------ places
    _ZONE = re.compile(r"(?:经济技术开发区|高新技术产业开发区|综合保税区|经济区|开发区|高新区|经开区|保税区|保税港区|"
                       r"自贸区|自贸片区|自由贸易试验区|示范区|试验区|新区|产业园区|工业园区|产业园|工业园)")
    # a village, with a hamlet (屯) of it written after it (富强村唐家岗子屯)
    _VILLAGE = re.compile(r"[\u4e00-\u9fff]{2,3}?(?:村|社区)(?:[\u4e00-\u9fff]{2,4}?屯)?")
    # a road's name holds no conjunction or particle (…开发区 + 政府和街|道: no road)
    _ROAD = re.compile(r"(?:(?![和与及或的了是在对])[\u4e00-\u9fff]){1,5}?(?:大道|大街|路|街|巷|胡同)(?:\d+号(?:院|楼)?)?"
                       r"(?:[\u4e00-\u9fff]{2,6}(?:小区|花园|大厦|广场|公寓|家园|苑|园区|社区))?")

    def addresses(self, text: str, gaz: list[Cand]) -> list[Cand]:
        """Runs of divisions written together, extended by zones, villages, roads."""
        r = self.r
        places = sorted((c for c in gaz if c.label == "PLACE"), key=lambda c: (c.start, -c.length))
        at: dict[int, Cand] = {}
        for c in places:
            at.setdefault(c.start, c)
        out = []
        used_until = -1
        for c in places:
            if c.start < used_until:
                continue
            end = c.end
            parts = [c]
            while end in at:
                nxt = at[end]
                # some reading of the two is a larger division before a smaller one (河南 is a
                # province and a county: 河南 + 洛阳)
                if max(_RANK.get(lv, 9) for lv in self._levels(nxt)) <= \
                        min(_RANK.get(lv, 9) for lv in self._levels(parts[-1])):
                    break
                parts.append(nxt)
                end = nxt.end
            last = parts[-1]
            levels = [self._level(p) for p in parts]
            ext = end
            m = self._ZONE.match(text, ext)
            if m and m.end() > ext and levels[-1] in ("province", "city", "county"):
                ext = m.end()
            else:
                # zone names with their own head after the place (青岛董家口经济区)
                m2 = re.compile(r"[\u4e00-\u9fff]{2,4}?" + self._ZONE.pattern).match(text, ext)
                if m2 and levels[-1] in ("city", "county") and not any(
                        text.startswith(s, ext) for s in r.suffixes):
                    ext = m2.end()
            if ext == end and levels[-1] in ("county", "town") and len(parts) >= 1:
                m = self._VILLAGE.match(text, ext) if levels[-1] == "town" else None
                if m:
                    ext = m.end()
                else:
                    m = self._ROAD.match(text, ext)
                    if m and (m.group().find("号") > 0 or len(parts) >= 1) and levels[-1] in ("county", "town"):
                        # only when something after the road makes it an address, or a district precedes
                        ext = m.end()
            if ext > c.end and len(parts) + (ext > end) >= 2:
                out.append(Cand(c.start, ext, "PLACE", "regex:address", 5))
                used_until = ext
        # zone names without a place in front (董家口经济区)
        place_ends = {p.end for p in places}
        for m in self._ZONE.finditer(text):
            s = m.start()
            if s in place_ends:  # a place in front is its head (苏州 + 自贸片区: the run above)
                continue
            head_lo = s
            while head_lo > 0 and s - head_lo < 4 and is_cjk(text[head_lo - 1]):
                head_lo -= 1
            if s - head_lo < 2:
                continue
            chosen = None
            for k in range(head_lo, s - 1):
                # a head that starts right after a boundary word / punctuation / place
                if k == 0 or not is_cjk(text[k - 1]) or self._boundaries.ending_at(text, k, 0) \
                        or k in place_ends:
                    chosen = k
                    break
            if chosen is None:
                chosen = max(head_lo, s - 3)
                if self._starts_inside_word(text, chosen):  # 水|稻种植示范区: no head found
                    continue
            head = text[chosen:s]
            if any(ch in "的了是在和与" for ch in head) or head in r.not_entities:
                continue
            out.append(Cand(chosen, m.end(), "PLACE", "regex:address", 5))
        return out

    def _levels(self, c: Cand) -> set[str]:
        """Every level a place may have (a short name may stand for divisions of several)."""
        e = c.info
        if not isinstance(e, GazEntry) or not e.divisions:
            return {self._level(c)}
        return {self.r.divisions[i].level for i in e.divisions}

    def _level(self, c: Cand) -> str:
        e = c.info
        if not isinstance(e, GazEntry) or not e.divisions:
            return "zone" if e is not None and e.parent else "other"
        return min((self.r.divisions[i].level for i in e.divisions),
                   key=lambda lv: ["town", "county", "city", "province"].index(lv))

    # ------------------------------------------------------------------ people
    def _name_at(self, text: str, p: int, need_follower: bool = True) -> int | None:
        """End of a person name starting at ``p`` (surname + 1-2 characters), or None."""
        e = self._name_at_raw(text, p, need_follower)
        if e is not None and text[p:e] in common_words():
            return None
        return e

    def _name_at_raw(self, text: str, p: int, need_follower: bool = True) -> int | None:
        r = self.r
        if p >= len(text):
            return None
        sl = 2 if text[p:p + 2] in r.compound_surnames else (1 if text[p] in r.surnames else 0)
        if not sl:
            return None
        for glen in (2, 1):
            e = p + sl + glen
            if e > len(text) or not all(is_cjk(ch) for ch in text[p + sl:e]):
                continue
            given = text[p + sl:e]
            if any(ch in r.name_followers or ch in r.given_name_stop for ch in given):
                continue
            nxt = text[e] if e < len(text) else "\n"
            if not need_follower or nxt in r.name_followers or not is_cjk(nxt):
                return e
        return None

    def titled_people(self, text: str, model_spans: Iterable[tuple[int, int, str]] = ()) -> list:
        """People given a position (:class:`pipeline.entities.officials.Holder`: name span + titles as written);
        iterating a holder gives ``(titles, name_start, name_end)``."""
        return self.official_finder().find(text, model_spans)

    def official_finder(self):
        from .officials import OfficialFinder

        finder = getattr(self, "_official_finder", None)
        if finder is None:
            finder = self._official_finder = OfficialFinder(self)
        return finder

    def cued_people(self, text: str) -> list[tuple[int, int]]:
        """Names before a speech verb (``张三说``), unless the verb's first character makes a word
        with the character before it (``全套小说``, ``南段又称``; a verb of any frequency: ``诉称``)."""
        r = self.r
        cw = common_words()
        tags = word_tags()
        out = []
        for cue in r.person_cues_after:
            k = text.find(cue)
            while k != -1:
                if k > 0 and (text[k - 1:k + 1] in cw or tags.get(text[k - 1:k + 1], "").startswith("v")):
                    k = text.find(cue, k + 1)
                    continue
                for L in (3, 2, 4):
                    s = k - L
                    if s < 0:
                        continue
                    prev = text[s - 1] if s > 0 else "\n"
                    if is_cjk(prev) and not self._title_ends_at(text, s):
                        continue
                    e = self._name_at(text, s, need_follower=False)
                    if e == k and not self._cue_name_is_words(text, s, e):
                        out.append((s, e))
                        break
                k = text.find(cue, k + 1)
        return out

    def _title_ends_at(self, text: str, end: int) -> bool:
        """Whether a title ends at ``end`` (one set lookup per title length)."""
        return any(text[end - n:end] in self._title_set for n in self._title_lengths if n <= end)

    _FORMS_OF_ADDRESS = ("先生", "女士", "小姐", "夫人", "太太", "同志", "老师", "师傅", "律师", "医生", "记者",
                         # kinship terms: a surname with one is no name (GUIDELINES: 钟伯伯)
                         "爸爸", "妈妈", "爷爷", "奶奶", "姥姥", "姥爷", "外婆", "外公", "叔叔", "阿姨", "伯伯",
                         "伯母", "婶婶", "舅舅", "舅妈", "姑姑", "姑妈", "姨妈", "哥哥", "姐姐", "弟弟", "妹妹",
                         "大爷", "大娘", "大妈", "大婶", "大哥", "大姐", "老汉", "老伯")

    def _cue_name_is_words(self, text: str, s: int, e: int) -> bool:
        """A "name" before a speech verb that is words: its first two characters are a word
        (``母亲只说``, ``信息中称``), a two-character name is a word of jieba's dictionary (``巫医称``),
        it and the verb lie inside one word (``谈天说地``), its given name is a function word
        (``那至少说明``) or a word after a "surname" that is a preposition (``向民众介绍``), or a
        surname with a form of address, post or kinship term (``施先生说``, ``向记者表示``,
        ``总统和夫人表示``, ``由姨妈介绍``)."""
        cw = common_words()
        return text[s:s + 2] in cw or (e - s == 2 and text[s:e] in word_tags()) \
            or (e - s == 3 and (text[s + 1:e] in function_words()
                                or (text[s] in self.r.boundary_chars and text[s + 1:e] in cw))) \
            or any(text[a:b] in cw for a in range(s, e) for b in range(e + 1, min(len(text), a + 4) + 1)) \
            or text[s + 1:e] in self._FORMS_OF_ADDRESS or text[e - 2:e] in self._FORMS_OF_ADDRESS

    # ------------------------------------------------------------------ enumerations
    _ENUM = re.compile(r"((?:[\u4e00-\u9fffA-Za-z]{2,8}、)*[\u4e00-\u9fffA-Za-z]{2,8})等"
                       r"[\u4e00-\u9fff\d余多家个]{0,10}?(?:企业|公司|厂商|品牌|集团)")
    _GENERIC = ("企业", "产业", "行业", "领域", "技术", "公司", "机构", "部门", "单位", "项目", "产品", "服务")

    def enumerations(self, text: str) -> list[Cand]:
        out = []
        for m in self._ENUM.finditer(text):
            items = []
            pos = m.start(1)
            for part in m.group(1).split("、"):
                items.append((pos, pos + len(part)))
                pos += len(part) + 1
            # the first item may run into the words before it: cut it to a known name at
            # its end, else (in a list) to the length of the shortest other item
            s0, e0 = items[0]
            prev = text[s0 - 1] if s0 > 0 else "\n"
            known = next((L for L in range(e0 - s0, 1, -1) if text[e0 - L:e0] in self.r.gaz), None)
            if known:
                items[0] = (e0 - known, e0)
            elif len(items) > 1:
                if e0 - s0 > max(e - s for s, e in items[1:]) or is_cjk(prev):
                    ref = min(e - s for s, e in items[1:])
                    items[0] = (e0 - ref, e0) if e0 - s0 > ref else items[0]
            elif is_cjk(prev) or e0 - s0 > 4:
                items = []
            for s, e in items:
                t = text[s:e]
                if any(g in t for g in self._GENERIC) or t in self.r.not_entities:
                    continue
                out.append(Cand(s, e, "COMPANY", "rule:enumeration", 3))
        return out
