"""Names found again in the same document: companies' short forms and repeats of rule names."""
from __future__ import annotations

import re

from .chars import nospace
from .merge import Cand

# an alias given right after a name: （简称“X”）, （以下简称X）
_ALIAS = re.compile(r"[（(]\s*(?:以下)?(?:简称|下称)\s*[：:]?\s*[“\"「]?([^”\"」）)，,、\s]{2,12})[”\"」]?\s*[）)]")


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
