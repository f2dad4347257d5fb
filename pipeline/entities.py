"""Entity stage: organisations, government bodies, places and people, plus officials.

Finds COMPANY / GOV / ORG / PLACE / PERSON spans in ``Analysis.doc.text`` with
rules and gazetteers kept in editable data files under
``pipeline/resources/entities/`` and merges them with a statistical NER backend
(``pipeline.registry`` ``ner_backends``: spacy, lac, jieba, none, or a plugin).

Sources and precedence
----------------------
Every candidate span carries a *tier*:

====  =====================================  ===========================================
tier  method                                 what
====  =====================================  ===========================================
 6    ``byline``                             reporters and outlets of a byline
 5    ``regex:org_suffix``                   organisation names ending in a suffix
      ``regex:address``                      runs of divisions + zone/road/house number
      ``rule:title``                         a person name after a title (部长程守田)
 4    ``gazetteer:divisions``                NBS administrative divisions
      ``gazetteer:known``                    well-known names (countries, media, firms)
      ``gazetteer:user``                     user dictionaries (``gazetteers:``)
      ``pattern:user``                       user regex patterns (``patterns:``)
 3    ``rule:enumeration``                   items of "A、B等…企业" lists
      ``link:short_name``                    short forms of a company named in the doc
      ``rule:person_cue``                    a name before 说/表示/介绍 …
 2    ``propagate``                          repeats of a name found by a rule
 1    ``model:<backend>``                    the statistical backend
====  =====================================  ===========================================

Rule candidates (tiers 2-6) are resolved together: the **longest span wins**,
ties go to the higher tier, and nothing nests (a place inside an organisation
name is part of that name).  Byline spans are always kept.  Model spans are
added only where they do not overlap a rule span; a model organisation span may
swallow gazetteer PLACE spans when it ends in a known organisation suffix that is
not the start of a longer word (not ``…管理办`` of ``管理办法``).
Finally the guideline exclusions drop ``青``, deictic words (``我市``, ``全市``,
``本报``, ``全国`` ...) and generic references (``链主企业``).

Canonical names
---------------
``canonical`` is the mention without white space (``王 凯`` -> ``王凯``), a
company's full name for its short forms in the same document (``顺威股份`` ->
``广东顺威精密塑料股份有限公司``, ``海信`` -> ``海信集团``), and the full
division name for a division's short form (``青岛`` -> ``青岛市``).

Places
------
``province``/``city``/``county``/``adcode`` come from the divisions table.  A
place is parsed into division components (``胶州市洋河镇油坊村`` -> 胶州市,
洋河镇); same-named divisions are chosen by consistency with the other
components and with the divisions the document mentions (市南区 in a Qingdao
article -> 山东省/青岛市/市南区, 370202).  ``adcode`` is the code of the
smallest coded division that contains the place: 6 digits for
province/city/county (370000, 370200, 370202), 9 digits for towns/streets.
Zones without an NBS code (西海岸新区, 高新区, 董家口经济区) get the containing
division: the parent listed in ``known_names.tsv``, a division written in
front of them (青岛董家口经济区), or -- for a bare zone name -- the city the
document is about when it mentions one city clearly more than any other.
Foreign places have no division fields.  For the four municipalities ``city``
equals ``province``.

Officials
---------
A name directly after a chain of titles (``市委常委、西海岸新区工委书记、区委
书记孙永红``) gets one :class:`Official` with each title as written (the
organisation words in front of the title word included) and ``orgs`` parsed
from each title (None where the title has no organisation).  Reporters in
bylines get their byline role (``青岛日报/观海新闻记者``).  Honours
(``“最美劳动者”``) are not titles.  The patterns (titles before and after a
name, foreign names after a title, verbs of office such as ``任``/``担任``,
appositions) are in :mod:`pipeline.officials`; one record per person, each
position in its fullest written form.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Iterable

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import registry
from .records import Document, Entity, Official, entity_key
from .stage import Analysis, ExistingPath, RunContext

RESOURCES = Path(__file__).resolve().parent / "resources" / "entities"
LABELS = ("COMPANY", "GOV", "ORG", "PLACE", "PERSON")
ORG_LABELS = ("COMPANY", "GOV", "ORG")

_CJK = re.compile(r"[\u3400-\u9fff]")
_WS = re.compile(r"\s+")
_PUNCT = set("，。、；：！？,.;:!?（）()《》〈〉“”‘’\"'「」『』【】[]—–-…·/／|\n\r\t □■◇◆#*")


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def nospace(s: str | None) -> str:
    return _WS.sub("", s or "")


# =========================================================================== resources

@dataclass
class Division:
    name: str
    short: str
    level: str  # province | city | county | town
    code: str
    parent: str
    parent_name: str


@dataclass
class GazEntry:
    label: str
    method: str
    weak: bool = False  # short form of a county/town: needs the parent in the document
    divisions: tuple[int, ...] = ()  # indices into Resources.divisions
    parent: str = ""  # known places: containing division name


@dataclass
class Resources:
    """Rules and gazetteers, loaded once per stage."""

    suffixes: dict[str, str] = field(default_factory=dict)  # suffix -> label
    needs_anchor: set[str] = field(default_factory=set)
    bare_heads: set[str] = field(default_factory=set)
    branch_suffixes: set[str] = field(default_factory=set)
    suffix_blockers: list[str] = field(default_factory=list)
    suffix_prefix_blockers: list[str] = field(default_factory=list)
    level_anchors: set[str] = field(default_factory=set)
    level_anchor_blockers: set[str] = field(default_factory=set)
    anchor_words: set[str] = field(default_factory=set)
    boundary_words: list[str] = field(default_factory=list)
    boundary_chars: list[str] = field(default_factory=list)
    inside_words: list[str] = field(default_factory=list)
    max_org_chars: int = 30
    titles: list[str] = field(default_factory=list)
    person_cues_after: list[str] = field(default_factory=list)
    name_followers: set[str] = field(default_factory=set)
    title_cut_words: list[str] = field(default_factory=list)
    given_name_stop: set[str] = field(default_factory=set)
    honours: list[str] = field(default_factory=list)
    not_entities: set[str] = field(default_factory=set)
    short_form_blacklist: set[str] = field(default_factory=set)
    one_char_abbrev: str = ""
    surnames: set[str] = field(default_factory=set)
    compound_surnames: set[str] = field(default_factory=set)
    gaz: dict[str, GazEntry] = field(default_factory=dict)
    gaz_max: int = 2
    divisions: list[Division] = field(default_factory=list)
    div_by_code: dict[str, int] = field(default_factory=dict)
    div_by_name: dict[str, list[int]] = field(default_factory=dict)  # full and short names
    user_patterns: list[tuple[re.Pattern, str]] = field(default_factory=list)

    @property
    def max_suffix(self) -> int:
        return max((len(s) for s in self.suffixes), default=1)


def _read_tsv(path: Path) -> Iterable[list[str]]:
    header = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None and cols[0] == "name":
                header = cols
                continue
            yield cols


def load_resources(extra_gazetteers: Iterable[Path] = (), extra_patterns: Iterable[Path] = (),
                   rules_path: Path | None = None) -> Resources:
    """Read ``rules.yaml``, ``surnames.txt``, ``known_names.tsv`` and ``divisions.tsv``
    (plus user gazetteers: ``name<TAB>LABEL`` lines, and user pattern files:
    ``LABEL<TAB>regex`` lines)."""
    rules = yaml.safe_load((rules_path or RESOURCES / "rules.yaml").read_text(encoding="utf-8"))
    r = Resources()
    for label, sufs in rules["org_suffixes"].items():
        for s in sufs:
            r.suffixes.setdefault(s, label)
    r.needs_anchor = set(rules.get("needs_anchor", []))
    r.bare_heads = set(rules.get("bare_heads", []))
    r.branch_suffixes = set(rules.get("branch_suffixes", []))
    r.suffix_blockers = list(rules.get("suffix_blockers", []))
    r.suffix_prefix_blockers = list(rules.get("suffix_prefix_blockers", []))
    r.level_anchors = set(rules.get("level_anchors", []))
    r.level_anchor_blockers = set(rules.get("level_anchor_blockers", []))
    r.anchor_words = set(rules.get("anchor_words", []))
    r.boundary_words = sorted(rules.get("boundary_words", []), key=len, reverse=True)
    r.boundary_chars = [b for b in r.boundary_words if len(b) == 1]
    r.inside_words = list(rules.get("inside_words", []))
    r.max_org_chars = int(rules.get("max_org_chars", 30))
    r.titles = sorted(set(rules.get("titles", [])), key=len, reverse=True)
    r.person_cues_after = sorted(rules.get("person_cues_after", []), key=len, reverse=True)
    r.name_followers = set(rules.get("name_followers", ""))
    r.title_cut_words = list(rules.get("title_cut_words", []))
    r.given_name_stop = set(rules.get("given_name_stop", ""))
    r.honours = list(rules.get("honours", []))
    r.not_entities = set(rules.get("not_entities", []))
    r.short_form_blacklist = set(rules.get("short_form_blacklist", []))
    r.one_char_abbrev = str(rules.get("one_char_abbrev", ""))
    for line in (RESOURCES / "surnames.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            (r.compound_surnames if len(line) == 2 else r.surnames).add(line)

    # divisions gazetteer
    for cols in _read_tsv(RESOURCES / "divisions.tsv"):
        cols += [""] * (6 - len(cols))
        d = Division(*cols[:6])
        idx = len(r.divisions)
        r.divisions.append(d)
        if d.code:
            r.div_by_code[d.code] = idx
        r.div_by_name.setdefault(d.name, []).append(idx)
        if d.short and d.short not in r.short_form_blacklist and d.short not in r.not_entities:
            r.div_by_name.setdefault(d.short, []).append(idx)
    for name, idxs in r.div_by_name.items():
        if name in r.not_entities or len(name) < 2:
            continue
        full = [i for i in idxs if r.divisions[i].name == name]
        shorts = [i for i in idxs if r.divisions[i].name != name]
        # short forms of county/town divisions are weak unless a province/city has that short form
        weak = not full and all(r.divisions[i].level in ("county", "town") for i in shorts)
        r.gaz[name] = GazEntry("PLACE", "gazetteer:divisions", weak=weak, divisions=tuple(idxs))
    # well-known names override divisions with the same string (e.g. 崂山 is also a mountain)
    for cols in _read_tsv(RESOURCES / "known_names.tsv"):
        name, label = cols[0], cols[1]
        parent = cols[2] if len(cols) > 2 else ""
        prev = r.gaz.get(name)
        divs = prev.divisions if prev else ()
        r.gaz[name] = GazEntry(label, "gazetteer:known", divisions=divs if label == "PLACE" else (), parent=parent)
    for path in extra_gazetteers:
        for cols in _read_tsv(Path(path)):
            if len(cols) >= 2 and cols[1] in LABELS and cols[0]:
                r.gaz[cols[0]] = GazEntry(cols[1], "gazetteer:user", parent=cols[2] if len(cols) > 2 else "")
    for path in extra_patterns:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            label, _, pattern = line.partition("\t")
            if label.strip() in LABELS and pattern:
                r.user_patterns.append((re.compile(pattern), label.strip()))
    r.gaz_max = min(max((len(k) for k in r.gaz), default=2), 20)
    return r


@lru_cache(maxsize=1)
def common_words(min_freq: int = 20) -> frozenset[str]:
    """Frequent 2-4 character common words of jieba's dictionary (应该, 城市, 商定; proper-noun
    tags excluded except very frequent "nr" entries such as 荣誉): never taken for a person name
    by a rule, and model spans equal to one are dropped.  Empty when jieba is not installed."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("jieba")
        if spec is None or not spec.submodule_search_locations:
            return frozenset()
        path = Path(list(spec.submodule_search_locations)[0]) / "dict.txt"
        out = set()
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ")
                freq = int(parts[1]) if len(parts) >= 2 else 0
                tag = parts[2].strip() if len(parts) >= 3 else ""
                proper = tag in ("nr", "ns", "nt", "nz", "nrt", "nrfg")
                if 2 <= len(parts[0]) <= 4 and freq >= min_freq and (not proper or (tag == "nr" and freq >= 1000)):
                    out.add(parts[0])
        return frozenset(out)
    except (OSError, ValueError):  # pragma: no cover - broken install
        return frozenset()


