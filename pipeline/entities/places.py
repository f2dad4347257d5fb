"""Places: the divisions a document mentions, same-named divisions, parse_place and the division fields.

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
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..records import Entity
from .gazetteers import Division, GazEntry
from .merge import Cand
from .rules import Extractor

MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}


class Places:
    """Part of :class:`~pipeline.entities.stage.EntityStage`: division context and place
    normalisation (uses ``res``, ``settings``)."""

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
