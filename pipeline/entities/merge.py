"""Resolving candidate spans: Cand, the longest-span-wins resolve, the guideline exclusions and the model-span merge.

Rule candidates (tiers 2-6) are resolved together: the **longest span wins**,
ties go to the higher tier, and nothing nests (a place inside an organisation
name is part of that name).  Byline spans are always kept.  Model spans are
added only where they do not overlap a rule span; a model organisation span may
swallow gazetteer PLACE spans when it ends in a known organisation suffix that is
not the start of a longer word (not ``…管理办`` of ``管理办法``).
Finally the guideline exclusions drop ``青``, deictic words (``我市``, ``全市``,
``本报``, ``全国`` ...) and generic references (``链主企业``).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from .chars import LABELS, ORG_LABELS, _PUNCT, nospace
from .gazetteers import common_words


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



def _overlaps(a: Cand, b: Cand) -> bool:
    return a.start < b.end and b.start < a.end


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


class ModelMerge:
    """Part of :class:`~pipeline.entities.stage.EntityStage`: the guideline exclusions and the
    merge of the backend's spans with the rule spans (uses ``res``, ``settings``, ``backend_name``)."""

    def _acceptable(self, text: str, c: Cand) -> bool:
        t = nospace(text[c.start:c.end])
        # guideline exclusions: 青 (one character), deictic words and generic references
        return len(t) >= 2 and t not in self.res.not_entities and not self._abbreviations(t)

    def _abbreviations(self, t: str) -> bool:
        """Only one-character abbreviations (中缅, 美伊, 中美欧) or one + 方 (中方, 缅方): never an entity."""
        ab = self.res.one_char_abbrev
        if not ab or len(t) > 4:
            return False
        body = t[:-1] if t.endswith("方") else t
        return len(body) >= 1 and all(ch in ab for ch in body) and (len(body) >= 2 or t.endswith("方"))

    _GENERIC_HEADS = ("企业", "机构", "部门", "单位", "行业", "产业", "厂商", "平台")

    # characters of the standard transliteration of foreign names (卡梅伦, 格奥尔基耶娃, 蓬佩奥)
    _TRANSLIT = set("阿埃艾爱安昂奥澳巴拜班邦保鲍贝本比彼毕宾波伯博布查达大戴丹道德登迪蒂丁东杜敦多厄恩尔"
                    "法凡范菲费芬丰冯弗伏福盖甘冈高戈哥格根贡古瓜圭哈海汉豪赫黑亨洪胡华霍基吉加贾杰金卡凯坎"
                    "康考柯科克肯库夸奎拉莱赖兰朗劳勒雷蕾里理丽利莉廉良列林琳隆卢鲁路伦罗洛玛马迈麦曼芒梅门"
                    "蒙米密明莫姆穆纳娜奈南内妮尼涅宁纽努诺欧帕潘佩彭皮普齐奇恰乔切钦琼丘萨塞赛桑瑟森沙莎尚舍"
                    "什施斯松苏索塔泰坦汤唐特提图托瓦万旺威韦维温文沃乌伍武西希锡谢辛休雅亚延扬耶伊因尤于约"
                    "扎泽詹珍佐娃丝尤迦逊梭梵陀妥夫牟释肖芙茨霍"
                    # and those used in at least 4 distinct '·'-written foreign names of the MSRA,
                    # CLUENER and Weibo training sets that the list above lacked (克林顿, 约翰森)
                    "瑞兹默卜史佛得翰易顿滕昆摩"
                    # and of common transliterations it still lacked (若斯潘, 亚当斯, 加缪)
                    "若当缪")
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
                          "后荆红游竺权逯盖益桓公岳帅缑亢况佘佟商墨哈谯笪年阳回汝固顿覃蔺"
                          # rarer surnames of people in the news (恽代英, 萨本栋, 溥仪, 冼星海, 粟裕, 迟浩田)
                          "恽萨溥钦冼粟揭邸亓仝眭郄赫朴尉付苟佴楚迟庹练")
    # names without a surname a model PERSON may start with: Tibetan given names (丹增, 多吉才让,
    # 扎西次仁) and frequent Japanese family names that start with no Chinese surname (佐藤, 铃木)
    _NAME_HEADS = ("丹增", "多吉", "才让", "扎西", "次仁", "卓玛", "格桑", "达瓦", "尼玛", "平措", "顿珠", "洛桑",
                   "央金", "白玛", "索朗", "德吉", "拉姆", "旺堆", "普布", "边巴", "次旦", "强巴", "益西", "嘉措",
                   "仁青", "罗布", "巴桑", "群培", "贡嘎", "桑珠", "才旦", "多杰", "坚参", "旦增", "央宗", "玉珍",
                   "佐藤", "铃木", "渡边", "中村", "小林", "加藤", "山本", "山田", "佐佐木", "木村", "斋藤", "清水",
                   "山口", "桥本", "阿部", "小川", "前田", "冈田", "后藤", "长谷川", "村上", "近藤", "坂本", "远藤",
                   "青木", "藤田", "西村", "福田", "太田", "三浦", "藤原", "冈本", "中川", "中野", "小野", "竹内",
                   "大野", "丸山", "今井", "河野", "藤井", "上野", "杉山", "小泉", "菅原", "久保", "千叶", "樱井",
                   "木下", "野口", "野村", "新井", "中岛", "中曾根", "二阶堂", "小渊", "细川", "宫泽", "羽田")
    _FAMILIAR = re.compile(r"^.(?:老汉|老伯|伯伯|大爷|大娘|大妈|大婶|阿姨|奶奶|爷爷|叔叔|婶婶|师傅|老师|总|工)$")
    # a form of address right after a name says it is one (小平同志, 樱内义雄先生)
    _ADDRESS_AFTER = ("同志", "先生", "女士", "夫人", "小姐", "阁下")

    def _person_context(self, text: str, s: int, e: int) -> bool:
        """The words around a model PERSON say it is a person: an @-mention (``回复@晓艾:``) or a
        speech verb right after it (``三毛说``, see ``person_cues_after``)."""
        if s > 0 and text[s - 1] in "@＠":
            return True
        return any(text.startswith(cue, e) for cue in self.res.person_cues_after)

    def person_ok(self, t: str, after: str = "") -> bool:
        """A model PERSON worth keeping: a Chinese name (known surname), a Tibetan or Japanese
        one (:attr:`_NAME_HEADS`), an anonymised one
        (``王某``, ``韩某某``), a foreign one (written with ``·``/``-``/``—``, in Latin letters, or in
        transliteration characters), any name followed by a form of address (``after``, the text
        after it: ``小平同志``), but not a surname with a kinship or familiar term (``严老汉``)."""
        r = self.res
        if self._FAMILIAR.match(t):
            return False
        if after.startswith(self._ADDRESS_AFTER):
            return True
        if t[0] in r.surnames or t[:2] in r.compound_surnames or (t[0] in self._MODEL_SURNAMES and len(t) <= 4):
            return True
        if t.startswith(self._NAME_HEADS) and len(t) <= 6:
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
        # organisation's end), unless its last two characters are a word themselves (美国国会 +
        # 议员, 以色列国议会 + 议长: 国会, 议会)
        if (m.label in ORG_LABELS and text[e - 1:e + 1] in common_words()
                and text[e - 2:e] not in common_words()):
            return False
        if all(c.method in self._YIELDS_TO_MODEL for c in clash):
            return True
        # a model organisation ending in a known suffix may swallow gazetteer places
        return (m.label in ORG_LABELS and any(t.endswith(suf) for suf in r.suffixes) and
                all(c.label == "PLACE" and c.method.startswith("gazetteer") for c in clash))

    def _merge_model(self, text: str, chosen: list[Cand], spans: list[tuple[int, int, str]]) -> list[Cand]:
        r = self.res
        out: list[Cand | None] = list(chosen)  # None where a model span replaced the span
        # the kept spans by start (``order``: their indices in ``out``), so that the spans a model
        # span overlaps are found without trying them all: those starting less than the
        # longest span's length before it
        order = sorted(range(len(out)), key=lambda i: out[i].start)
        starts = [out[i].start for i in order]
        longest = max((c.length for c in chosen), default=0)
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
                if st.model_surname_check and label == "PERSON" and not self.person_ok(t, text[e:e + 2]) \
                        and not self._person_context(text, s, e):
                    continue
            m = Cand(s, e, label, method, 1)
            near = range(bisect.bisect_left(starts, s - longest), bisect.bisect_left(starts, e))
            hits = [k for k in near if _overlaps(out[order[k]], m)]
            if hits and not self._model_wins(text, m, t, [out[order[k]] for k in hits]):
                continue
            for k in reversed(hits):
                out[order[k]] = None
                del order[k], starts[k]
            k = bisect.bisect_right(starts, s)
            order.insert(k, len(out))
            starts.insert(k, s)
            out.append(m)
            longest = max(longest, m.length)
        return sorted((c for c in out if c is not None), key=lambda c: c.start)
