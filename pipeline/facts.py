"""Numeric facts: every asserted quantity with its unit, bound, subject, entity and time.

The grammar (numbers, units, qualifiers, ranges, ranks) lives in :mod:`pipeline.numbers`
and the unit catalogue in ``resources/units.yaml``.  This module decides which
quantity mentions are facts (``data/gold/GUIDELINES.md``) and attributes them.

Not facts (general rules, no word lists of a sample):

- dates, years, clock times, durations: a number followed by a time unit of the
  catalogue (年, 月, 日, 天, 时, 季度, 个月 ...), including ranges (8时至20时);
- ordinals that are identifiers: 第N followed by anything but a rank unit (位/名/强),
  大 or the end of a clause (第十九批, 第一生态环境保护督察组, 第二海底隧道);
- phone numbers, postal boxes, house numbers and codes: numbers without a unit
  (0532-86718475, 167号: 号 is a time/house-number word, not a unit), numbers
  touching Latin letters, digits, ``-``, ``/``, ``.`` or ``#`` (A053, RCEP-ABS, 5G),
  Arabic numbers with a leading zero;
- numbers inside names and slogans: inside 《》 titles; inside a short quotation
  “...” that holds two or more numbers (“百场万企 校企牵手”, “一周一策”); inside an
  entity span when the entity stage ran; a bare magnitude (百场, 千家, 万人) that no
  qualifier (超/近/上/过 ...) introduces (千家万户, 百场万企);
- the indefinite 一: the Chinese numeral 一 alone before a classifier
  (一家远道而来的广东企业, 一批, 一条长约35米的排水沟).  Arabic ``1个`` is a count, and
  so is 仅有的一条;
- the guidelines' decisions: age and size thresholds that define a group (65岁以上人口,
  25岁至29岁人群, 大于1平方公里的湖泊); referring numbers (两国, 两人 / 两个人 as the
  subject or before 的, 老两口, 供需两端, a demonstrative before a Chinese numeral 这三个,
  or before a count repeated in its sentence 这4个字); idioms, names and set phrases of
  the jieba dictionary that reach beyond the number (五花八门, 二十四节气, 五项原则,
  五大洲, 上下两院); per-unit phrases (80元一斤, 1美元约合…); a count that opens or closes
  a short quotation names a policy (“31条措施”); class names (中二班);
- numbers without classifier are facts with unit null (kind count, or money after
  收入/投资/价格 …) when they carry a multiplier or are vague (1.2亿武术爱好者, 数千万
  青少年, 收入几十万) or are Arabic numbers right before a noun (5000美国人), not a year
  (2019人均) nor before 强/后/度.

Attribution (documented heuristics):

- ``subject``: for counts, the noun phrase after the classifier (up to the clause
  end, a following number or a verb-like stop word); when there is none, and for
  measures (money, area, length, percent ...), the metric phrase before the number
  (from the clause or list-item start, leading time words and trailing 达/为/约/的
  stripped, cut after the last verb such as 集聚/接待/涉及/吸引/举办).  Ranks: the
  noun after 第N大, else the phrase before 位居/居/位列, or before it when only a scope
  word (全国, 全省) stands between.  In a 其中-sentence whose items are named
  entities (其中，胶州市11件、即墨区9件), the subject is the head noun of the previous
  sentence's topic (信访举报件); in a 其中-clause listing names (其中上海、北京位列前五)
  it is the previous clause's object.
- ``entity``: (1) the entity that is the whole phrase before the number
  (胶州市11件); (2) the entity that starts the counted noun (18家德国企业); (3) the
  first entity of the clause before the number, unless the clause starts with 其中;
  (4) the first entity of the sentence before the number, or of the nearest clause
  before the number's that opens with an entity (a change of topic: …王某开枪，李大军
  当场牺牲，年仅49岁); in (3) and (4) an entity right after a 的 that closes a modifier
  starting at the chosen one is the head instead (张红旗生前所在的北岭乡派出所, 冰川以南
  约80公里处的青木湖), unless a noun follows it (在东城注册的法国企业) or a verb stands
  before the 的 (冰川位于羌塘西北部的双湖县: the first is the subject).  Entities in 《》 titles,
  in 根据/按照/据 clauses and sources of reported speech (工信部数据显示) are skipped.
  Entities come from the entity stage (``Analysis.entities``); when it did not run,
  only rule (1) applies, with simple place/organisation suffix cues (…市/区/县/镇,
  …公司/集团/局/组) instead of entities (``entity_cues``), and ``entity_id`` is null.
- ``time``: the nearest time expression before the number in the same sentence, else
  the first one after it in its clause (2023年, 今年一季度, 截至1月25日24时, 26日上午,
  到2025年, 从今年1月1日起, 2018年4月以来, 1988年至2018年, 近20年来, 此前, 如今, 国庆节
  前夕, 集训期间), not a dateline (本报4月28日讯), a title in 《》, a comparison base
  (比上年), a name inside an entity, or a relative word used as a modifier (当年的一间
  小土房); rates (每年) are no time; ``time_start``/``time_end`` are resolved against
  the article date with jionlp (relative forms such as 今年一季度 need the date; 目前
  is the article date, 截至目前 ends on it).
- ``subject`` details: a measure followed by its noun takes that noun (6万亿元养老保险
  责任准备金, 十几公里的路程) unless a metric precedes it (面积达, 宽约0.3米的) or a verb
  follows; a change (面积由A缩减至B, 较上年减少了C) keeps the metric before it; the
  counted noun ends at the first verb (jieba part of speech: 伊朗民众走上街头); a
  classifier that is itself a noun (户, 桌, 省: ``noun: true`` in the catalogue) is the
  subject when a list of entities or a verb with 了 precedes it.
- ``entity`` details: not the source of the figures (…发布的报告显示, …的预测值, …
  收到); not members listed right before the number (湖北、湖南、江西3省) nor in A、B等
  lists, nor one example of a kind (中国科学院等单位); in a 其中-clause, its one entity
  when nothing before it names one; the possessor before 的 (…小学的6个孩子); the person named with an age;
  该公司 -> the last organisation named; written in full (融创 + 华中, 美的 + 集团);
  untagged repeats of an entity's name in the document count.
- ``place``: the attributed entity when it is a PLACE, else the first PLACE entity
  of the clause before the number.
"""
from __future__ import annotations

import bisect
import contextlib
import dataclasses
import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, field_validator

from .entities.chars import nospace
from .entities.linking import occurrences
from .numbers import KINDS, Catalogue, Quantity, scan_quantities
from .records import Entity, Fact, Official, Sentence
from .segmenters import posseg as _posseg
from .segmenters import word_tags as _word_tags
from .sentences import split_sentences
from .stage import Analysis, ExistingPath, RunContext


class FactSettings(BaseModel):
    """Settings of the ``facts`` stage."""

    model_config = ConfigDict(extra="forbid")

    units: list[ExistingPath] = []
    """Extra unit catalogues (YAML, same layout as ``pipeline/resources/units.yaml``),
    merged in order over the shipped one: add units, multipliers, qualifiers, time
    words; a ``null`` value removes a shipped entry."""
    kinds: list[str] = list(KINDS)
    """Fact kinds to keep (count, money, area, length, weight, percent, rank, other)."""
    ranks: bool = True
    """Extract ranks (第六位, 第一大, 前五)."""
    entity_cues: bool = True
    """When the document has no entities (entity stage not run), treat a phrase with a
    place or organisation suffix (…市, …区, …公司, …局, …组) right before a number as
    the fact's entity (其中，胶州市11件).  Without entities no other attribution is made."""
    skip_inside_entities: bool = True
    """Drop numbers that lie inside an entity span (numbers inside names)."""
    resolve_times: bool = True
    """Resolve time expressions to ``time_start``/``time_end`` (jionlp, against the article date)."""
    keep_sentence: bool = True
    """Fill the ``sentence`` column with the fact's sentence text."""

    @field_validator("units")
    @classmethod
    def _readable_catalogues(cls, value: list[Path]) -> list[Path]:
        Catalogue.load(value)  # a file with a key it would ignore, or of the wrong shape, fails here
        return value

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown kind {', '.join(map(repr, unknown))} (allowed: {', '.join(KINDS)})")
        return value


