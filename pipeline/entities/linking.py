"""Names found again in the same document: companies' short forms and repeats of rule names."""
from __future__ import annotations

import re
from typing import Iterator

from .chars import nospace
from .merge import Cand

# an alias given right after a name: （简称“X”）, （以下简称X）
_ALIAS = re.compile(r"[（(]\s*(?:以下)?(?:简称|下称)\s*[：:]?\s*[“\"「]?([^”\"」）)，,、\s]{2,12})[”\"」]?\s*[）)]")


def occurrences(text: str, names) -> dict[str, list[int]]:
    """Every start of each name (two characters or more) in ``text``, overlapping ones too, found
    by one scan of the text per first character, names by their first two characters: searching
    the text once per name takes time that grows with the text's length times the number of
    names it holds."""
    by_head: dict[str, list[str]] = {}
    for name in names:
        by_head.setdefault(name[:2], []).append(name)
    out: dict[str, list[int]] = {name: [] for name in names}
    # the names with one first character take their starts in order from one str.find scan
    for ch in {h[0] for h in by_head if h}:
        for i in char_positions(text, ch, len(text) - 1):
            for name in by_head.get(text[i:i + 2], ()):
                if text.startswith(name, i):
                    out[name].append(i)
    return out


def char_positions(text: str, ch: str, end: int) -> Iterator[int]:
    """The positions of the character ``ch`` in ``text`` before ``end``, in order (found by
    str.find instead of a look at every position)."""
    end = max(0, end)
    k = text.find(ch, 0, end)
    while k != -1:
        yield k
        k = text.find(ch, k + 1, end)


class Linking:
    """Part of :class:`~pipeline.entities.stage.EntityStage`: ``link:short_name`` (tier 3) and
    ``propagate`` (tier 2) candidates from the spans resolved so far (uses ``res``)."""

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
        # a place written right before the short name belongs to it (青岛顺威)
        place_ending = {c.end: c.start for c in chosen if c.label == "PLACE" and c.method.startswith("gazetteer")}
        found = occurrences(text, forms)
        for sh, full in forms.items():
            for k in found[sh]:
                out.append(Cand(place_ending.get(k, k), k + len(sh), "COMPANY", "link:short_name", 3, full))
        return out, forms

    def _propagate(self, text: str, chosen: list[Cand]) -> list[Cand]:
        seen: dict[str, Cand] = {}
        for c in chosen:
            if c.method in ("gazetteer:divisions", "propagate") or c.label == "PLACE":
                continue
            t = text[c.start:c.end]
            if len(nospace(t)) >= 2 and t == nospace(t):
                seen.setdefault(t, c)
        found = occurrences(text, seen)
        return [Cand(k, k + len(t), c.label, "propagate", 2, c.info) for t, c in seen.items() for k in found[t]]