@lru_cache(maxsize=1)
def default_resources() -> Resources:
    return load_resources()


# =========================================================================== candidates

@dataclass
class Cand:
    start: int
    end: int
    label: str
    method: str
    tier: int
    info: Any = None  # GazEntry for gazetteer spans, full name for linked short names

    @property
    def length(self) -> int:
        return self.end - self.start


class Extractor:
    """Rule engine over one text (stateless between texts)."""

    def __init__(self, res: Resources):
        self.r = res
        self._suffix_by_first: dict[str, list[str]] = defaultdict(list)
        for s in sorted(res.suffixes, key=len, reverse=True):
            self._suffix_by_first[s[0]].append(s)
        self._title_set = set(res.titles)
        self._title_max = max((len(t) for t in res.titles), default=1)
        # first character -> the lengths of gazetteer names starting with it, longest first
        lens: dict[str, set[int]] = defaultdict(set)
        for name in res.gaz:
            if 2 <= len(name) <= res.gaz_max and (is_cjk(name[0]) or name[0].isalpha()):
                lens[name[0]].add(len(name))
        self._gaz_lens = {c: sorted(ls, reverse=True) for c, ls in lens.items()}

    # ------------------------------------------------------------------ gazetteer
    def gazetteer(self, text: str) -> list[Cand]:
        r = self.r
        out = []
        n = len(text)
        i = 0
        gaz_lens = self._gaz_lens
        while i < n:
            lengths = gaz_lens.get(text[i])
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
        """A two-character organisation name whose first character ends a word with the one
        before it (其中|兴业, 媲美|的) or whose last character starts one with the next (公安部|门)."""
        if e - s != 2 or entry.label == "PLACE":
            return False
        cw = common_words()
        return (s > 0 and text[s - 1:s + 1] in cw) or (e < len(text) and text[e - 1:e + 1] in cw)

    # ------------------------------------------------------------------ organisations
    def _boundary_left(self, text: str, i: int, lo: int) -> int:
        """Leftmost start of an organisation name ending at ``i`` (its suffix start):
        walk left over CJK characters, stop at punctuation/digits and boundary words."""
        r = self.r
        j = i
        while j > lo and is_cjk(text[j - 1]):
            if text[j - 1] in "年月日" and j >= 2 and text[j - 2].isdigit():
                return j
            # boundary word ending at j?
            hit = None
            # one-character boundaries anywhere; longer ones not right before the suffix (城乡建设局)
            for b in (r.boundary_words if j <= i - 2 else r.boundary_chars):
                if j - len(b) >= lo and text.startswith(b, j - len(b)):
                    hit = b
                    break
            if hit is not None and not self._inside_word(text, j - len(hit), j):
                return j
            j -= 1
        return j

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
            if ch in r.level_anchors and (p == 0 or text[p - 1] not in r.level_anchor_blockers):
                out.append((p, p + 1))
        return out

    def _is_blocked(self, text: str, i: int, suffix: str) -> bool:
        e = i + len(suffix)
        for b in self.r.suffix_prefix_blockers:
            if len(b) > len(suffix) and b.endswith(suffix) and text.endswith(b, 0, e):
                return True
        for b in self.r.suffix_blockers:
            if len(b) > len(suffix) and text.startswith(b, i) and b.startswith(suffix):
                return True
            # blockers that extend the suffix by characters before it are not used
        return False

    def _ends_with_title(self, text: str, end: int, suffix: str) -> bool:
        for t in self.r.titles:
            if len(t) > len(suffix) and end - len(t) >= 0 and text.startswith(t, end - len(t)):
                return True
        return False

    def organisations(self, text: str, gaz: list[Cand]) -> list[Cand]:
        r = self.r
        gaz_at: dict[int, Cand] = {}
        for c in gaz:
            if c.start not in gaz_at or c.length > gaz_at[c.start].length:
                gaz_at[c.start] = c
        # all suffix occurrences (start, end, suffix)
        occ: list[tuple[int, int, str]] = []
        for i, ch in enumerate(text):
            for s in self._suffix_by_first.get(ch, ()):
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
            else:
                head = text[left:i]
                prev = text[left - 1] if left > 0 else "\n"
                bare_ok = (suf not in r.needs_anchor or text[i - min(len(head), 4):e] in r.bare_heads
                           or any(text.endswith(b, 0, e) and e - len(b) >= left for b in r.bare_heads))
                after_boundary = (prev in "，。、；：！？,;:!?“‘\n 「『" or (not is_cjk(prev) and prev not in "）)")
                                  or any(text.endswith(w, 0, left) for w in r.boundary_words))
                if bare_ok and 2 <= len(head) <= 4 and after_boundary:
                    start = left
                elif bare_ok and len(head) >= 2:
                    # a bare head such as 宣传部 inside a longer run
                    for b in sorted(r.bare_heads, key=len, reverse=True):
                        if text.endswith(b, 0, e) and e - len(b) >= left:
                            if e - len(b) == left or text[e - len(b) - 1] in "，。、；：“\n":
                                start = e - len(b)
                            break
            if start is None or e - start <= len(suf):
                continue
            label = r.suffixes[suf]
            found.append(Cand(start, e, label, "regex:org_suffix", 5))
            ends.setdefault(e, start)
            ends[e] = min(ends[e], start)
        return found

    # ------------------------------------------------------------------ places
    _ZONE = re.compile(r"(?:经济技术开发区|高新技术产业开发区|综合保税区|经济区|开发区|高新区|经开区|保税区|保税港区|"
                       r"自贸区|自由贸易试验区|示范区|试验区|新区|产业园区|工业园区|产业园|工业园)")
    _VILLAGE = re.compile(r"[\u4e00-\u9fff]{2,3}?(?:村|社区)")
    _ROAD = re.compile(r"[\u4e00-\u9fff]{1,5}?(?:大道|大街|路|街|巷|胡同)(?:\d+号(?:院|楼)?)?"
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
                if _RANK.get(self._level(nxt), 9) <= _RANK.get(self._level(parts[-1]), 9):
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
        for m in self._ZONE.finditer(text):
            s = m.start()
            head_lo = s
            while head_lo > 0 and s - head_lo < 4 and is_cjk(text[head_lo - 1]):
                head_lo -= 1
            if s - head_lo < 2:
                continue
            chosen = None
            for k in range(head_lo, s - 1):
                # a head that starts right after a boundary word / punctuation / place
                if k == 0 or not is_cjk(text[k - 1]) or any(text.endswith(b, 0, k) for b in r.boundary_words) \
                        or any(p.end == k for p in places):
                    chosen = k
                    break
            if chosen is None:
                chosen = max(head_lo, s - 3)
            head = text[chosen:s]
            if any(ch in "的了是在和与" for ch in head) or head in r.not_entities:
                continue
            out.append(Cand(chosen, m.end(), "PLACE", "regex:address", 5))
        return out

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
        """People given a position (``pipeline.officials.Holder``: name span + titles as written);
        iterating a holder gives ``(titles, name_start, name_end)``."""
        return self.official_finder().find(text, model_spans)

    def official_finder(self):
        from .officials import OfficialFinder

        finder = getattr(self, "_official_finder", None)
        if finder is None:
            finder = self._official_finder = OfficialFinder(self)
        return finder

    def _title_positions(self, text: str) -> list[int]:
        ends = []
        for t in self.r.titles:
            k = text.find(t)
            while k != -1:
                ends.append(k + len(t))
                k = text.find(t, k + 1)
        return sorted(set(ends))

    def cued_people(self, text: str) -> list[tuple[int, int]]:
        r = self.r
        out = []
        for cue in r.person_cues_after:
            k = text.find(cue)
            while k != -1:
                for L in (3, 2, 4):
                    s = k - L
                    if s < 0:
                        continue
                    prev = text[s - 1] if s > 0 else "\n"
                    if is_cjk(prev) and not any(text.endswith(t, 0, s) for t in r.titles):
                        continue
                    e = self._name_at(text, s, need_follower=False)
                    if e == k:
                        out.append((s, e))
                        break
                k = text.find(cue, k + 1)
        return out

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


# =========================================================================== merging

def _overlaps(a: Cand, b: Cand) -> bool:
    return a.start < b.end and b.start < a.end


# an alias given right after a name: （简称“X”）, （以下简称X）
_ALIAS = re.compile(r"[（(]\s*(?:以下)?(?:简称|下称)\s*[：:]?\s*[“\"「]?([^”\"」）)，,、\s]{2,12})[”\"」]?\s*[）)]")


def resolve(cands: list[Cand]) -> list[Cand]:
    """Longest span wins, ties by tier; no overlaps.  Byline spans always stay."""
    keep: list[Cand] = [c for c in cands if c.tier >= 6]
    rest = sorted((c for c in cands if c.tier < 6), key=lambda c: (-c.length, -c.tier, c.start))
    occupied = [False] * (max((c.end for c in cands), default=0) + 1)
    for c in keep:
        for k in range(c.start, c.end):
            occupied[k] = True
    for c in rest:
        if any(occupied[k] for k in range(c.start, c.end)):
            continue
        keep.append(c)
        for k in range(c.start, c.end):
            occupied[k] = True
    return sorted(keep, key=lambda c: c.start)


# =========================================================================== the stage

class EntityStage:
    """Rules + gazetteers + a statistical backend -> entities and officials."""

    name: ClassVar[str] = "entities"

    class Settings(BaseModel):
        """``entities:`` section of a config."""

        model_config = ConfigDict(extra="forbid")

        backend: str = "spacy"
        """Statistical NER backend (a ``ner_backends`` registry name: spacy, lac, jieba, none ...)."""
        backend_options: dict[str, Any] = Field(default_factory=dict)
        """Keyword arguments for the backend's constructor (e.g. ``model: path``)."""
        patterns: list[ExistingPath] = Field(default_factory=list)
        """User pattern files: ``LABEL<TAB>regex`` per line; matches are tier-4 rule spans."""
        gazetteers: list[ExistingPath] = Field(default_factory=list)
        """User dictionaries: ``name<TAB>LABEL[<TAB>parent division]`` per line."""
        officials: bool = True
        """Also extract officials (people with posts, byline reporters)."""
        link_short_names: bool = True
        """Find short forms of companies named in the document and set ``canonical`` to the full name."""
        normalise_places: bool = True
        """Fill province/city/county/adcode of PLACE entities from the divisions table."""
        propagate_names: bool = True
        """Tag repeats of a name found by a rule elsewhere in the same document."""
        suffix_organisations: bool = True
        """Organisation names found from a suffix (``…有限公司``, ``…局``, ``…协会``) back to an anchor."""
        gazetteers_builtin: bool = True
        """Spans from the built-in lists (NBS divisions, ``known_names.tsv``).  Off: the lists still
        anchor organisation names and address runs, but give no spans themselves (user
        ``gazetteers:`` still do)."""
        addresses: bool = True
        """Places written together and addresses (``湖北武汉``, ``胶州市洋河镇油坊村``, ``…路167号``), zones (``…经济区``)."""
        person_cues: bool = True
        """A person name before a speech verb (``张三说``, ``李四表示``)."""
        title_names: bool = True
        """A person name right after a title (``部长程守田``) is a PERSON span (officials are found either way)."""
        enumerations: bool = True
        """Items of ``A、B等…企业`` lists are companies."""
        model_span_filters: bool = True
        """Master switch of the filters on model spans below (False turns all of them off)."""
        model_surname_check: bool = True
        """Drop a model PERSON that is neither a Chinese name (known surname) nor a foreign or
        anonymised one (see :meth:`EntityStage._person_ok`)."""
        model_common_words: bool = False
        """Drop a model span that is a frequent common word of jieba's dictionary (not in a gazetteer).
        Off by default: it drops 美军, 红军, 大陆, 清迈, 民建, 十五大 (lower F1 on the dev set and
        all four public sets); ``not_entities`` in ``rules.yaml`` lists the generic words instead."""
        model_generic_heads: bool = True
        """Drop a model span ending in a generic head (``…企业``, ``…机构``, ``…平台``)."""
        use_model: bool = True
        """Merge the backend's spans (set False to keep the backend loaded but unused)."""
        context_region: str | None = None
        """A division name (e.g. ``青岛市``) used to choose among same-named divisions when the document itself does not say."""

        @field_validator("backend")
        @classmethod
        def _known_backend(cls, v: str) -> str:
            if v not in registry.names("ner_backends"):
                raise ValueError(f"unknown NER backend {v!r}; expected one of: {', '.join(registry.names('ner_backends'))}")
            return v

    def __init__(self, settings: "EntityStage.Settings | None" = None, context: RunContext | None = None):
        self.settings = settings or self.Settings()
        self.context = context or RunContext()
        s = self.settings
        self.res = (load_resources(s.gazetteers, s.patterns) if (s.gazetteers or s.patterns)
                    else default_resources())
        self.ex = Extractor(self.res)
        backend_cls = registry.get("ner_backends", s.backend)
        try:
            self.backend = backend_cls(**s.backend_options)
        except (FileNotFoundError, ImportError) as exc:
            raise RuntimeError(f"entities: cannot load NER backend {s.backend!r}: {exc} "
                               f"(use `backend: none` for rules and gazetteers only)") from exc
        self.backend_name = getattr(self.backend, "name", s.backend)

    # ------------------------------------------------------------------ public
    def process(self, items: list[Analysis]) -> list[Analysis]:
        texts = [a.doc.text for a in items]
        model_spans: list[list[tuple[int, int, str]]] = [[] for _ in items]
        if self.settings.use_model and self.settings.backend != "none":
            model_spans = self.backend.tag(texts)
        for a, spans in zip(items, model_spans):
            ents, offs = self.extract(a.doc, spans)
            a.entities.extend(ents)
            if self.settings.officials:
                a.officials.extend(offs)
            if a.tokens:
                a.tokens = merge_entity_tokens(a.tokens, a.entities, a.doc.text)
        return items

    # ------------------------------------------------------------------ one document
    def extract(self, doc: Document, model_spans: list[tuple[int, int, str]] = ()) -> tuple[list[Entity], list[Official]]:
        text = doc.text
        r, ex = self.res, self.ex
        cands: list[Cand] = []

        # bylines and datelines (found by the layout stage, else □ lines of a plain text)
        reporter_spans = list(getattr(doc, "reporter_spans", []) or [])
        byline_roles = list(getattr(doc, "byline_roles", []) or [])
        if not reporter_spans and not byline_roles:
            reporter_spans, byline_roles = _find_bylines(text)
        # roles in producing the text (执笔, 撰稿) are no titles: their names get none
        from .layout import NON_TITLE_ROLES
        byline_roles = [(s, e, "" if role in NON_TITLE_ROLES else role) for s, e, role in byline_roles]
        for s, e, _ in reporter_spans:
            cands.append(Cand(s, e, "PERSON", "byline", 6))
        for s, e, role in byline_roles:
            for os_, oe in _outlets(role):
                if oe - os_ >= 2:
                    cands.append(Cand(s + os_, s + oe, "ORG", "byline", 6))
        # the outlet (新华社) and places (本报华盛顿、开罗1月2日电) of a dateline; a place the
        # gazetteers know under another label (本报联合国…电: ORG) keeps that label
        for s, e, label in getattr(doc, "dateline_spans", []) or []:
            if e - s >= 2:
                cands.append(Cand(s, e, label, "dateline", 6 if label == "ORG" else 2))

        gaz = ex.gazetteer(text)
        context = self._context(gaz)
        gaz = [c for c in gaz if not (c.info.weak and not self._weak_ok(c.info, context))]
        st = self.settings
        cands += gaz if st.gazetteers_builtin else [c for c in gaz if c.method == "gazetteer:user"]
        if st.suffix_organisations:
            cands += ex.organisations(text, gaz)
        if st.addresses:
            cands += ex.addresses(text, gaz)
        titled = ex.titled_people(text, model_spans)
        if st.title_names:
            for _, s, e in titled:
                cands.append(Cand(s, e, "PERSON", "rule:title", 5))
        if st.person_cues:
            for s, e in ex.cued_people(text):
                cands.append(Cand(s, e, "PERSON", "rule:person_cue", 3))
            for s, e in self._anonymised(text):
                cands.append(Cand(s, e, "PERSON", "rule:person_cue", 3))
        if st.enumerations:
            cands += ex.enumerations(text)
        for pat, label in r.user_patterns:
            for m in pat.finditer(text):
                if m.end() > m.start():
                    cands.append(Cand(m.start(), m.end(), label, "pattern:user", 4))

        cands = [c for c in cands if self._acceptable(text, c)]
        chosen = resolve(cands)

        short_forms: dict[str, str] = {}
        if self.settings.link_short_names:
            links, short_forms = self._short_names(text, chosen)
            chosen = resolve(chosen + links)
        if self.settings.propagate_names:
            chosen = resolve(chosen + self._propagate(text, chosen))

        # model spans
        if model_spans:
            chosen = self._merge_model(text, chosen, model_spans)

        entities = self._to_entities(doc, chosen, context, short_forms)
        officials = self._officials(doc, text, chosen, titled, reporter_spans, byline_roles) \
            if self.settings.officials else []
        return entities, officials

    # ------------------------------------------------------------------ helpers
    def _acceptable(self, text: str, c: Cand) -> bool:
        t = nospace(text[c.start:c.end])
        # guideline exclusions: 青 (one character), deictic words and generic references
        return len(t) >= 2 and t not in self.res.not_entities and not self._abbreviations(t)

    def _anonymised(self, text: str) -> list[tuple[int, int]]:
        """Anonymised names: a surname + 某/某某 (王某, 韩某某, 欧阳某), not 某某公司/某人."""
        r = self.res
        out = []
        for m in re.finditer(r"(?<!某)某某?(?!某)", text):
            k, e = m.start(), m.end()
            if text[e:e + 1] and text[e] in "人些种地处事项件类家个位名":
                continue
            if k >= 2 and text[k - 2:k] in r.compound_surnames:
                out.append((k - 2, e))
            elif k >= 1 and (text[k - 1] in r.surnames or text[k - 1] in self._MODEL_SURNAMES):
                out.append((k - 1, e))
        return out

    def _abbreviations(self, t: str) -> bool:
        """Only one-character abbreviations (中缅, 美伊, 中美欧) or one + 方 (中方, 缅方): never an entity."""
        ab = self.res.one_char_abbrev
        if not ab or len(t) > 4:
            return False
        body = t[:-1] if t.endswith("方") else t
        return len(body) >= 1 and all(ch in ab for ch in body) and (len(body) >= 2 or t.endswith("方"))

    def _context(self, gaz: list[Cand]) -> Counter:
        """Division codes (and their ancestors) named by unambiguous full names in the text."""
        r = self.res
        ctx: Counter = Counter()
        for c in gaz:
            e = c.info
            if not isinstance(e, GazEntry) or not e.divisions or e.weak:
                continue
            cands = [i for i in e.divisions if r.divisions[i].level in ("province", "city", "county")]
            if len(cands) != 1:
                continue
            for code in self._ancestors(cands[0]):
                ctx[code] += 1
        if self.settings.context_region:
            for i in r.div_by_name.get(self.settings.context_region, [])[:1]:
                for code in self._ancestors(i):
                    ctx[code] += 1
        return ctx

    def _ancestors(self, idx: int) -> list[str]:
        r = self.res
        out = []
        d = r.divisions[idx]
        seen = 0
        while d is not None and seen < 6:
            if d.code:
                out.append(d.code)
            nxt = r.div_by_code.get(d.parent) if d.parent else None
            d = r.divisions[nxt] if nxt is not None else None
            seen += 1
        return out

    def _weak_ok(self, e: GazEntry, ctx: Counter) -> bool:
        r = self.res
        return any(r.divisions[i].parent in ctx for i in e.divisions)

    def _short_names(self, text: str, chosen: list[Cand]) -> tuple[list[Cand], dict[str, str]]:
        """Short forms of companies named in full in this document."""
        r = self.res
        out: list[Cand] = []
        forms: dict[str, str] = {}
        legal = re.compile(r"(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|集团|控股|公司)$")
        for c in chosen:
            if c.label != "COMPANY":
                continue
            full = nospace(text[c.start:c.end])
            # an alias the text gives (…集团（简称“融创华中”）) is a short form first of all; where it
            # starts before the name found, the name starts there too (融创 + 华中区域集团)
            alias = _ALIAS.match(text, c.end)
            if alias:
                sh = alias.group(1)
                for j in range(1, min(len(sh), 6)):
                    if text[c.start - j:c.start] == sh[:j] and full.startswith(sh[j:j + 2]):
                        out.append(Cand(c.start - j, c.end, "COMPANY", c.method, max(c.tier, 3)))
                        full = nospace(text[c.start - j:c.end])
                        break
                if sh != full and sh not in r.not_entities:
                    forms[sh] = full
            core = legal.sub("", full)
            if core == full:
                continue
            # strip leading places
            changed = True
            while changed:
                changed = False
                for L in range(min(len(core) - 2, 10), 1, -1):
                    if core[:L] in r.gaz and r.gaz[core[:L]].label == "PLACE":
                        core = core[L:]
                        changed = True
                        break
            if len(core) < 2:
                continue
            shorts = {core}
            for k in (2, 3):
                if len(core) > k:
                    shorts.add(core[:k])
            for sh in list(shorts):
                for tail in ("股份", "集团", "公司"):
                    shorts.add(sh + tail)
            for sh in shorts:
                if sh != full and sh not in r.not_entities and not (sh in r.gaz and r.gaz[sh].label != "COMPANY"):
                    forms.setdefault(sh, full)
        for sh, full in forms.items():
            k = text.find(sh)
            while k != -1:
                e = k + len(sh)
                s = k
                # a place written right before the short name belongs to it (青岛顺威)
                for c in chosen:
                    if c.end == k and c.label == "PLACE" and c.method.startswith("gazetteer"):
                        s = c.start
                out.append(Cand(s, e, "COMPANY", "link:short_name", 3, full))
                k = text.find(sh, k + 1)
        return out, forms

    def _propagate(self, text: str, chosen: list[Cand]) -> list[Cand]:
        seen: dict[str, Cand] = {}
        for c in chosen:
            if c.method in ("gazetteer:divisions", "propagate") or c.label == "PLACE":
                continue
            t = text[c.start:c.end]
            if len(nospace(t)) >= 2 and t == nospace(t):
                seen.setdefault(t, c)
        out = []
        for t, c in seen.items():
            k = text.find(t)
            while k != -1:
                out.append(Cand(k, k + len(t), c.label, "propagate", 2, c.info))
                k = text.find(t, k + 1)
        return out

    _GENERIC_HEADS = ("企业", "机构", "部门", "单位", "行业", "产业", "厂商", "平台")

    # characters of the standard transliteration of foreign names (卡梅伦, 格奥尔基耶娃, 蓬佩奥)
    _TRANSLIT = set("阿埃艾爱安昂奥澳巴拜班邦保鲍贝本比彼毕宾波伯博布查达大戴丹道德登迪蒂丁东杜敦多厄恩尔"
                    "法凡范菲费芬丰冯弗伏福盖甘冈高戈哥格根贡古瓜圭哈海汉豪赫黑亨洪胡华霍基吉加贾杰金卡凯坎"
                    "康考柯科克肯库夸奎拉莱赖兰朗劳勒雷蕾里理丽利莉廉良列林琳隆卢鲁路伦罗洛玛马迈麦曼芒梅门"
                    "蒙米密明莫姆穆纳娜奈南内妮尼涅宁纽努诺欧帕潘佩彭皮普齐奇恰乔切钦琼丘萨塞赛桑瑟森沙莎尚舍"
                    "什施斯松苏索塔泰坦汤唐特提图托瓦万旺威韦维温文沃乌伍武西希锡谢辛休雅亚延扬耶伊因尤于约"
                    "扎泽詹珍佐娃丝尤迦逊梭梵陀妥夫牟释肖芙茨霍")
    # surnames of the Hundred Family Surnames and other common ones: a model PERSON starting with
    # one is kept (surnames.txt, used by the name rules, stays short: 和/都/能 are words there)
    _MODEL_SURNAMES = set("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛"
                          "奚范彭郎鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康"
                          "伍余元卜顾孟平黄和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵"
                          "席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗"
                          "丁宣贲邓郁单杭洪包诸左石崔吉钮龚程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫"
                          "乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄"
                          "印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴郁胥能苍双闻莘党翟谭贡劳逄姬申扶堵冉宰郦雍璩桑桂濮"
                          "牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向古易慎戈廖庾终暨居衡步都耿满弘匡"
                          "国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾毋沙乜养鞠须丰巢关蒯相查"
                          "后荆红游竺权逯盖益桓公岳帅缑亢况佘佟商墨哈谯笪年阳回汝固顿覃蔺")
    _FAMILIAR = re.compile(r"^.(?:老汉|老伯|伯伯|大爷|大娘|大妈|大婶|阿姨|奶奶|爷爷|叔叔|婶婶|师傅|老师|总|工)$")

    def _person_ok(self, t: str) -> bool:
        """A model PERSON worth keeping: a Chinese name (known surname), an anonymised one
        (``王某``, ``韩某某``), a foreign one (written with ``·``/``-``/``—``, in Latin letters, or in
        transliteration characters), but not a surname with a kinship or familiar term (``严老汉``)."""
        r = self.res
        if self._FAMILIAR.match(t):
            return False
        if t[0] in r.surnames or t[:2] in r.compound_surnames or (t[0] in self._MODEL_SURNAMES and len(t) <= 4):
            return True
        if re.search(r"[·•．\-—‐]", t) or re.fullmatch(r"[A-Za-z][A-Za-z .'-]*", t):
            return True
        return len(t) >= 2 and sum(ch in self._TRANSLIT for ch in t) >= len(t) - (len(t) >= 4)

    # rule spans a longer model span containing them replaces (中国 in 中国共产党, 美国 in
    # 美国大使馆, 东亚研究中心 in 哈佛大学费正清东亚研究中心); addresses, titles and bylines stay
    _YIELDS_TO_MODEL = ("gazetteer:divisions", "gazetteer:known", "propagate", "link:short_name",
                        "rule:person_cue", "rule:enumeration", "regex:org_suffix")

    def _model_wins(self, text: str, m: Cand, t: str, clash: list[Cand]) -> bool:
        """A model span replaces the rule spans it overlaps when it contains them all, is longer
        than each, and each is a gazetteer hit, a suffix organisation or a weaker rule span; or
        (an organisation ending in a known suffix) when they are all gazetteer places."""
        r = self.res
        s, e = m.start, m.end
        if not all(c.start >= s and c.end <= e and c.length < m.length for c in clash):
            return False
        if any(ch in _PUNCT and ch not in "·-—" for ch in t):  # 市委党校（青岛行政学院: two names
            return False
        # never an organisation whose last character starts a word (…管理办 + 法: 办法 is no
        # organisation's end)
        if m.label in ORG_LABELS and text[e - 1:e + 1] in common_words():
            return False
        if all(c.method in self._YIELDS_TO_MODEL for c in clash):
            return True
        # a model organisation ending in a known suffix may swallow gazetteer places
        return (m.label in ORG_LABELS and any(t.endswith(suf) for suf in r.suffixes) and
                all(c.label == "PLACE" and c.method.startswith("gazetteer") for c in clash))

    def _merge_model(self, text: str, chosen: list[Cand], spans: list[tuple[int, int, str]]) -> list[Cand]:
        r = self.res
        out = list(chosen)
        method = f"model:{self.backend_name}"
        for s, e, label in sorted(spans, key=lambda x: (x[0], -(x[1] - x[0]))):
            if label not in LABELS or e <= s:
                continue
            t = nospace(text[s:e])
            if len(t) < 2 or t in r.not_entities or self._abbreviations(t):
                continue
            st = self.settings
            if st.model_span_filters:
                if st.model_generic_heads and t.endswith(self._GENERIC_HEADS):
                    continue
                if st.model_common_words and t in common_words() and t not in r.gaz:
                    continue
                if st.model_surname_check and label == "PERSON" and not self._person_ok(t):
                    continue
            m = Cand(s, e, label, method, 1)
            clash = [c for c in out if _overlaps(c, m)]
            if not clash:
                out.append(m)
                continue
            if self._model_wins(text, m, t, clash):
                out = [c for c in out if c not in clash] + [m]
        return sorted(out, key=lambda c: c.start)

    def _to_entities(self, doc: Document, chosen: list[Cand], ctx: Counter,
                     short_forms: dict[str, str] | None = None) -> list[Entity]:
        text = doc.text
        out = []
        for c in chosen:
            mention = text[c.start:c.end]
            ent = Entity(doc_id=doc.doc_id, source=doc.source, start=c.start, end=c.end, text=mention,
                         label=c.label, method=c.method,
                         entity_id=entity_id(doc.doc_id, c.start, c.end, c.label))
            canon = nospace(mention)
            if c.method == "link:short_name" and isinstance(c.info, str):
                canon = c.info
            elif c.method == "propagate" and isinstance(c.info, str):
                canon = c.info
            elif c.label == "COMPANY" and short_forms and canon in short_forms:
                canon = short_forms[canon]
            elif c.label == "PLACE" and isinstance(c.info, GazEntry) and c.info.divisions:
                idx = self._pick_division(c.info.divisions, ctx)
                if idx is not None and self.res.divisions[idx].short == canon:
                    canon = self.res.divisions[idx].name
            ent.canonical = canon
            if c.label == "PLACE" and self.settings.normalise_places:
                self._normalise_place(ent, canon, ctx)
            ent.entity_key = entity_key(ent.label, ent.canonical, ent.adcode)
            out.append(ent)
        return out

    # ------------------------------------------------------------------ places
    def _pick_division(self, idxs: Iterable[int], ctx: Counter, parent: int | None = None) -> int | None:
        r = self.res
        best, best_score = None, None
        for i in idxs:
            anc = self._ancestors(i)
            score = 0.0
            if parent is not None:
                pcode = r.divisions[parent].code
                score += 100 if pcode and pcode in anc[1:] else (-100 if pcode else 0)
            score += sum(min(ctx.get(a, 0), 50) for a in anc[1:])
            score += {"province": 3, "city": 2, "county": 1, "town": 0}[r.divisions[i].level] * 0.01
            if best_score is None or score > best_score:
                best, best_score = i, score
        return best

    def parse_place(self, name: str, ctx: Counter | None = None) -> list[int]:
        """Division indices for the components of a place name, left to right."""
        r = self.res
        ctx = ctx or Counter()
        comps: list[list[int]] = []
        i = 0
        while i < len(name):
            hit = None
            for L in range(min(len(name) - i, 20), 1, -1):
                idxs = r.div_by_name.get(name[i:i + L])
                if idxs:
                    hit = (L, idxs)
                    break
            if hit is None:
                break
            comps.append(hit[1])
            i += hit[0]
        chain: list[int] = []
        for idxs in comps:
            parent = chain[-1] if chain else None
            pick = self._pick_division(idxs, ctx, parent)
            if pick is None:
                break
            if parent is None and len({r.divisions[i].code for i in idxs}) > 1 and \
                    r.divisions[pick].level == "town" and not any(a in ctx for a in self._ancestors(pick)[1:]):
                break  # an ambiguous town name with no support in the document
            if parent is not None and r.divisions[parent].code and r.divisions[parent].code not in \
                    self._ancestors(pick)[1:]:
                break
            chain.append(pick)
        return chain

    def _normalise_place(self, ent: Entity, canon: str, ctx: Counter) -> None:
        r = self.res
        known = r.gaz.get(canon)
        if known is not None and known.method != "gazetteer:divisions" and not any(
                r.divisions[i].name == canon for i in known.divisions):
            chain = []  # a well-known place that is not a division (德国, 胶州湾, 西海岸新区)
        else:
            chain = self.parse_place(canon, ctx)
        idx = chain[-1] if chain else None
        if idx is None:
            parent = known.parent if known else ""
            if not parent:
                # a bare zone name (高新区, 董家口经济区): the city the document is about
                if not Extractor._ZONE.search(canon):
                    return
                parent = self._context_city(ctx)
                if not parent:
                    return
            chain = self.parse_place(parent, ctx)
            idx = chain[-1] if chain else None
            if idx is None:
                return
        d = r.divisions[idx]
        names = {}
        cur: Division | None = d
        hops = 0
        while cur is not None and hops < 6:
            names[cur.level] = cur.name
            k = r.div_by_code.get(cur.parent) if cur.parent else None
            if k is None and cur.parent_name and not cur.code:
                ks = r.div_by_name.get(cur.parent_name)
                k = ks[0] if ks else None
            cur = r.divisions[k] if k is not None else None
            hops += 1
        ent.province = names.get("province")
        ent.city = names.get("city") or (names.get("province") if names.get("province") in MUNICIPALITIES else None)
        ent.county = names.get("county")
        if d.code:
            ent.adcode = d.code.ljust(6, "0") if len(d.code) <= 6 else d.code

    def _context_city(self, ctx: Counter) -> str:
        r = self.res
        cities = [(n, code) for code, n in ctx.items() if len(code) == 4 and code in r.div_by_code]
        if not cities:
            return ""
        cities.sort(reverse=True)
        if len(cities) > 1 and cities[0][0] < 2 * cities[1][0]:
            return ""
        return r.divisions[r.div_by_code[cities[0][1]]].name

    # ------------------------------------------------------------------ officials
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
        from .officials import merge_titles

        taken = [(c.start, c.end) for c in chosen if c.label != "PERSON"]
        for h in titled:
            # the name is a chosen PERSON, or at least no other entity claims its characters
            if (h.start, h.end) not in persons and any(s < h.end and h.start < e for s, e in taken):
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
        (``pipeline.officials.OfficialFinder.title_chain``)."""
        return self.ex.official_finder().title_chain(text, t_end)

    def title_org(self, title: str) -> str | None:
        """The organisation part of a title (省委宣传部副部长 -> 省委宣传部), None if there is none."""
        r = self.res
        t = title
        for _ in range(3):
            word = next((w for w in r.titles if t.endswith(w) and len(w) < len(t) + 1), None)
            if word is None:
                break
            t = t[: -len(word)]
            t = re.sub(r"(?:[一二三四五六七八九十]级|常务|副|正|总|首席|高级|资深)+$", "", t)
        t = t.strip("，、 ")
        return t or None


_RANK = {"province": 0, "city": 1, "county": 2, "zone": 2, "town": 3, "other": -1}
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}


def entity_id(doc_id: str, start: int, end: int, label: str) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}:{label}".encode()).hexdigest()[:16]


_ROLE_WORDS = re.compile(r"(?:特约记者|见习记者|实习记者|通讯员|实习生|记者|编辑|摄影|报道)+$")


def _outlets(role: str) -> list[tuple[int, int]]:
    """Spans of the outlet names in a byline role (青岛日报/观海新闻记者)."""
    m = _ROLE_WORDS.search(role)
    body = role[: m.start()] if m else role
    out = []
    for mm in re.finditer(r"[^/／、\s]+", body):
        name = mm.group()
        # 本报驻巴黎记者: the outlet is 本报 (this paper: not an entity), 驻巴黎 its post
        name = name.split("驻", 1)[0] if "驻" in name[1:] else name
        if name in ("本报", "本刊", "本台", "本网", "本社", "综合"):
            continue
        out.append((mm.start(), mm.start() + len(name)))
    return out


def _find_bylines(text: str) -> tuple[list, list]:
    """Bylines in a plain text: lines starting with □■◇◆, else the datelines and credits
    of papers and agencies at its start and end (本报记者 X, （记者 X、Y）)."""
    from .layout import find_credits, parse_byline

    reps, roles = [], []
    pos = 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped[:1] in ("□", "■", "◇", "◆"):
            off = pos + len(line) - len(stripped)
            _, spans, role_spans = parse_byline(stripped)
            reps += [(off + s, off + e, n) for s, e, n in spans]
            roles += [(off + s, off + e, t) for s, e, t in role_spans]
        pos += len(line) + 1
    if not reps and not roles:
        credits = find_credits(text, 0)
        reps, roles = credits.reporter_spans, credits.role_spans
    return reps, roles


# =========================================================================== plain function

_STAGES: dict[tuple, EntityStage] = {}


def extract_entities(text: str, backend: str = "none", doc_id: str = "text", source: str = "",
                     **settings: Any) -> tuple[list[Entity], list[Official]]:
    """Entities and officials of a plain string (offsets index ``text``).

    ``extract_entities("省委宣传部副部长程守田出席。")`` -> ([Entity(...GOV 省委宣传部...),
    Entity(...PERSON 程守田...)], [Official(person="程守田", titles=["省委宣传部副部长"], ...)])
    """
    key = (backend, tuple(sorted((k, repr(v)) for k, v in settings.items())))
    stage = _STAGES.get(key)
    if stage is None:
        stage = _STAGES[key] = EntityStage(EntityStage.Settings(backend=backend, **settings), RunContext())
    doc = Document(doc_id=doc_id, source=source, text=text)
    spans = []
    if stage.settings.use_model and backend != "none":
        spans = stage.backend.tag([text])[0]
    return stage.extract(doc, spans)


__all__ = ["EntityStage", "extract_entities", "load_resources", "Resources", "entity_id", "Extractor", "resolve"]


def merge_entity_tokens(tokens: list, entities: list[Entity], text: str) -> list:
    """Keep recognised entity names as single tokens.

    Words are cut at entity boundaries and the pieces inside one name are joined, so
    ``海信集团`` or ``胶州市洋河镇油坊村`` is one token whatever the segmenter did
    (``油坊村村东`` -> ``…油坊村`` + ``村东``'s remainder ``东``)."""
    import bisect
    from dataclasses import replace

    spans = sorted((e.start, e.end) for e in entities)
    starts = [s for s, _ in spans]
    bounds = sorted({b for span in spans for b in span})

    def owner(pos: int) -> int | None:
        k = bisect.bisect_right(starts, pos) - 1
        return k if k >= 0 and pos < spans[k][1] else None

    out: list = []
    last_owner = None
    for tok in tokens:
        cuts = bounds[bisect.bisect_right(bounds, tok.start):bisect.bisect_left(bounds, tok.end)]
        points = [tok.start, *cuts, tok.end]
        for a, b in zip(points, points[1:]):
            k = owner(a)
            prev = out[-1] if out else None
            if k is not None and k == last_owner and prev is not None and prev.sentence_index == tok.sentence_index \
                    and prev.end == a:
                out[-1] = replace(prev, end=b, text=text[prev.start:b])
            else:
                out.append(replace(tok, start=a, end=b, text=text[a:b]))
            last_owner = k
    for n, tok in enumerate(out):
        tok.token_index = n
    return out