# ------------------------------------------------------------------ lexical constants

CLAUSE_END = set("，,；;：:。！？!?\n")
BEFORE_STOP = CLAUSE_END | set("、（(【[—")
AFTER_STOP = CLAUSE_END | set("）)】]")
DIGIT_START = set("0123456789０１２３４５６７８９零〇一二两三四五六七八九十百千万第")
NOT_NOUN_START = set("共分是为在将已都均也还就又再并得了着过和与及或至到于向对从被把让使等约近超逾多余左以达占、")
# words after which the counted noun stops (verbs, adverbs)
AFTER_STOPWORDS = ("等", "进行", "涉及", "参加", "参与", "至少", "面对面", "一一", "分别", "正在", "已经", "已", "将",
                   "均", "都", "列入", "纳入", "入选", "来", "同时", "共同", "实现", "完成", "达到", "达", "为", "是", "在",
                   "中，", "被", "获得")
LEAD_WORDS = ("最终", "预计", "其中", "此外", "另外", "同时", "目前", "当前", "累计", "共计", "合计", "总计", "共有", "拥有", "共", "已", "并", "还", "其",
              "该", "这", "此", "全年", "全市", "全省", "全区", "全国")
TRAIL_WORDS = ("从", "由", "达到", "高达", "多达", "突破", "共计", "合计", "总计", "累计", "分别", "已达", "约为", "达", "为", "是", "有",
               "共", "约", "已", "了", "的", "均", "在", "中", "都", "预计将", "预计", "将", "就", "已经", "也", "还", "仍",
               "或", "或者")
CUT_VERBS = ("集聚", "聚集", "接待", "确定", "涉及", "吸引", "培育", "举办", "拥有", "包括", "签约", "签订", "推出",
             "设有", "引进", "新增", "吸纳", "带动", "建成", "打造", "形成", "惠及", "实现", "完成", "受理", "收到", "查处",
             "排查", "发现", "投入", "获得", "获批", "认定", "入选", "选出", "选取", "招引", "落地", "开工", "实施",
             "提出", "发布", "出台", "制定", "组织", "开展")
RANK_VERBS = ("位居", "位列", "名列", "跻身", "进入", "稳居", "居", "位于")
SCOPE_WORDS = ("全国", "全省", "全市", "全区", "全球", "世界", "国内", "省内", "市内", "全国各城市", "各城市", "同类城市")
TOPIC_VERBS = ("共", "涉及", "包括", "有", "达", "为", "是", "累计", "已", "将", "均", "占")
REPORT_VERBS = re.compile(r"^(?:数据|统计|调查|报告|监测)?(?:显示|表示|介绍|称|指出|认为|说|透露)")
COMPARISON_BASE = re.compile(r"(?:比|较|相比|同比|环比|与)$")  # 比上年末, 较去年同期: not the fact's time
AGENT_VERBS = re.compile(r"主办|承办|协办|举办|指导|组织|发起|牵头|主持|负责|实施")
SOURCE_AFTER = re.compile(r"^(?:[^，。；]{0,30}?(?:发布|公布)的?[^，。；]{0,30}?(?:显示|表明|指出|预测|预计)"
                          r"|的?(?:预测值|预测|统计数据|统计|调查)|(?:最新)?(?:数据|统计|报告)(?:显示|表明)|收到)")
SPEECH_END = re.compile(r"(?:表示|说|指出|强调|称|认为|介绍|透露|坦言)$")  # the clause reports speech
BASIS_CLAUSE = re.compile(r"^(?:根据|按照|依据|依照|据|经)")
PLACE_CUE = re.compile(r"^[\u4e00-\u9fff]{1,10}(?:省|市|区|县|镇|乡|村|街道|新区|自治州|州|盟|旗)$")
ORG_CUE = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}(?:公司|集团|银行|大学|学院|医院|局|委员会|委|厅|办公室|中心|协会|研究会|督察组|核查组|工作组|领导小组)$")
QUOTE_OPEN, QUOTE_CLOSE = "“‘「『\"", "”’」』\""
QUOTES = set(QUOTE_OPEN + QUOTE_CLOSE)

_CN = "〇零一二两三四五六七八九十"
_Y = r"(?:\d{4}|[〇零一二三四五六七八九]{4})年度?"
_YREL = r"(?:今年|去年|明年|前年|本年|当年|上年|同年|次年)"
_M = rf"[{_CN}\d]{{1,3}}月份?"
_D = rf"[{_CN}\d]{{1,3}}日"
_MPART = r"(?:底|末|初|上旬|中旬|下旬|中)"
_YPART = (rf"(?:底|末|初|第?[一二三四1-4]季度|上半年|下半年|前[{_CN}\d]+个?(?:季度|月)|年初|年底|年末|年中|以来"
          r"|暑假|寒假|春节|春季|夏季|秋季|冬季|汛期)")
_DAYPART = r"(?:上午|下午|晚上|晚间|凌晨|早上|早晨|中午|夜间|傍晚|\d{1,2}时)"
_DATE = (rf"(?:(?:{_Y}|{_YREL})(?:{_YPART}|{_M}(?:{_D})?{_MPART}?)?"
         rf"|{_M}(?:{_D})?{_MPART}?|(?<![月\d]){_D}|第?[一二三四1-4]季度|上半年|下半年|前[一二三]季度)"
         rf"{_DAYPART}?")
_SPAN = (rf"(?:\d{{4}}\s*(?:至|到|—|-|－|～)\s*\d{{4}}(?:财年|年度|年)"
         rf"|\d{{1,2}}\s*(?:至|到|—|-|－|～)\s*\d{{1,2}}月"
         rf"|{_DATE}(?:\s*(?:至|到|—|－|～)\s*{_DATE})?)")
# numbers of years as a period: 近20年来, 过去50年来, 20多年来, 18年中, 40多年前, 连续7年
_PERIOD = (rf"(?:近|过去|最近|连续|前)?[\d{_CN}几]+多?个?年(?:来|中|间|前|以来)"
           rf"|连续[\d{_CN}几]+多?年|连续多年|千百年来|多年来|近年来|近些年来?")
_RELATIVE = (r"近来|迄今|此前|此后|当天|当日|连日来|全年|如今|近日|日前|现在|原来|当时|这些年|那些年|平时"
             r"|最初|起初|目前|当前|年内|年底前|至今|今天|昨天|明天|今日|昨日|近期|去年以来|今年以来"
             r"|冬天|夏天|春天|秋天|每到冬天")
# an event taken as a time (国庆节前夕, 集训期间, 世园会闭幕后), at a clause start or after 在
_EVENT = (r"(?:(?<=[，。；：！？\s“（])|(?<=^)|(?<=在))(?!在)"
          r"[\u4e00-\u9fff]{1,5}?(?:期间|前夕|(?:闭幕|开幕|结束|召开|举办|成立)(?:后|前|以来))")
_RELATIVE_RE = re.compile(_RELATIVE + "|" + _YREL)  # 当年的一间小土房, 此后的竞聘: a modifier, not the fact's time
_TIME_RE = re.compile(
    rf"(?:截至|截止到?|到|从|自)?(?:{_SPAN})(?:起|以来|之前|之后|以前|以后|前后|期间|前(?![往来去进行])|后(?![来续]))?"
    rf"|截至目前|{_PERIOD}|{_RELATIVE}|{_EVENT}"
)
_DATELINE_AFTER = re.compile(r"^(?:讯|电)")


