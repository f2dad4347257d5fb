"""The word lists the rules read: rules.yaml, surnames, the divisions and known-names gazetteers, user files."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from ..segmenters import jieba_dictionary
from .chars import LABELS

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "entities"


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
    generic_levels: list[str] = field(default_factory=list)
    anchor_words: set[str] = field(default_factory=set)
    boundary_words: list[str] = field(default_factory=list)
    boundary_chars: list[str] = field(default_factory=list)
    determiners: list[str] = field(default_factory=list)
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


def _user_lines(path: Path) -> Iterable[tuple[int, str]]:
    """(line number, line) of a user file, without blank and ``#`` comment lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            yield n, line


def _label(path: Path, n: int, label: str) -> str:
    if label.strip() not in LABELS:
        raise ValueError(f"{path}:{n}: unknown label {label!r} (expected one of {', '.join(LABELS)})")
    return label.strip()


def read_user_gazetteer(path: Path) -> list[tuple[str, str, str]]:
    """``(name, label, parent)`` of a user gazetteer: ``name<TAB>LABEL[<TAB>parent]`` per line
    (an optional header line starting ``name<TAB>``).  A malformed line raises ValueError naming
    the file and line."""
    out = []
    for n, line in _user_lines(path):
        cols = line.split("\t")
        if not out and cols[0] == "name":
            continue
        if not 2 <= len(cols) <= 3 or not cols[0].strip():
            raise ValueError(f"{path}:{n}: expected NAME<TAB>LABEL[<TAB>PARENT], got {line!r}")
        out.append((cols[0].strip(), _label(path, n, cols[1]), cols[2].strip() if len(cols) > 2 else ""))
    return out


def read_user_patterns(path: Path) -> list[tuple[re.Pattern, str]]:
    """``(regex, label)`` of a user pattern file: ``LABEL<TAB>regex`` per line.  A malformed line
    or a regex that does not compile raises ValueError naming the file and line."""
    out = []
    for n, line in _user_lines(path):
        label, tab, pattern = line.partition("\t")
        if not tab or not pattern:
            raise ValueError(f"{path}:{n}: expected LABEL<TAB>REGEX, got {line!r}")
        label = _label(path, n, label)
        try:
            out.append((re.compile(pattern), label))
        except re.error as exc:
            raise ValueError(f"{path}:{n}: bad regex {pattern!r}: {exc}") from None
    return out


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
    r.generic_levels = list(rules.get("generic_levels", []))
    r.anchor_words = set(rules.get("anchor_words", []))
    r.boundary_words = sorted(rules.get("boundary_words", []), key=len, reverse=True)
    r.boundary_chars = [b for b in r.boundary_words if len(b) == 1]
    r.determiners = sorted(rules.get("determiners", []), key=len, reverse=True)
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
    aliases: dict[int, str] = {}  # 张家川回族自治县 -> 张家川县: an autonomous division as commonly written
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
        if d.short and d.name.endswith(("自治县", "自治旗", "自治州")) and not d.short.endswith(d.name[-1]):
            aliases[idx] = d.short + d.name[-1]
            r.div_by_name.setdefault(aliases[idx], []).append(idx)
    for name, idxs in r.div_by_name.items():
        if name in r.not_entities or len(name) < 2:
            continue
        full = [i for i in idxs if r.divisions[i].name == name or aliases.get(i) == name]
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
        for name, label, parent in read_user_gazetteer(Path(path)):
            r.gaz[name] = GazEntry(label, "gazetteer:user", parent=parent)
    for path in extra_patterns:
        r.user_patterns += read_user_patterns(Path(path))
    r.gaz_max = min(max((len(k) for k in r.gaz), default=2), 20)
    return r


@lru_cache(maxsize=1)
def common_words(min_freq: int = 20) -> frozenset[str]:
    """Frequent 2-4 character common words of jieba's dictionary (应该, 城市, 商定; proper-noun
    tags excluded except very frequent "nr" entries such as 荣誉): never taken for a person name
    by a rule, and model spans equal to one are dropped.  Empty when jieba is not installed."""
    try:
        out = set()
        for word, freq, tag in jieba_dictionary():
            proper = tag in ("nr", "ns", "nt", "nz", "nrt", "nrfg")
            if 2 <= len(word) <= 4 and freq >= min_freq and (not proper or (tag == "nr" and freq >= 1000)):
                out.add(word)
        return frozenset(out)
    except (OSError, ValueError):  # pragma: no cover - broken install
        return frozenset()


@lru_cache(maxsize=1)
def default_resources() -> Resources:
    return load_resources()
