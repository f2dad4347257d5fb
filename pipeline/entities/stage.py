"""The entity stage: EntityStage and its settings, extract_entities, entity ids, entity tokens.

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

How they are resolved: :mod:`pipeline.entities.merge`.

Canonical names
---------------
``canonical`` is the mention without white space (``王 凯`` -> ``王凯``), a
company's full name for its short forms in the same document (``顺威股份`` ->
``广东顺威精密塑料股份有限公司``, ``海信`` -> ``海信集团``), and the full
division name for a division's short form (``青岛`` -> ``青岛市``).

Places: :mod:`pipeline.entities.places`; officials: :mod:`pipeline.entities.officials`.
"""
from __future__ import annotations

import hashlib
import inspect
import re
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .. import registry
from ..records import Document, Entity, Official, entity_key
from ..stage import Analysis, ExistingPath, RunContext, StageInitError, _resolve_any
from .bylines import _find_bylines, _outlets
from .campaigns import campaign_bodies
from .chars import nospace
from .feature_names import feature_places
from .gazetteers import GazEntry, common_words, default_resources, load_resources
from .linking import Linking
from .merge import Cand, ModelMerge, resolve
from .officials import OfficialRecords
from .places import Places
from .rules import Extractor


class EntityStage(ModelMerge, Linking, Places, OfficialRecords):
    """Rules + gazetteers + a statistical backend -> entities and officials."""

    name: ClassVar[str] = "entities"
    after: ClassVar[tuple[str, ...]] = ("layout", "segment")

    class Settings(BaseModel):
        """``entities:`` section of a config."""

        model_config = ConfigDict(extra="forbid")

        backend: str = "spacy"
        """Statistical NER backend (a ``ner_backends`` registry name: spacy, lac, jieba, none ...)."""
        backend_options: dict[str, Any] = Field(default_factory=dict)
        """Keyword arguments for the backend's constructor (e.g. ``model: path``; paths in ``model``
        and ``user_dicts`` are relative to the config file's folder); a key the constructor does
        not name is an error."""
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
        campaign_bodies: bool = True
        """Bodies named after a campaign in quotes (``全国“扫黄打非”办``): GOV."""
        model_span_filters: bool = True
        """Master switch of the filters on model spans below (False turns all of them off)."""
        model_surname_check: bool = True
        """Drop a model PERSON that is neither a Chinese name (known surname) nor a foreign or
        anonymised one (see :meth:`EntityStage.person_ok`)."""
        model_common_words: bool = False
        """Drop a model span that is a frequent common word of jieba's dictionary (not in a gazetteer).
        Off by default: it drops 美军, 红军, 大陆, 清迈, 民建, 十五大 (lower F1 on the dev set and
        all four public sets); ``not_entities`` in ``rules.yaml`` lists the generic words instead."""
        model_generic_heads: bool = True
        """Drop a model span ending in a generic head (``…企业``, ``…机构``, ``…平台``)."""
        model_feature_places: bool = True
        """A model span followed twice or more in the document by the same feature head
        (``普若岗`` + ``日冰川``, ``拉查帕`` + ``皇家花园``) is the specific part of a place name:
        the whole name is a PLACE (see :mod:`pipeline.entities.feature_names`)."""
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

        @model_validator(mode="after")
        def _known_backend_options(self, info: ValidationInfo) -> "EntityStage.Settings":
            try:
                allowed = backend_parameters(registry.get("ner_backends", self.backend))
            except Exception:  # noqa: BLE001 - a backend that does not import says so when the stage starts
                allowed = None
            if allowed is not None:
                unknown = [k for k in self.backend_options if k not in allowed]
                if unknown:
                    raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                        type=PydanticCustomError("unknown_option", "unknown option of backend {backend} (allowed: "
                                                 "{allowed})", {"backend": repr(self.backend),
                                                                "allowed": ", ".join(allowed) or "none"}),
                        loc=("backend_options", k), input=self.backend_options[k]) for k in unknown])
            opts = self.backend_options
            if isinstance(opts.get("model"), (str, Path)):
                opts["model"] = str(_resolve_any(Path(opts["model"]), info))
            if isinstance(opts.get("user_dicts"), list):  # the jieba backend's dictionaries
                opts["user_dicts"] = [str(_resolve_any(Path(p), info)) if isinstance(p, (str, Path)) else p
                                      for p in opts["user_dicts"]]
            return self

    def __init__(self, settings: "EntityStage.Settings | None" = None, context: RunContext | None = None):
        self.settings = settings or self.Settings()
        self.context = context or RunContext()
        s = self.settings
        self.res = (load_resources(s.gazetteers, s.patterns) if (s.gazetteers or s.patterns)
                    else default_resources())
        self.ex = Extractor(self.res)
        try:
            self.backend = registry.get("ner_backends", s.backend)(**s.backend_options)
        except Exception as exc:  # noqa: BLE001 - whatever the backend raises, one line naming it
            what = " ".join(str(exc).split())
            if not what or not isinstance(exc, (OSError, ValueError, ImportError, RuntimeError)):
                what = f"{type(exc).__name__}: {what}".rstrip(": ")
            raise StageInitError(f"cannot load NER backend {s.backend!r}: {what} "
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
        from ..layout import NON_TITLE_ROLES
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
        if st.campaign_bodies:
            cands += campaign_bodies(text)
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
        if model_spans and st.model_span_filters and st.model_feature_places:
            model_spans = feature_places(text, list(model_spans))
        if model_spans:
            chosen = self._merge_model(text, chosen, model_spans)

        entities = self._to_entities(doc, chosen, context, short_forms)
        officials = self._officials(doc, text, chosen, titled, reporter_spans, byline_roles) \
            if self.settings.officials else []
        return entities, officials


    def _anonymised(self, text: str) -> list[tuple[int, int]]:
        """Anonymised names: a surname + 某/某某 (王某, 韩某某, 欧阳某), not 某某公司/某人/某国/某号,
        nor a "surname" that ends a word with the character before it (地区|某国)."""
        r = self.res
        cw = common_words()
        out = []
        for m in re.finditer(r"(?<!某)某某?(?!某)", text):
            k, e = m.start(), m.end()
            if text[e:e + 1] and text[e] in "人些种地处事项件类家个位名国省市县区乡镇号":
                continue
            if k >= 2 and text[k - 2:k] in cw and text[k - 2:k] not in r.compound_surnames:
                continue
            if k >= 2 and text[k - 2:k] in r.compound_surnames:
                out.append((k - 2, e))
            elif k >= 1 and (text[k - 1] in r.surnames or text[k - 1] in self._MODEL_SURNAMES):
                out.append((k - 1, e))
        return out

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
                d = self.res.divisions[idx] if idx is not None else None
                # the short form, or an autonomous division's short form + level (张家川县)
                if d is not None and d.short and canon in (d.short, d.short + d.name[-1]):
                    canon = self.res.divisions[idx].name
            ent.canonical = canon
            if c.label == "PLACE" and self.settings.normalise_places:
                self._normalise_place(ent, canon, ctx)
            ent.entity_key = entity_key(ent.label, ent.canonical, ent.adcode)
            out.append(ent)
        return out


def backend_parameters(backend_cls: type) -> list[str] | None:
    """The keyword options an NER backend's constructor takes; None when it takes any (``**kwargs``;
    a catch-all named ``_`` ignores what it gets, so those keys count as unknown)."""
    params = inspect.signature(backend_cls).parameters.values()
    if any(p.kind is p.VAR_KEYWORD and p.name != "_" for p in params):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def entity_id(doc_id: str, start: int, end: int, label: str) -> str:
    return hashlib.sha1(f"{doc_id}:{start}:{end}:{label}".encode()).hexdigest()[:16]

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