@dataclass
class _Ctx:
    """One document's text and what the attribution looks up in it.  Every lookup by
    position is a bisection over sorted offsets (``ent_starts``, ``time_starts``,
    ``stops``), so the work per number does not grow with the document's length."""
    text: str
    sentences: list[tuple[int, int]]
    sent_starts: list[int]
    entities: list[Entity]  # sorted by (start, -end)
    titles: list[tuple[int, int]]
    slogans: list[tuple[int, int]]
    times: list[tuple[int, int]]
    doc_date: dt.date | None
    settings: FactSettings
    cues: bool
    last: tuple[int, str | None, str | None] = (-1, None, None)  # (sentence, unit, subject) of the previous fact
    catalogue_units: dict | None = None
    ent_starts: list[int] = dataclasses.field(default_factory=list)
    ent_span: int = 0  # the longest entity: one that contains a position starts at most this far before it
    time_starts: list[int] = dataclasses.field(default_factory=list)
    stops: list[int] = dataclasses.field(default_factory=list)  # offsets of 。！？!? and line breaks
    newlines: list[int] = dataclasses.field(default_factory=list)
    titles_of: dict[str, set[str]] = dataclasses.field(default_factory=dict)  # person -> titles
    usable: dict[tuple[int, int, str], bool] = dataclasses.field(default_factory=dict)  # _usable by span and label

    def starting(self, lo: int, hi: int) -> list[Entity]:
        """The entities that start in ``[lo, hi]``, in order."""
        return self.entities[bisect.bisect_left(self.ent_starts, lo):bisect.bisect_right(self.ent_starts, hi)]

    def covering(self, start: int, end: int) -> list[Entity]:
        """The entities that contain ``[start, end)``, in order."""
        return [e for e in self.starting(end - self.ent_span, start) if e.end >= end]


# ------------------------------------------------------------------ public API

def extract_facts(text: str, sentences: Iterable | None = None, entities: Sequence[Entity] = (),
                  doc_date: dt.date | None = None, settings: FactSettings | None = None,
                  catalogue: Catalogue | None = None, doc_id: str = "", source: str = "",
                  officials: Iterable[Official] = ()) -> list[Fact]:
    """The numeric facts of ``text``.

    ``sentences``: ``(start, end)`` pairs or :class:`Sentence` records (default:
    :func:`split_sentences`); ``entities``: :class:`Entity` records with offsets into
    ``text``; ``doc_date``: the article date that relative times are resolved against;
    ``officials``: the entity stage's people with posts (a person named after a title that
    holds an entity is the head of the phrase: 美国国务卿蓬佩奥).
    Offsets of the returned facts index ``text`` and ``fact.text == text[start:end]``.
    """
    settings = settings or FactSettings()
    catalogue = catalogue or _catalogue(tuple(str(p) for p in settings.units))
    if sentences is None:
        spans = split_sentences(text)
    else:
        spans = [(s.start, s.end) if isinstance(s, Sentence) else (int(s[0]), int(s[1])) for s in sentences]
    spans = sorted(spans) or [(0, len(text))]
    ents = sorted((e for e in entities if 0 <= e.start < e.end <= len(text)), key=lambda e: (e.start, -e.end))
    ents = _with_repeats(text, ents)
    titles, slogans = _bracket_regions(text)
    ctx = _Ctx(text, spans, [s for s, _ in spans], ents, titles, slogans, [], doc_date, settings,
               cues=settings.entity_cues and not ents, catalogue_units=catalogue.units,
               ent_starts=[e.start for e in ents], ent_span=max((e.end - e.start for e in ents), default=0),
               stops=[m.start() for m in re.finditer(r"[。！？!?\n]", text)],
               newlines=[m.start() for m in re.finditer(r"\n", text)])
    for o in officials:
        ctx.titles_of.setdefault(nospace(o.person), set()).update(
            nospace(t) for t in o.titles if t)
    ctx.times = [_trim_time(text, m.start(), m.end()) for m in _TIME_RE.finditer(text)
                 if m.group() and not _in_regions(m.start(), m.end(), titles)
                 and not _DATELINE_AFTER.match(text[m.end():m.end() + 1])
                 and not text[max(0, m.start() - 2):m.start()].endswith("本报")
                 and not COMPARISON_BASE.search(text[max(0, m.start() - 2):m.start()])
                 and not ctx.covering(m.start(), m.end())
                 and not (_RELATIVE_RE.fullmatch(m.group()) and text[m.end():m.end() + 1] == "的"
                          and not text[m.end() + 1:m.end() + 2].isdigit())]
    ctx.time_starts = [s for s, _ in ctx.times]

    scanned = scan_quantities(text, catalogue)
    quantities = [q for i, q in enumerate(scanned) if _is_fact(q, ctx, scanned[i - 1] if i else None)]
    facts: list[Fact] = []
    for i, q in enumerate(quantities):
        facts.append(_make_fact(q, i, quantities, ctx, doc_id, source))
    return facts


class FactStage:
    """Pipeline stage ``facts``: appends :class:`Fact` records to ``Analysis.facts``."""

    name = "facts"
    Settings = FactSettings
    after = ("layout", "segment", "entities")

    def __init__(self, settings: FactSettings, context: RunContext):
        self.settings = settings
        self.context = context
        self.catalogue = _catalogue(tuple(str(p) for p in settings.units))

    def process(self, items: list[Analysis]) -> list[Analysis]:
        for item in items:
            doc = item.doc
            sentences = item.sentences or None
            item.facts.extend(extract_facts(doc.text, sentences, item.entities, doc.date, self.settings,
                                            self.catalogue, doc_id=doc.doc_id, source=doc.source,
                                            officials=item.officials))
        return items


@lru_cache(maxsize=16)
def _catalogue(paths: tuple[str, ...]) -> Catalogue:
    return Catalogue.load(paths)


# ------------------------------------------------------------------ which mentions are facts

def _bracket_regions(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """《title》 regions, and short quotations holding two or more numbers (slogans)."""
    titles, slogans = [], []
    for m in re.finditer(r"《[^《》\n]{0,200}》", text):
        titles.append((m.start(), m.end()))
    for m in re.finditer(r"[“「『\"]([^“”「」『』\"\n]{1,16})[”」』\"]", text):
        inner = m.group(1)
        if len(re.findall(r"[0-9０-９]+|[零〇一二两三四五六七八九十百千万亿]", inner)) >= 2:
            slogans.append((m.start(), m.end()))
    return titles, slogans


def _with_repeats(text: str, ents: list[Entity]) -> list[Entity]:
    """The entities plus the other occurrences of their names (three characters or more)
    in the document that the entity stage left untagged, for attribution.

    Names are taken in the order of their first entity; each takes its occurrences left
    to right, not overlapping each other nor a character already taken.  The occurrences
    of all names are found as the entity stage finds repeats (:func:`entities.linking.occurrences`:
    one scan of the text per first character), not one search of the whole text per name."""
    if not ents:
        return ents
    taken = bytearray(len(text))
    for e in ents:
        taken[e.start:e.end] = b"\1" * (e.end - e.start)
    first: dict[str, Entity] = {}
    for e in ents:
        if len(e.text) >= 3:
            first.setdefault(e.text, e)
    found = occurrences(text, first)
    extra = []
    for name, e in first.items():
        n, free_from = len(name), 0
        for s in found[name]:
            if s < free_from:
                continue  # overlaps the previous occurrence of this name
            free_from = s + n
            if taken.find(1, s, s + n) < 0:
                extra.append(dataclasses.replace(e, start=s, end=s + n))
                taken[s:s + n] = b"\1" * n
    if not extra:
        return ents
    return sorted(ents + extra, key=lambda e: (e.start, -e.end))


def _in_regions(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    """``[start, end)`` lies in one of ``regions`` (sorted, not overlapping: only the last
    one that starts at or before ``start`` can hold it)."""
    k = bisect.bisect_right(regions, (start, float("inf"))) - 1
    return k >= 0 and end <= regions[k][1]


def _is_fact(q: Quantity, ctx: _Ctx, prev: Quantity | None = None) -> bool:
    text, st = ctx.text, ctx.settings
    if q.form in ("time", "ordinal"):
        return False
    if q.form == "none" and not _bare_number_fact(q, text):
        return False
    if q.kind not in st.kinds or (q.kind == "rank" and not st.ranks):
        return False
    if q.value is None or q.value != q.value:
        return False
    before = text[q.num_start - 1] if q.num_start > 0 and q.start == q.num_start else ""
    if q.ordinal:
        before = text[q.start - 1] if q.start > 0 else ""
    if before and (before.isascii() and (before.isalnum() or before in "-/.#_") or before in "０１２３４５６７８９－／．＃"):
        return False  # codes: A053, RCEP-ABS, 0532-86718475
    if not q.chinese and q.number_text[:1] in "0０" and len(q.number_text) > 1 and q.number_text[1:2] not in ".．":
        return False  # leading zero: an identifier
    after = text[q.unit_end:q.unit_end + 1]
    if after and after.isascii() and after.isalpha() and not (q.unit or "").isascii():
        return False  # 5G, 3D
    if q.chinese and q.number_text == "一" and not q.is_range and q.kind not in ("rank", "percent") \
            and q.form != "da" and q.kind == "count" and not ONLY_ONE.search(text[max(0, q.start - 4):q.start]):
        return False  # the indefinite 一 (一家, 一批); 仅有的一条 is a count
    if q.bare_magnitude and not q.qualifiers:
        return False  # 千家万户, 百场万企
    if _in_regions(q.start, q.end, ctx.titles) or _in_regions(q.start, q.end, ctx.slogans):
        return False
    if q.form == "unit" and _quoted_name(q, text):
        return False
    if _referring(q, ctx) or _threshold(q, text) or _per_unit(q, text, prev) or _in_word(q, text):
        return False
    if q.unit == "班" and re.search(r"(?:[大中小]|[高初][一二三]|年级)$", text[max(0, q.start - 3):q.start]):
        return False  # a class name: 中二班, 高三2班
    if q.form == "none" and MONEY_METRIC.search(text[max(0, q.start - 8):q.start]):
        q.kind = "money"  # 一年收入几十万: an amount of money without 元
    if st.skip_inside_entities and any((e.end - e.start) > (q.end - q.start) for e in ctx.covering(q.start, q.end)):
        return False
    return True


MONEY_METRIC = re.compile(r"(?:收入|工资|年薪|月薪|薪水|投资|资金|金额|价格|营收|销售额|利润|成本|费用|存款|贷款|捐款)"
                          r"(?:达到|达|为|约|有|是|近|超过|超)?$")


def _quoted_name(q: Quantity, text: str) -> bool:
    """A number that opens or closes a short quotation names a policy or document
    (“31条措施”, “有呼必应10条”), it is not a count."""
    opens = text[q.start - 1:q.start] in QUOTE_OPEN[:-1]
    closes = text[q.end:q.end + 1] in QUOTE_CLOSE[:-1]
    if opens:
        k = text.find("”", q.end, q.end + 10)
        return k >= 0 and not re.search(r"[，。；：、\n]", text[q.end:k])
    if closes:
        k = text.rfind("“", max(0, q.start - 12), q.start)
        return k >= 0 and not re.search(r"[，。；：、\n]", text[k:q.start])
    return False


def _bare_number_fact(q: Quantity, text: str) -> bool:
    """A number without classifier that is a fact (unit null): with a multiplier or
    vague (1.2亿武术爱好者, 总人口为1.47亿, 数千万青少年), or an Arabic number right
    before a noun (5000美国人) that is not a year (2019人均)."""
    after = text[q.end:q.end + 1]
    if after and (after.isascii() and after.isalnum() or after in "%％.．点:：/-－—~～"):
        return False
    if q.multiplied or q.vague:
        return True
    if q.chinese or q.is_range or not after or not ("\u4e00" <= after <= "\u9fff"):
        return False
    v = q.value
    if q.number_text.isdigit() and len(q.number_text) == 4 and 1000 <= v <= 2100:
        return False  # a year without 年
    return after not in "年月日号时分秒点届次期版条款章节号楼层栋室座第等、和与及或至到强后度"


# referring numbers: 两国, 两人 / 两个人 as the subject, 这三个地方 (the two of them, these three)
ONLY_ONE = re.compile(r"(?:仅|只|仅有|只有|唯一|仅有的|只有的|唯一的)$")
DEMONSTRATIVE = re.compile(r"(?:这|那|该|此|上述|前述|以上|这些|那些)$")
REFERRING_UNITS = ("国", "人", "个人", "院", "党", "军", "端")


def _referring(q: Quantity, ctx: _Ctx) -> bool:
    text = ctx.text
    if q.kind not in ("count",) or q.form != "unit" or q.qualifiers:
        return False
    if DEMONSTRATIVE.search(text[max(0, q.start - 2):q.start]):
        if q.chinese:
            return True  # 这三个地方
        # 这4个字 after 4个字 in the same sentence (since the last 。！？ or line break): the same set again
        k = bisect.bisect_left(ctx.stops, q.start)
        return q.text in text[ctx.stops[k - 1] + 1 if k else 0:q.start]
    if q.chinese and q.number_text in ("两", "二", "俩") and q.unit == "口" and text[q.start - 1:q.start] in ("老", "小"):
        return True  # 老两口: the old couple
    if q.chinese and q.number_text in ("两", "二", "俩") and q.unit in ("国", "人", "个", "院", "党", "军", "端"):
        word = q.unit + (text[q.end] if q.unit == "个" and text[q.end:q.end + 1] == "人" else "")
        if word not in REFERRING_UNITS:
            return False
        if q.unit in ("国", "端"):
            return True
        nxt = q.end + len(word) - len(q.unit)
        if text[nxt:nxt + 1] == "的":
            return True  # 两个人的共同爱好
        cs = q.start
        while cs > 0 and text[cs - 1] not in CLAUSE_END and q.start - cs <= 6:
            cs -= 1
        raw = text[cs:q.start].strip()
        head = _strip_lead(raw)
        return not head or bool(_TIME_RE.fullmatch(head)) or raw in ("这些年", "那些年", "多年来", "如今", "后来", "当时")
    return False


THRESHOLD_SUFFIX = re.compile(r"^(?:及以上|及以下|以上|以下|以内)")
THRESHOLD_PREFIX = ("大于", "小于", "不小于", "不大于")


def _threshold(q: Quantity, text: str) -> bool:
    """An age or size that defines a group: 65岁以上人口, 25岁至29岁人群, 大于1平方公里的湖泊."""
    if q.unit != "岁" and q.kind not in ("area", "length"):
        return False
    end = q.end
    m = THRESHOLD_SUFFIX.match(text[end:end + 3])
    marked = q.is_range or any(w in ("以上", "以下", "以内") for w in q.qualifiers) or bool(m) \
        or any(w in THRESHOLD_PREFIX for w in q.qualifiers)
    if m:
        end += m.end()
    if not marked:
        return False
    if any(w in THRESHOLD_PREFIX for w in q.qualifiers) and text[end:end + 1] == "的":
        return True
    nxt = text[end:end + 1]
    return q.unit == "岁" and bool(nxt) and "\u4e00" <= nxt <= "\u9fff" and nxt not in "的了，。是为"


def _per_unit(q: Quantity, text: str, prev: Quantity | None) -> bool:
    """Per-unit phrases: 一斤 in 80元一斤; 1美元 in 1美元约合1158韩元."""
    if q.chinese and q.number_text == "一" and prev is not None and prev.end == q.start and prev.unit:
        return True
    return q.value == 1 and not q.qualifiers and bool(re.match(r"(?:约合|合|兑换|兑|折合|相当于)", text[q.end:q.end + 3]))


_IDIOM_TAGS = {"i", "l", "nz", "ns", "nr", "nrt", "j"}


def _in_word(q: Quantity, text: str) -> bool:
    """A Chinese numeral inside an idiom, name or set phrase of the dictionary that
    reaches beyond the quantity (五花八门, 二十四节气, 五项原则, 五大洲, 上下两院)."""
    if not q.chinese or q.qualifiers:
        return False
    tags = _word_tags()
    ns, ne = q.num_start, q.unit_end
    for a in range(max(0, ns - 4), ns + 1):
        for b in range(max(ne, a + 3), min(len(text), a + 8) + 1):
            if a == q.start and b == q.end:
                continue
            tag = tags.get(text[a:b])
            if tag and (tag in _IDIOM_TAGS or (tag == "n" and b - a >= 4)) and a < ne and b > ns \
                    and (a < q.start or b > q.end):
                return True
    return False


# ------------------------------------------------------------------ attribution

def _sentence_of(pos: int, ctx: _Ctx) -> int:
    i = bisect.bisect_right(ctx.sent_starts, pos) - 1
    return max(i, 0)


def _make_fact(q: Quantity, i: int, qs: list[Quantity], ctx: _Ctx, doc_id: str, source: str) -> Fact:
    text = ctx.text
    si = _sentence_of(q.start, ctx)
    s_start, s_end = ctx.sentences[si]
    if not (s_start <= q.start < s_end):
        s_start, s_end = _containing_line(q.start, ctx)
    prev_end = qs[i - 1].end if i > 0 and qs[i - 1].end > s_start else s_start
    next_start = qs[i + 1].start if i + 1 < len(qs) else len(text)

    before_span = _before_span(text, max(prev_end, s_start), q.start)
    after_span = _after_span(text, q.end, min(s_end, next_start))
    clause_start = _clause_start(text, s_start, q.start)
    subject = _subject(q, before_span, after_span, clause_start, s_start, si, ctx)
    if (not subject or subject in ("或", "和", "及", "至", "到")) and ctx.last[0] == si:
        subject = ctx.last[2]  # 16个乡镇（街道），有一半都…: the previous fact's subject
    entity = _entity(q, before_span, after_span, clause_start, s_start, ctx)
    ent_surface = entity.text if isinstance(entity, Entity) else entity
    if subject and ent_surface and subject.startswith(ent_surface) and len(subject) > len(ent_surface) + 1:
        subject = subject[len(ent_surface):].lstrip("的") or subject  # 海信集团采购规模 -> 采购规模
    ctx.last = (si, q.unit, subject)
    time_span = _time(q, s_start, ctx, s_end)
    time_text = text[time_span[0]:time_span[1]] if time_span else None
    t0 = t1 = None
    if time_text and ctx.settings.resolve_times:
        t0, t1 = resolve_time(time_text, ctx.doc_date)
    place = None
    if isinstance(entity, Entity) and entity.label == "PLACE":
        place = entity.text
    else:
        for e in _entities_in(clause_start, q.start, ctx):
            if e.label == "PLACE":
                place = e.text
                break
    ent_text = entity.text if isinstance(entity, Entity) else entity
    ent_id = (entity.entity_id or None) if isinstance(entity, Entity) else None
    if isinstance(entity, Entity):
        full = _entity_surface(entity, ctx)
        if full != ent_text:
            ent_text, ent_id = full, None
    return Fact(doc_id=doc_id, source=source, start=q.start, end=q.end, text=text[q.start:q.end],
                value=q.value, unit=q.unit, kind=q.kind, bound=q.bound, value_low=q.value_low,
                value_high=q.value_high, base_value=q.base_value, base_unit=q.base_unit, subject=subject,
                entity=ent_text, entity_id=ent_id, time=time_text, time_start=t0, time_end=t1, place=place,
                sentence=text[s_start:s_end] if ctx.settings.keep_sentence else None)


def _containing_line(pos: int, ctx: _Ctx) -> tuple[int, int]:
    k = bisect.bisect_left(ctx.newlines, pos)
    return (ctx.newlines[k - 1] + 1 if k else 0), (ctx.newlines[k] if k < len(ctx.newlines) else len(ctx.text))


def _before_span(text: str, lo: int, pos: int) -> tuple[int, int]:
    s = pos
    while s > lo and text[s - 1] not in BEFORE_STOP:
        s -= 1
    return s, pos


def _clause_start(text: str, lo: int, pos: int) -> int:
    s = pos
    while s > lo and text[s - 1] not in CLAUSE_END:
        s -= 1
    return s


def _clause_end(text: str, pos: int, limit: int) -> int:
    """Where the clause at ``pos`` ends, at most ``limit`` characters on."""
    e = pos
    while e < len(text) and e - pos < limit and text[e] not in CLAUSE_END:
        e += 1
    return e


def _after_span(text: str, pos: int, hi: int) -> tuple[int, int]:
    e = pos
    depth = 0
    while e < hi:
        c = text[e]
        if c in "（(":
            if e == pos:
                break
            depth += 1
        elif c in "）)":
            if depth == 0:
                break
            depth -= 1
        elif c in AFTER_STOP:
            break
        elif c in "、和与及" and e > pos and text[e + 1:e + 2] in DIGIT_START:
            break
        elif e > pos and (c.isdigit() or (c in DIGIT_START and c not in "第一十百千万" and text[e - 1] not in DIGIT_START)):
            break
        elif e > pos and c == "第" and text[e + 1:e + 2] in DIGIT_START:
            break
        e += 1
    return pos, e


def _strip_quotes(s: str) -> str:
    """Remove unbalanced quote marks at the ends."""
    while s and s[0] in QUOTES and _unbalanced(s):
        s = s[1:]
    while s and s[-1] in QUOTES and _unbalanced(s):
        s = s[:-1]
    return s.strip()


def _unbalanced(s: str) -> bool:
    return sum(s.count(c) for c in QUOTE_OPEN[:-1]) != sum(s.count(c) for c in QUOTE_CLOSE[:-1]) or s.count('"') % 2 == 1


def _clean_after(s: str, locative: bool = False) -> str:
    """The counted noun: ``locative`` when the clause opens a 在…中 frame (在197个城市中排名)."""
    s = s.strip()
    if s[:1] == "的" and len(s) > 2:
        s = s[1:]  # 约60.27万立方米的天然气
    if not s or s[0] in NOT_NOUN_START or s[0] in CLAUSE_END:
        return ""
    cut = len(s)
    if locative:
        m = re.search(r"[中内里上]", s[1:])
        if m:
            cut = m.start() + 1
    for w in AFTER_STOPWORDS:
        k = s.find(w, 1)
        if 0 < k < cut:
            cut = k
    s = s[:cut]
    while s and s[-1] in "中内里上等之的":
        s = s[:-1]
    if CHANGE_HEAD.match(s) or s.startswith(("人民币", "美元", "欧元")):
        return ""  # a change verb or currency word follows: no counted noun (缩减至, 元人民币)
    s = _noun_phrase(s)
    while s and s[-1] in "中内里上等之的":
        s = s[:-1]
    return _strip_quotes(s)


def _strip_lead(s: str) -> str:
    changed = True
    while changed and s:
        changed = False
        m = _TIME_RE.match(s)
        if m and m.group():
            s = s[m.end():].lstrip("，, ")
            changed = True
            continue
        for w in LEAD_WORDS:
            if s.startswith(w) and len(s) > len(w):
                s = s[len(w):]
                changed = True
                break
    return s


def _strip_trail(s: str) -> str:
    changed = True
    while changed and s:
        changed = False
        for w in TRAIL_WORDS:
            if s.endswith(w) and len(s) > len(w):
                s = s[:-len(w)]
                changed = True
                break
    return s


def _clean_before(s: str) -> str:
    s = _strip_trail(_strip_lead(s.strip()))
    best = -1
    for v in CUT_VERBS:
        k = s.rfind(v)
        if k >= 0 and k + len(v) <= len(s) - 2:  # keep at least a two-character noun
            best = max(best, k + len(v))
    if best > 0:
        s = s[best:]
    s = _strip_trail(s.lstrip("的了"))
    if s in TRAIL_WORDS or s in LEAD_WORDS:
        return ""  # 有一半: no metric
    return _strip_quotes(s)


def _is_entityish(span: tuple[int, int], ctx: _Ctx) -> bool:
    s, e = span
    phrase = ctx.text[s:e].strip()
    if not phrase:
        return False
    for ent in ctx.starting(s - 1, s + 1):
        if ctx.text[ent.start:ent.end].strip() == phrase:
            return True
    if ctx.cues:
        p = nospace(phrase)
        return bool(PLACE_CUE.match(p) or ORG_CUE.match(p))
    return False


def _topic_of_sentence(si: int, ctx: _Ctx) -> str | None:
    """Head noun of a sentence's topic: 本批交办青岛市的信访举报件共涉及… -> 信访举报件."""
    if si < 0:
        return None
    s, e = ctx.sentences[si]
    t = ctx.text[s:e]
    t = re.sub(r"^本报[^，。\s]{0,12}?(?:讯|电)\s*", "", t)
    t = _strip_lead(t)
    cut = len(t)
    for v in TOPIC_VERBS:
        k = t.find(v, 1)
        if 0 < k < cut:
            cut = k
    t = t[:cut]
    t = re.split(r"[，,；;：:]", t)[0]
    if "的" in t:
        t = t.rsplit("的", 1)[1]
    t = _strip_quotes(t.strip())
    return t or None


def _rank_subject(before: str) -> str:
    for v in RANK_VERBS:
        k = before.rfind(v)
        if k >= 0:
            tail = before[k + len(v):].strip()
            if not tail or tail in SCOPE_WORDS:
                return before[:k]
            return tail
    return before


def _subject(q: Quantity, before_span, after_span, clause_start, s_start, si, ctx: _Ctx) -> str | None:
    text = ctx.text
    before_raw = text[before_span[0]:before_span[1]]
    clause = text[clause_start:q.start].strip()
    after = _clean_after(text[after_span[0]:after_span[1]], locative=bool(re.match(r"^(?:在|从|于)", clause)))
    sentence_head = text[s_start:q.start].lstrip()
    in_qizhong_sentence = sentence_head.startswith("其中")
    in_qizhong_clause = clause.startswith("其中")

    if q.kind == "rank":
        if after:
            return after
        raw = _rank_subject(_strip_trail(before_raw.strip()))
        subj = _clean_before(raw) if raw else ""
        body = _strip_lead(raw.strip())
        listing = "、" in clause or _is_entityish((before_span[0], before_span[0] + len(body)), ctx) if body else False
        if (in_qizhong_clause or in_qizhong_sentence) and (listing or not subj):
            return _inherit(clause_start, s_start, si, ctx, in_qizhong_clause and not in_qizhong_sentence
                            or clause_start > s_start + 3) or subj or None
        return subj or None

    measure = q.kind not in ("count",) and q.form != "da"
    before = _clean_before(before_raw)
    change = CHANGE_TAIL.search(before_raw.strip())
    if change and q.kind not in ("count",) or (change and not after):
        # 冰川面积由5.3万平方公里缩减至4.5万平方公里: the metric before the change
        head = before_raw.strip()[:change.start()]
        while True:  # 提高到三季度增长, 较2017年减少了: times, comparisons and changes are no metric
            h2 = re.sub(r"(?:较|比|同比|相比)?(?:" + _TIME_RE.pattern + r")$", "", head)
            m2 = CHANGE_TAIL.search(h2)
            h2 = h2[:m2.start()] if m2 else h2
            if h2 == head:
                break
            head = h2
        head = _clean_before(head)
        if head:
            before = head
        elif ctx.last[0] == si and ctx.last[2]:
            before = ctx.last[2]
        else:
            before = ""
    entityish = _is_entityish(before_span, ctx)
    listed = _listed_before(clause_start, q.start, ctx) != (0, 0)
    same_unit = ctx.last[0] == si and ctx.last[1] == q.unit and bool(ctx.last[2])
    if not after and q.unit and ctx.catalogue_units.get(q.unit, {}).get("noun") and q.kind == "count" \
            and (listed or before_raw.strip().endswith("了") or same_unit):
        # 只在前厅摆了六七桌, 湖北、湖南、江西3省: the classifier is the noun counted
        if ctx.last[0] == si and ctx.last[1] == q.unit and ctx.last[2]:
            return ctx.last[2]
        return q.unit
    if entityish and not after:
        if in_qizhong_sentence or in_qizhong_clause:
            return _inherit(clause_start, s_start, si, ctx, False) or None
        return before or None
    if measure:
        nxt = text[q.end:q.end + 1]
        tags = _posseg(after[:4]) if after else []
        if after and (nxt == "的" or "\u4e00" <= nxt <= "\u9fff") and not _metric_before(before_raw) \
                and after not in ("呢", "吧", "啊", "嘛", "了") and not (nxt != "的" and tags and tags[0][1] == "v"):
            return after  # 6万亿元养老保险责任准备金, 有十几公里的路程 (not 3亿元设基金)
        return before or after or None
    return after or before or None


CHANGE_HEAD = re.compile(r"^(?:增加|增长|提高|提升|减少|下降|降低|缩减|缩小|扩张|扩大|上升|上涨|回落|增至|降至|升至)")
CHANGE_TAIL = re.compile(r"(?:(?:从|由)[^，。；、]{0,6}?)?(?:仅|将|已|又|预计|最终)*(?:增加|增长|提高|提升|减少|下降|降低|缩减|缩小|扩张|扩大|上升|上涨|回落|增|降|升)"
                         r"(?:到|至|为|了)?(?:目前的|目前|今年的)?$")


def _metric_before(s: str) -> bool:
    """The phrase before a measure names its metric (面积达, 占地, 人口, 方圆)."""
    s = s.strip()
    if not s:
        return False
    if s.endswith("价值"):
        return False  # 价值500万元的物资: the noun after
    if s.endswith(("达", "为", "是", "达到", "高达", "约为", "占地", "约", "长", "宽", "高", "深", "厚", "重", "海拔")):
        return True  # 面积达…, 宽约0.3米的排水沟
    tags = _posseg(s)
    return bool(tags) and tags[-1][1].startswith("n") and tags[-1][1] != "nr"


def _ends_with_verb(s: str) -> bool:
    s = s.strip()
    if not s:
        return False
    if s.endswith(("了", "有", "摆", "放", "开", "建", "办", "派", "来")):
        return True
    tags = _posseg(s)
    return bool(tags) and tags[-1][1].startswith("v")


def _is_listing(span: tuple[int, int], ctx: _Ctx) -> bool:
    s, e = span
    return _listed_before(s, e, ctx) != (0, 0)


_CUT_FLAGS = ("v", "p", "c", "uj", "ul", "uz", "m", "r", "f", "t", "i")


def _noun_phrase(s: str) -> str:
    """The counted noun phrase: words up to the first verb, adverb, preposition … after a
    noun (伊朗民众走上街头 -> 伊朗民众, 目标实施迅猛打击 -> 目标)."""
    if len(s) <= 2:
        return s
    out, seen_noun = [], False
    tags = _posseg(s)
    for w, flag in tags:
        if seen_noun and (flag.startswith(_CUT_FLAGS) or flag == "vn" or w in ("的", "之")
                          or (flag in ("d", "ad") and len(w) == 1)):
            break
        out.append(w)
        if flag.startswith(("n", "j", "l")) or flag in ("vn", "an", "nz", "eng"):
            seen_noun = True
    return "".join(out) or s


def _inherit(clause_start: int, s_start: int, si: int, ctx: _Ctx, from_clause: bool) -> str | None:
    """Subject of a 其中-item: the previous clause's object, or the previous sentence's topic."""
    text = ctx.text
    if from_clause and clause_start > s_start:
        prev = text[s_start:clause_start - 1]
        prev = re.split(r"[，,；;：:]", prev)[-1] if prev else ""
        if prev:
            return _clean_before(prev) or None
    return _topic_of_sentence(si - 1, ctx)


def _usable(e: Entity, ctx: _Ctx) -> bool:
    """Not in a 《title》, not the source of reported speech or of the figures (…发布的
    报告显示, …的预测值, …收到), not in a 根据-clause, not the agent of a 由…主办 phrase
    (worked out once per entity span and label of the document)."""
    key = (e.start, e.end, e.label)
    ok = ctx.usable.get(key)
    if ok is None:
        ok = ctx.usable[key] = _usable_here(e, ctx)
    return ok


def _usable_here(e: Entity, ctx: _Ctx) -> bool:
    """:func:`_usable`, worked out."""
    text = ctx.text
    if _in_regions(e.start, e.end, ctx.titles):
        return False
    if REPORT_VERBS.match(text[e.end:e.end + 6]):
        return False
    end = _surface_end(e, ctx)  # 韩国+央行的预测值
    ce = _clause_end(text, end, 40)
    if SOURCE_AFTER.match(text[end:ce]) or REPORT_VERBS.match(text[end:end + 6]):
        return False
    cs = _clause_start(text, max(0, e.start - 60), e.start)
    # the agent of a 由…(共同)主办 phrase: 由青岛市政府和工信部…共同主办的大会
    if "由" in text[cs:e.start]:
        ce = _clause_end(text, e.end, 60)
        if AGENT_VERBS.search(text[e.end:ce]):
            return False
    if BASIS_CLAUSE.match(text[cs:e.start].strip()):
        return False
    return True


def _entities_in(lo: int, hi: int, ctx: _Ctx) -> list[Entity]:
    return [e for e in ctx.starting(lo, hi) if e.end <= hi and _usable(e, ctx)]


def _entity(q: Quantity, before_span, after_span, clause_start, s_start, ctx: _Ctx):
    return _entity_choice(q, before_span, after_span, clause_start, s_start, ctx)


ORG_TAIL = re.compile(r"^(?:股份有限公司|有限责任公司|有限公司|分公司|子公司|公司|集团|慈善总会|总会|协会|基金会|研究院|"
                      r"研究所|医院|大学|学院|派出所|管委会|委员会)")


def _entity_surface(e: Entity, ctx: _Ctx) -> str:
    """The entity as written in full: names written together (融创 + 华中, 康美包 + 苏州公司)
    and an organisation word right after a name (美的 + 集团, 湖北省 + 慈善总会)."""
    end = _surface_end(e, ctx)
    return nospace(ctx.text[e.start:end]) if end != e.end else e.text


def _surface_end(e: Entity, ctx: _Ctx) -> int:
    text = ctx.text
    end = e.end
    for k in range(bisect.bisect_left(ctx.ent_starts, end), len(ctx.entities)):
        f = ctx.entities[k]
        if f.start == end and f.label != "PERSON" and e.label != "PERSON" \
                and not (f.label == "PLACE" and e.label != "PLACE"):
            end = f.end
        elif f.start > end:
            break
    m = ORG_TAIL.match(text[end:end + 8]) if e.label != "PERSON" else None
    if m:
        end += m.end()
    return end


ANAPHOR = re.compile(r"(?:该|这家|此)(公司|集团|企业|银行|医院|学校|机构|部门)")


def _entity_choice(q: Quantity, before_span, after_span, clause_start, s_start, ctx: _Ctx):
    text = ctx.text
    # an age belongs to the person named with it: 68岁的村民邵泽林, 李明今年61岁
    if q.unit == "岁":
        for e in ctx.starting(clause_start, q.end + 8):
            if e.label == "PERSON" and (q.end <= e.start <= q.end + 8 and e.end <= after_span[1] + 8
                                        and not any(c in CLAUSE_END for c in text[q.end:e.start])
                                        or clause_start <= e.start and e.end <= q.start):
                return e
    # 该公司 refers to the last organisation named before it (…旗下朝云集团…，该公司共…)
    m = None
    for m in ANAPHOR.finditer(text, clause_start, q.start):
        pass
    if m is not None:
        lo = ctx.sentences[max(0, _sentence_of(s_start, ctx) - 1)][0]
        orgs = [e for e in ctx.starting(lo, m.start()) if e.end <= m.start()
                and e.label in ("COMPANY", "ORG", "GOV") and _usable(e, ctx)]
        if orgs:
            return orgs[-1]
    # (1) the phrase before the number is an entity (其中，胶州市11件)
    bs, be = before_span
    phrase = text[bs:be].strip()
    in_list = text[bs - 1:bs] in ("、", "和", "与", "及") and any(e.end == bs - 1 for e in ctx.covering(bs - 2, bs - 1))
    if phrase and not in_list:
        for e in ctx.starting(bs - 1, min(bs + 1, be)):
            if text[e.start:e.end].strip() == phrase:
                return e
        if ctx.cues and _is_entityish(before_span, ctx):
            return nospace(phrase)
    if not ctx.entities:
        return None
    # (2) the counted noun starts with an entity (18家德国企业)
    if q.kind != "rank" or after_span[1] > after_span[0]:
        for e in ctx.starting(q.end, q.end + 1):
            # the counted noun is the entity's type, not the entity itself (56座英苗书屋)
            if e.end < after_span[1] and _usable(e, ctx):
                return e
    # (1b) the possessor right before 的 + number: 带着太平庄中心小学的6个孩子
    if q.kind != "rank":
        for e in ctx.starting(clause_start, q.start):
            if e.end == q.start - 1 and text[e.end] == "的" and _usable(e, ctx) \
                    and text[e.start - 1:e.start] not in ("在", "于", "、", "和", "与", "及"):
                return e
    # entities listed as members of the counted set (A、B、C等20余家企业, 湖北、湖南、江西3省)
    # are not what it is about
    skips = [_enumeration(clause_start, q.start, ctx), _listed_before(clause_start, q.start, ctx)]
    # ... or before a count right before the number (湖北、湖南、江西3省11座城市)
    m = re.search(r"[0-9０-９零〇一二两三四五六七八九十百千万]+[\u4e00-\u9fff]$", text[clause_start:q.start])
    if m:
        skips.append(_listed_before(clause_start, clause_start + m.start(), ctx))
    skips += _enumerations(s_start, q.start, ctx)

    def kept(e: Entity) -> bool:
        if text[e.end:e.end + 1] in ("和", "与", "及", "、") and e.end + 1 == q.start:
            return False  # 洲际联合会和155个会员协会: another member of the object
        if q.kind == "rank" and text[e.start - 1:e.start] == "在" and "中" in text[e.end:q.start]:
            return False  # the scope of a rank: 在经合组织36个成员国中…排名第一
        return not any(a <= e.start < b for a, b in skips)

    # (3) first entity of the clause, unless the clause continues a 其中 list
    clause = text[clause_start:q.start].strip()
    qizhong = clause.startswith("其中")
    if not qizhong:
        ents = [e for e in _entities_in(clause_start, q.start, ctx) if kept(e)]
        if ents:
            return _head(ents, ctx)
    # (4) first entity of the sentence part (up to ；) before the number (before the 其中
    # clause), unless the clause opens with a scope word (全球有1.2亿武术爱好者)
    if _strip_lead(clause).startswith(SCOPE_WORDS) or clause.startswith(SCOPE_WORDS):
        return None
    part = max(s_start, text.rfind("；", s_start, clause_start) + 1)
    hi = clause_start if qizhong else q.start
    ents = [e for e in _entities_in(part, hi, ctx) if kept(e)]
    if not ents and qizhong:  # nothing before the 其中 clause names it: its one entity (其中台胞来大陆…)
        ents = [e for e in _entities_in(clause_start, q.start, ctx) if kept(e)]
        ents = ents if len(ents) == 1 else []  # not one of the members it lists (其中上海、北京…位列前五)
    if not ents:
        return None
    # (4a) the topic changed: the nearest clause before the number's that opens with an
    # entity names the new topic (李某某开枪，刘海旺当场牺牲，年仅49岁 -> 刘海旺)
    for e in reversed(ents):
        if e.start > ents[0].start and e.start == _clause_start(text, part, e.start) \
                and e.start < clause_start:
            return _head([x for x in ents if x.start >= e.start], ctx)
    return _head(ents, ctx)


def _head(ents: list[Entity], ctx: _Ctx) -> Entity:
    """The first of ``ents``, or the entity it modifies.  An entity right after a 的 that
    closes a modifier starting at the first one, in the same clause, is the head of the phrase
    (刘海旺生前所在的哈毕日嘎乡派出所, 冰川以南约100公里处的色林错), unless a verb stands before
    the 的 (a predicate, not a modifier) or a noun follows it (a modifier itself); a place is not
    the head of a modifier that starts with something other than a place.  A person whose title
    (from the officials) is the first entity and what follows it is the head too, unless the
    person's clause reports speech."""
    text = ctx.text
    first = ents[0]
    for e in ctx.starting(first.end, first.end + 16):  # before or after the number
        if not _usable(e, ctx):
            continue
        between = text[first.end:e.start]
        if len(between) > 16 or any(c in CLAUSE_END for c in between):
            break
        # a person named after a title that holds the first entity (美国国务卿蓬佩奥), unless
        # the person speaks: what follows is what the body says (韩国总统文在寅…表示，政府将…)
        if e.label == "PERSON" and first.label != "PERSON" and between.strip() \
                and nospace(text[first.start:e.start]) in ctx.titles_of.get(nospace(e.text), ()):
            if not SPEECH_END.search(text[e.end:_clause_end(text, e.end, 80)]):
                return e
        if between.rstrip(QUOTE_OPEN).endswith("的") and (e.label != "PLACE" or first.label == "PLACE") \
                and not _modifies_noun(e, ctx) \
                and not any(f.startswith("v") for _, f in _posseg(between.rstrip(QUOTE_OPEN)[:-1])):
            return e  # no verb between: a modifier, not a predicate (冰川位于羌塘西北部的双湖县)
    return first


def _modifies_noun(e: Entity, ctx: _Ctx) -> bool:
    """A noun follows the entity: it is a modifier itself (的德国企业), not a head."""
    end = _surface_end(e, ctx)
    words = _posseg(ctx.text[end:end + 6])
    return bool(words) and words[0][1].startswith(("n", "j", "vn")) and words[0][1] != "nr"


def _listed_before(clause_start: int, pos: int, ctx: _Ctx) -> tuple[int, int]:
    """Two or more entities joined by 、/和/与/及 right before the number: the members of
    what it counts (湖北、湖南、江西3省, 随州与吉安2所学校, “缅甸”、“中国”两个英文单词)."""
    text = ctx.text
    k = pos
    while k > clause_start and text[k - 1] in "约超近逾共计 ":
        k -= 1
    if text.endswith("等", 0, k) or text.endswith("的", 0, k):
        k -= 1
    j, count = k, 0
    ends = {e.end: e for e in ctx.starting(clause_start, pos) if e.end <= pos}
    while j > clause_start:
        jj = j - 1 if text[j - 1] in QUOTE_CLOSE else j
        e = ends.get(jj)
        if e is None:
            break
        count += 1
        j = e.start - 1 if e.start > 0 and text[e.start - 1] in QUOTE_OPEN else e.start
        if j > clause_start and text[j - 1] in "、和与及":
            j -= 1
            continue
        break
    return (j, k) if count >= 2 else (0, 0)


def _enumerations(lo: int, hi: int, ctx: _Ctx) -> list[tuple[int, int]]:
    """Lists ``A、B等地`` of two or more entities in the sentence: examples, not the topic."""
    text = ctx.text
    out = []
    for m in re.finditer(r"等(?:地|国|城市|省份|省|市|单位|部门|企业|机构|高校|院校|学校|医院|媒体|平台|公司)?", text[lo:hi]):
        k = lo + m.start()
        span = _listed_before(lo, k, ctx)
        if span != (0, 0):
            out.append((span[0], k))
        elif m.group(0) != "等":  # one example of a kind: 来自中国科学院等单位的科研人员
            out += [(e.start, k) for e in ctx.starting(max(lo, k - ctx.ent_span), k) if e.end == k]
    return out


def _enumeration(clause_start: int, pos: int, ctx: _Ctx) -> tuple[int, int]:
    """The span of an enumeration ``A、B、C等`` that ends right before the number at ``pos``,
    starting after the verb that introduces it (选取胶州湾…、…等12件规章); (0, 0) if none."""
    text = ctx.text
    k = pos
    while k > clause_start and text[k - 1] in "约超近逾 ":
        k -= 1
    if k <= clause_start or text[k - 1] != "等":
        return 0, 0
    first = text.find("、", clause_start, k)
    if first < 0:
        return 0, 0
    head = text[clause_start:first]
    start = clause_start
    for v in CUT_VERBS:
        j = head.rfind(v)
        if j >= 0:
            start = max(start, clause_start + j + len(v))
    return start, k


def _trim_time(text: str, s: int, e: int) -> tuple[int, int]:
    """从 belongs to a time only with 起 (从今年1月1日起); 到 only at a clause start
    (到2025年，…), not after a verb (提高到三季度)."""
    if text.startswith("从", s) and text[e - 1] != "起":
        s += 1
    elif text.startswith("到", s) and CHANGE_TAIL.search(text[max(0, s - 8):s] + "到"):
        s += 1
    return s, e


def _time(q: Quantity, s_start: int, ctx: _Ctx, s_end: int | None = None) -> tuple[int, int] | None:
    """The nearest time before the number in its sentence; else the first one after it
    (…30吨马铃薯预计将于27日运抵)."""
    best = None
    after = None
    for k in range(bisect.bisect_left(ctx.time_starts, min(s_start, q.start)), len(ctx.times)):
        ts, te = ctx.times[k]
        if ts >= q.start:
            if after is None and ts >= q.end and (s_end is None or te <= s_end) \
                    and not any(c in CLAUSE_END for c in ctx.text[q.end:ts]):
                after = (ts, te)
            if after is not None or (s_end is not None and ts >= s_end):
                break
            continue
        if ts >= s_start and te <= q.start:
            best = (ts, te)
    return best or after


# ------------------------------------------------------------------ time resolution

_jio = None


def _jionlp():
    global _jio
    if _jio is None:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                import jionlp  # noqa: WPS433 (slow import, banner on stdout)
            _jio = jionlp
        except Exception:  # pragma: no cover - jionlp missing or broken
            _jio = False
    return _jio


@lru_cache(maxsize=4096)
def resolve_time(expr: str, doc_date: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """``(start, end)`` dates of a time expression, relative forms against ``doc_date``."""
    e = expr.strip()
    if e in ("目前", "当前", "至今"):
        return (doc_date, doc_date) if doc_date else (None, None)
    if e == "截至目前":
        return (None, doc_date)
    if e in ("年内", "年底前") and doc_date:
        return dt.date(doc_date.year, 1, 1), dt.date(doc_date.year, 12, 31)
    if e.startswith("截至"):
        s, t = resolve_time(e[2:], doc_date)
        return (None, t)
    if e.endswith("以来") and len(e) > 2:
        s, _ = resolve_time(e[:-2], doc_date)
        return (s, doc_date)
    m = re.fullmatch(r"(\d{4})年度?", e)
    if m:
        y = int(m.group(1))
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    if doc_date is None and not re.match(r"\d{4}年", e):
        return None, None
    jio = _jionlp()
    if not jio:
        return None, None
    base = doc_date or dt.date.today()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            r = jio.parse_time(e, time_base={"year": base.year, "month": base.month, "day": base.day})
        t = r.get("time") if isinstance(r, dict) else None
        if isinstance(t, list) and len(t) == 2:
            return _date(t[0]), _date(t[1])
    except Exception:  # jionlp raises ValueError on what it cannot parse
        pass
    return None, None


def _date(s) -> dt.date | None:
    try:
        d = dt.date.fromisoformat(str(s)[:10])
        return d if 1 <= d.year <= 9999 else None
    except ValueError:
        return None


__all__ = ["FactStage", "FactSettings", "extract_facts", "resolve_time"]
