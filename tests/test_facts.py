"""The facts stage: which mentions are facts, and their subject, entity and time."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.facts import FactSettings, FactStage, extract_facts, resolve_time
from pipeline.records import Document, Entity, Sentence
from pipeline.stage import Analysis, RunContext

DATE = dt.date(2024, 4, 28)


def ents(text, *spec):
    """Entity records for (surface, label) pairs, found left to right in ``text``."""
    out, pos = [], 0
    for surface, label in spec:
        s = text.index(surface, pos)
        out.append(Entity("d", "s", s, s + len(surface), surface, label, "test", entity_id=f"id:{surface}"))
        pos = s + 1
    return out


def facts(text, entities=(), date=DATE, **kw):
    return extract_facts(text, None, entities, date, FactSettings(**kw))


def texts(text, **kw):
    return [f.text for f in facts(text, **kw)]


# ---------------------------------------------------------------- exclusions

@pytest.mark.parametrize("text", [
    "2024年，全市经济稳步增长。",
    "4月28日上午举行。",
    "督察组受理举报电话时间：每天8时至20时",
    "信访举报件要在3天内反馈。",
    "明确了未来三年行动目标。",
    "向我市交办第十九批信访举报件。",
    "山东省第一生态环境保护督察组进驻。",
    "专门举报电话：0532-86718475",
    "专门邮政信箱：青岛市A053邮箱",
    "市南区香港中路167号彩虹花园小区",
    "供应链融资RCEP-ABS等系列签约",
    "青岛市2024年“一起益企”中小微企业服务行动",
    "举办了一场“百场万企 校企牵手”产学研对接",
    "开展“一周一策”“专家在线”等活动",
    "从一家远道而来的广东企业身上，就能看出一二。",
    "诞生一批优质影视作品。",
    "有一条长的排水沟。",
    "千家万户受益。",
    "发布《关于支持100家企业发展的若干措施》。",
    "建设5G基站。",
    "扣好人生第一粒扣子。",
    "选取胶州湾第二海底隧道管理项目。",
    "崂山区文化和旅游局四级调研员于伟东说。",
])
def test_not_facts(text):
    assert texts(text) == []


def test_numbers_inside_entities_are_skipped():
    text = "青岛第一中学举办活动。"
    assert texts(text) == []
    e = ents(text, ("青岛第一中学", "ORG"))
    assert facts(text, e) == []


def test_arabic_one_is_a_count_but_chinese_one_is_indefinite():
    assert texts("涉及10个区（市），1个驻青企业。") == ["10个", "1个"]
    assert texts("一家企业和两家机构") == ["两家"]


# ---------------------------------------------------------------- values, bounds, ranges

def test_fields_of_a_money_fact():
    f = facts("2023年海信集团采购规模约170亿元。", ents("2023年海信集团采购规模约170亿元。", ("海信集团", "COMPANY")))[0]
    assert (f.text, f.value, f.unit, f.kind, f.bound) == ("约170亿元", 1.7e10, "元", "money", "approx")
    assert (f.subject, f.entity, f.entity_id, f.time) == ("采购规模", "海信集团", "id:海信集团", "2023年")
    assert (f.time_start, f.time_end) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert f.base_value == 1.7e10 and f.base_unit == "元"
    assert f.sentence == "2023年海信集团采购规模约170亿元。"


def test_range_fact():
    f = facts("计划新增10至20家门店。")[0]
    assert (f.value, f.value_low, f.value_high, f.bound, f.unit) == (10, 10, 20, "range", "家")
    assert f.subject == "门店"


def test_area_base_unit():
    f = facts("该基地总占地面积32平方公里。")[0]
    assert f.base_value == 32e6 and f.base_unit == "平方米" and "总占地面积" in f.subject


# ---------------------------------------------------------------- subject

@pytest.mark.parametrize("text,mention,subject", [
    ("青岛已累计培育6835家专精特新中小企业。", "6835家", "专精特新中小企业"),
    ("全球市场占有率35%以上。", "35%以上", "全球市场占有率"),
    ("累计接待剧组300余个，备案项目380个。", "300余个", "剧组"),
    ("累计接待剧组300余个，备案项目380个。", "380个", "备案项目"),
    ("吸引观众68万人次。", "68万人次", "观众"),
    ("占省内配套供应商规模的80%。", "80%", "占省内配套供应商规模"),
    ("将创新实施“六大工程”。", "六大", "工程"),
    ("德国已成为青岛的第一大贸易伙伴。", "第一大", "贸易伙伴"),
    ("在纳入统计的197个城市中排名靠前。", "197个", "城市"),
    ("18家德国企业和20余家青岛企业面对面洽谈。", "18家", "德国企业"),
    ("排水沟长约35米、宽约0.3米。", "约0.3米", "宽"),
])
def test_subject(text, mention, subject):
    f = next(f for f in facts(text) if f.text == mention)
    assert f.subject == subject


def test_subject_of_a_qizhong_list_comes_from_the_previous_sentence():
    text = "本批交办的信访举报件共涉及10个区（市）。其中，胶州市11件、即墨区9件。"
    fs = [f for f in facts(text) if f.unit == "件"]
    assert [f.subject for f in fs] == ["信访举报件", "信访举报件"]
    assert [f.entity for f in fs] == ["胶州市", "即墨区"]  # suffix cues without an entity stage


def test_rank_subject_skips_scope_word():
    f = facts("青岛展览业发展综合指数位居全国第六")[0]
    assert f.kind == "rank" and f.subject == "青岛展览业发展综合指数"


def test_rank_in_qizhong_clause_takes_previous_clause():
    text = "通过核算确定综合指数排行榜，其中上海、北京、广州位列前五。"
    e = ents(text, ("上海", "PLACE"), ("北京", "PLACE"), ("广州", "PLACE"))
    f = facts(text, e)[0]
    assert f.subject == "综合指数排行榜" and f.entity is None and f.bound == "upper"


# ---------------------------------------------------------------- entity

def test_entity_is_first_entity_of_clause():
    text = "广东顺威精密塑料股份有限公司是头部企业，空调风叶的全球市场占有率35%以上。"
    f = facts(text, ents(text, ("广东顺威精密塑料股份有限公司", "COMPANY")))[0]
    assert f.entity == "广东顺威精密塑料股份有限公司"


def test_entity_of_counted_noun():
    text = "18家德国企业和20余家青岛企业面对面洽谈。"
    fs = facts(text, ents(text, ("德国", "PLACE"), ("青岛", "PLACE")))
    assert [f.entity for f in fs] == ["德国", "青岛"]
    assert fs[0].place == "德国"


def test_entity_skips_sources_titles_and_agents():
    text = "工信部数据显示，九成专精特新企业为大企业配套。"
    assert facts(text, ents(text, ("工信部", "GOV")))[0].entity is None
    text = "会上发布的《青岛市行动方案》提出了15项具体举措。"
    assert facts(text, ents(text, ("青岛市", "PLACE")))[0].entity is None
    text = "这场由青岛市政府共同主办的大会，同步举办三个专场对接。"
    assert facts(text, ents(text, ("青岛市政府", "GOV")))[0].entity is None


def test_entity_skips_enumerated_members():
    text = "青岛选出海尔、海信等20余家企业参加。"
    e = ents(text, ("青岛", "PLACE"), ("海尔", "COMPANY"), ("海信", "COMPANY"))
    assert facts(text, e)[0].entity == "青岛"
    text = "选取胶州湾隧道管理、全民阅读促进等12件规章。"
    assert facts(text, ents(text, ("胶州湾", "PLACE")))[0].entity is None


def test_no_entity_without_entity_stage():
    assert facts("海信集团发布了20多项需求。")[0].entity is None


# ---------------------------------------------------------------- time

def test_time_nearest_before_and_resolved():
    text = "根据2024年制定地方性法规计划，年内还将推动制定修订5件地方性法规。"
    f = facts(text)[0]
    assert f.time == "年内" and (f.time_start, f.time_end) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    f = facts("今年一季度，青岛共举办展会活动48场。")[0]
    assert f.time == "今年一季度" and (f.time_start, f.time_end) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    f = facts("截至目前，基地已集聚影视企业超千家。")[0]
    assert f.time == "截至目前" and f.time_end == DATE


def test_time_ignores_dateline_titles_and_durations():
    assert facts("本报4月28日讯 现场核查组194人共分34个组。")[0].time is None
    assert facts("本报4月28日讯 4月27日，督察组交办信访举报件46件。")[0].time == "4月27日"
    assert facts("明确了未来三年目标，实施“六大工程”。")[0].time is None
    assert facts("《2023年度报告》涵盖15项指标。")[0].time is None


def test_resolve_time_without_date():
    assert resolve_time("今年", None) == (None, None)
    assert resolve_time("2023年", None) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


# ---------------------------------------------------------------- settings and stage

def test_settings_forbid_unknown_keys():
    with pytest.raises(Exception):
        FactSettings(unknown=1)


def test_kind_filter_and_ranks_switch():
    text = "青岛以207场展览居全国综合排名第六位。"
    assert [f.kind for f in facts(text)] == ["count", "rank"]
    assert [f.kind for f in facts(text, ranks=False)] == ["count"]
    assert [f.kind for f in facts(text, kinds=["rank"])] == ["rank"]


@pytest.mark.parametrize("facts_section, message", [
    ("kinds: [count, mony]",
     "facts.kinds: Value error, unknown kind 'mony' (allowed: count, money, area, length, weight, percent, rank, other)"),
    ("units: [units.yaml]",
     "facts.units: Value error, {tmp}/units.yaml: units.桶: unknown key 'nuon' (allowed: kind, base, factor, written, "
     "not_before, noun)"),
    ("units: [.]", "facts.units: Value error, {tmp}: not a file"),
], ids=["unknown kind", "unknown key in a unit catalogue", "catalogue is a folder"])
def test_settings_that_would_match_nothing_stop_the_run(tmp_path, facts_section, message):
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "in.txt").write_text("青岛已累计培育1906家创新型中小企业。", encoding="utf-8")
    (tmp_path / "units.yaml").write_text("units:\n  桶: {kind: count, nuon: true}\n", encoding="utf-8")
    config = tmp_path / "x.yaml"
    config.write_text(f"stages: [layout, segment, facts]\ninput:\n  paths: [in.txt]\nfacts:\n  {facts_section}\n"
                      "output:\n  dir: out\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {config}: " + message.format(tmp=tmp_path)
    assert not (tmp_path / "out").exists()


def test_user_units_from_config(tmp_path):
    p = tmp_path / "units.yaml"
    p.write_text("units:\n  标箱: {kind: count}\n", encoding="utf-8")
    s = FactSettings.model_validate({"units": [str(p)]})
    f = extract_facts("集装箱吞吐量300万标箱。", settings=s)[0]
    assert (f.value, f.unit) == (3e6, "标箱")
    with pytest.raises(Exception):
        FactSettings.model_validate({"units": [str(tmp_path / "missing.yaml")]})


def test_stage_uses_sentences_and_entities():
    text = "标题\n青岛已累计培育1906家创新型中小企业。"
    doc = Document(doc_id="d", source="s", text=text, date=DATE, offsets=list(range(len(text))), source_text=text)
    item = Analysis(doc, sentences=[Sentence("d", "s", 0, 0, 2, "标题"), Sentence("d", "s", 1, 3, len(text), text[3:])],
                    entities=ents(text, ("青岛", "PLACE")))
    stage = FactStage(FactStage.Settings(), RunContext())
    assert stage.name == "facts"
    out = stage.process([item])
    f = out[0].facts[0]
    assert (f.doc_id, f.source, f.text, f.entity, f.subject) == ("d", "s", "1906家", "青岛", "创新型中小企业")
    assert text[f.start:f.end] == f.text


# ---------------------------------------------------------------- properties

_CHARS = st.characters(blacklist_categories=("Cs",))
_PIECES = st.sampled_from(["约", "超", "多", "余", "万", "亿", "家", "个", "元", "%", "第", "前", "大", "成", "至", "-",
                           "年", "月", "日", "，", "。", "、", "其中", "“", "”", "《", "》", "一", "两", "十", "百", "千",
                           "1", "2", "0", ".", ",", "３", "平方公里", "以上", "左右", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.text(_CHARS, max_size=200))
def test_arbitrary_text_never_raises(text):
    for f in extract_facts(text, doc_date=DATE):
        assert text[f.start:f.end] == f.text
        assert f.value is None or f.value == f.value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(_CHARS, max_size=3)), max_size=40).map("".join))
def test_number_like_text_never_raises(text):
    entities = []
    if len(text) > 4:
        entities = [Entity("d", "s", 1, 3, text[1:3], "PLACE", "test")]
    for f in extract_facts(text, None, entities, DATE):
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start:f.end] == f.text
        assert f.kind in ("count", "money", "area", "length", "weight", "percent", "rank", "other")
        assert f.bound in ("exact", "approx", "lower", "upper")


# ---------------------------------------------------------------- the guidelines' decisions

@pytest.mark.parametrize("text", [
    "65岁以上人口占比上升。",                 # an age threshold that defines a group
    "18岁至25岁青年占比较高。",
    "50岁及以上职工可以报名。",
    "大于5平方公里的水库有12座。",          # a size threshold (only 12座 is a fact)
    "两国领导人举行会谈。",                  # referring numbers
    "这些年两人一直在一起。",
    "两个人的爱好相同。",
    "老两口每天散步。",
    "这三个村庄都通了公路。",
    "上下两院通过法案。",
    "大家五花八门地议论。",                  # idioms and set phrases
    "墙上挂着二十四节气图。",
    "双方重申和平共处五项原则。",
    "这是他第一次出国。",                    # sequence ordinal
    "80元一斤的茶叶",                        # per-unit phrase
    "24小时供电。",                          # duration
    "这些岩石形成于24亿年前。",              # geological age
    "出台“20条措施”支持企业。",             # a quoted policy name
    "2019人均收入提高。",                    # a year without 年 before 人均
    "六部门联合发文。",
    "实现两位数增长。",
])
def test_decision_not_facts(text):
    assert [f.text for f in facts(text) if f.text not in ("12座", "80元")] == []


def test_threshold_leaves_the_counted_fact():
    assert texts("大于5平方公里的水库有12座。") == ["12座"]
    assert texts("80元一斤的茶叶") == ["80元"]


def test_exchange_rate_base_is_not_a_fact():
    assert texts("1美元约合7元人民币。") == ["约合7元"]


@pytest.mark.parametrize("text,mention,value,value_high,unit,kind,bound", [
    ("增速保持在6%—7%。", "6%—7%", 6, 7, "%", "percent", "range"),
    ("湖面温度为零下6摄氏度至零下4摄氏度。", "零下6摄氏度至零下4摄氏度", -6, -4, "摄氏度", "other", "range"),
    ("院子里摆了七八桌。", "七八桌", 7, 8, "桌", "count", "range"),
    ("数百名工人参加了培训。", "数百名", 100, None, "名", "count", "lower"),
    ("村里盖起了几十栋新房。", "几十栋", 10, None, "栋", "count", "lower"),
    ("全国有2.3亿网球爱好者。", "2.3亿", 2.3e8, 2.3e8, None, "count", "exact"),
    ("吸引了近200万游客。", "近200万", 2e6, 2e6, None, "count", "upper"),
    ("付出了800美国人伤亡的代价。", "800", 800, 800, None, "count", "exact"),
    ("山上气温零下15摄氏度。", "零下15摄氏度", -15, -15, "摄氏度", "other", "exact"),
    ("会员中有一半是学生。", "一半", 50, 50, "%", "percent", "exact"),
    ("收入是过去的两倍。", "两倍", 2, 2, "倍", "other", "exact"),
    ("他今年70岁。", "70岁", 70, 70, "岁", "other", "exact"),
    ("嫌犯连开3枪。", "3枪", 3, 3, "枪", "count", "exact"),
    ("双方举行了4轮谈判。", "4轮", 4, 4, "轮", "count", "exact"),
    ("他受到两次表彰。", "两次", 2, 2, "次", "count", "exact"),
    ("每天约有50万吨货物进港。", "约有50万吨", 5e5, None, "吨", "weight", "approx"),
    ("目前大约有300名游客滞留。", "大约有300名", 300, None, "名", "count", "approx"),
    ("球队至少要打三场比赛。", "至少要打三场", 3, None, "场", "count", "lower"),
    ("公司投资人民币800万元。", "人民币800万元", 8e6, 8e6, "元", "money", "exact"),
    ("游客需支付300泰铢。", "300泰铢", 300, 300, "泰铢", "money", "exact"),
    ("增长率为8％。", "8％", 8, 8, "%", "percent", "exact"),
    ("他雇了两个人。", "两个", 2, 2, "个", "count", "exact"),
    ("目前仅有的一座桥已经老化。", "一座", 1, 1, "座", "count", "exact"),
    ("他们一家三口都爱滑雪。", "三口", 3, 3, "口", "count", "exact"),
    ("覆盖湖北、湖南3省20座城市。", "3省", 3, 3, "省", "count", "exact"),
])
def test_decision_facts(text, mention, value, value_high, unit, kind, bound):
    f = [f for f in facts(text) if f.text == mention]
    assert f, texts(text)
    f = f[0]
    assert (f.unit, f.kind, f.bound) == (unit, kind, bound)
    assert f.value == pytest.approx(value)
    assert f.value_high == (pytest.approx(value_high) if value_high is not None else None)


# ---------------------------------------------------------------- scoring of ranges (pipeline.evaluation.extraction)

def _fact_row(s, e, value, unit, kind, bound, **kw):
    return {"start": s, "end": e, "text": "x", "value": value, "unit": unit, "kind": kind, "bound": bound, **kw}


def test_ranges_are_scored_on_value_high_too():
    from pipeline.evaluation.extraction import fact_matches, score_facts

    gold = [_fact_row(0, 5, 4, "%", "percent", "range", value_high=5),
            _fact_row(10, 23, -5, "摄氏度", "other", "range", value_high=-3)]
    pred = [_fact_row(0, 5, 4, "%", "percent", "range", value_high=5),
            _fact_row(12, 18, -5, "摄氏度", "other", "range", value_high=-2),  # wrong high end
            _fact_row(20, 23, -5, "摄氏度", "other", "exact")]  # not a range
    s = score_facts(gold, pred)
    assert (s.prf.tp, s.prf.fp, s.prf.fn) == (1, 2, 1)
    assert not fact_matches(_fact_row(0, 5, 4, "%", "percent", "range", value_high=5),
                            _fact_row(0, 2, 4, "%", "percent", "exact"))
    assert fact_matches(_fact_row(0, 5, 4, "%", "percent", "exact"), _fact_row(1, 3, 4, "%", "percent", "exact"))


# ---------------------------------------------------------------- attribution: time, entity, subject

@pytest.mark.parametrize("text,mention,time", [
    ("去年以来，全市新增企业300家。", "300家", "去年以来"),
    ("此前，该厂裁员200人。", "200人", "此前"),
    ("到2030年，产量将超过500万吨。", "超过500万吨", "到2030年"),
    ("截至3月5日24时，累计报告病例120例。", "120例", "截至3月5日24时"),
    ("春节前夕，超市备货2000吨。", "2000吨", "春节前夕"),
    ("5日上午，车队运来300箱蔬菜。", "300箱", "5日上午"),
    ("从今年1月1日起，外资比例可以达到100%。", "100%", "从今年1月1日起"),
    ("近20年来，冰舌后退了50米。", "50米", "近20年来"),
    ("1998年至2018年，往来总计达1.2亿人次。", "1.2亿人次", "1998年至2018年"),
    ("3月至11月，共开展五大专项行动。", "五大", "3月至11月"),
    ("增速从一季度的3%提高到三季度的8%。", "8%", "三季度"),
    ("40吨蔬菜预计将于28日运抵。", "40吨", "28日"),
    ("游客数量以每年5%的速度增长。", "5%", None),
    ("如今，由当年的一间平房变成了300平方米的楼房。", "300平方米", "如今"),
])
def test_time_expressions(text, mention, time):
    f = next(f for f in facts(text) if f.text == mention)
    assert f.time == time


def test_relative_times_resolve_against_the_article_date():
    assert resolve_time("去年以来", DATE) == (dt.date(2023, 1, 1), DATE)
    assert resolve_time("截至目前", DATE) == (None, DATE)


def test_entity_is_not_the_source_of_the_figures():
    text = "星海研究院最近发布的报告显示，全球设备出货量达500万台。"
    assert facts(text, ents(text, ("星海研究院", "ORG")))[0].entity is None
    text = "东湖银行的预测值为2.3%。"
    assert facts(text, ents(text, ("东湖银行", "COMPANY")))[0].entity is None
    text = "卫生委员会收到30个省累计报告的病例。"
    assert facts(text, ents(text, ("卫生委员会", "GOV")))[0].entity is None


def test_entity_skips_listed_members_and_takes_the_possessor():
    text = "华远集团已布局湖北、湖南、江西3省。"
    e = ents(text, ("华远集团", "COMPANY"), ("湖北", "PLACE"), ("湖南", "PLACE"), ("江西", "PLACE"))
    f = facts(text, e)[0]
    assert (f.entity, f.subject) == ("华远集团", "省")
    text = "李明带着希望小学的6个孩子参加比赛。"
    f = facts(text, ents(text, ("李明", "PERSON"), ("希望小学", "ORG")))[0]
    assert f.entity == "希望小学"


def test_entity_as_written_in_full_and_not_the_counted_type():
    text = "美好集团捐赠300套空调。"
    assert facts(text, ents(text, ("美好", "COMPANY")))[0].entity == "美好集团"
    text = "远山华中联合投资2亿元。"
    assert facts(text, ents(text, ("远山", "COMPANY"), ("华中", "COMPANY")))[0].entity == "远山华中"
    text = "截至去年，已建起56座英苗书屋。"
    assert facts(text, ents(text, ("英苗书屋", "ORG")))[0].entity is None


@pytest.mark.parametrize("text,mention,subject", [
    ("湖泊面积从4万平方公里增加到5万平方公里。", "4万平方公里", "湖泊面积"),
    ("湖泊面积从4万平方公里增加到5万平方公里。", "5万平方公里", "湖泊面积"),
    ("总人口为1.4亿，较上年减少了0.1%。", "0.1%", "总人口"),
    ("投资增速从一季度增长3%，提高到三季度增长8%。", "8%", "投资增速"),
    ("只在门口摆了七八桌。", "七八桌", "桌"),
    ("距离学校有十几公里的路程。", "十几公里", "路程"),
    ("为职工积累6万亿元养老金。", "6万亿元", "养老金"),
    ("数万名市民走上街头。", "数万名", "市民"),
    ("损失达数千万或过亿元。", "过亿元", "损失"),
    ("经济将增长2%，最终预计增长1.5%。", "1.5%", "经济"),
])
def test_subject_patterns(text, mention, subject):
    f = next(f for f in facts(text) if f.text == mention)
    assert f.subject == subject


def test_entity_of_ages_anaphora_and_coordination():
    text = "68岁的村民王大山说，村里很热闹。"
    assert facts(text, ents(text, ("王大山", "PERSON")))[0].entity == "王大山"
    text = "星河集团旗下云帆公司加急生产，截至25日，该公司共捐出价值500万元的物资。"
    e = ents(text, ("星河集团", "COMPANY"), ("云帆公司", "COMPANY"))
    assert [f.entity for f in facts(text, e) if f.text == "500万元"] == ["云帆公司"]
    text = "联合会已拥有洲际联合会和155个会员协会。"
    e = ents(text, ("联合会", "ORG"), ("洲际联合会", "ORG"))
    assert facts(text, e)[0].entity == "联合会"


def test_untagged_repeats_of_an_entity_name_are_used():
    text = "青湖公园开放。如今，青湖公园的游客数量增长了5%。"
    e = ents(text, ("青湖公园", "PLACE"))  # only the first mention tagged
    assert facts(text, e)[0].entity == "青湖公园"


@pytest.mark.parametrize("text,mention,subject", [
    ("基金会捐赠3亿元设立防控基金。", "3亿元", "基金会捐赠"),
    ("公司盘点出价值500万元的消杀产品。", "500万元", "消杀产品"),
    ("村里200多平方米的演出大厅，大家忙着排练。", "200多平方米", "演出大厅"),
    ("村里20户人家，剩下的18户，都来帮忙。", "18户", "人家"),
    ("全市16个乡镇，有一半都办起了晚会。", "一半", "乡镇"),
])
def test_subject_of_measures_and_inherited(text, mention, subject):
    f = next(f for f in facts(text) if f.text == mention)
    assert f.subject == subject


def test_time_keeps_dao_unless_after_a_change_verb():
    assert facts("力争到2030年，市场规模超过1万亿元。")[0].time == "到2030年"
    assert facts("一季度增长3%，提高到三季度的8%。")[1].time == "三季度"


def test_class_names_and_money_without_yuan():
    assert texts("大班和中二班的孩子一起参观。") == []
    f = facts("他家一年收入几十万。")[0]
    assert (f.text, f.value, f.unit, f.kind, f.bound) == ("几十万", 100000, None, "money", "lower")


def test_entity_is_the_head_after_de_not_its_modifier():
    text = "如今，张红旗生前所在的北岭乡派出所变成了面积600平方米的楼房。"
    e = ents(text, ("张红旗", "PERSON"), ("北岭乡派出所", "GOV"))
    assert facts(text, e)[0].entity == "北岭乡派出所"
    text = "云岭冰川以南约80公里处的青木湖，湖面面积扩张到300平方公里。"
    e = ents(text, ("云岭冰川", "PLACE"), ("青木湖", "PLACE"))
    assert [f.entity for f in facts(text, e)] == ["青木湖", "青木湖"]
    # a place that modifies a noun itself is not the head (在东城注册的法国企业)
    text = "目前，在东城注册的法国企业420多家。"
    e = ents(text, ("东城", "PLACE"), ("法国", "PLACE"))
    assert facts(text, e)[0].entity == "东城"


def test_entity_follows_a_change_of_topic():
    text = "在搏斗中，王某举枪连开数枪，李大军当场牺牲，年仅49岁。"
    e = ents(text, ("王某", "PERSON"), ("李大军", "PERSON"))
    assert facts(text, e)[0].entity == "李大军"
    # a clause that does not open with an entity keeps the sentence's topic
    text = "星河集团在东城设立研发中心，投资总额100亿元。"
    e = ents(text, ("星河集团", "COMPANY"), ("东城", "PLACE"))
    assert facts(text, e)[0].entity == "星河集团"


def test_entity_skips_one_example_of_a_kind_and_reads_a_qizhong_clause():
    text = "来自北方科学院等单位的科研人员一行50多人深入冰川考察。"
    assert facts(text, ents(text, ("北方科学院", "GOV")))[0].entity is None
    text = "两地人员往来总计达1.35亿人次，其中游客来东城总计1.04亿人次。"
    f = [f for f in facts(text, ents(text, ("东城", "PLACE"))) if f.text == "1.04亿人次"][0]
    assert f.entity == "东城"
    text = "排行榜发布，其中东城、西城、南城位列前三。"
    e = ents(text, ("东城", "PLACE"), ("西城", "PLACE"), ("南城", "PLACE"))
    assert all(f.entity is None for f in facts(text, e))


def test_entity_before_a_verb_is_the_subject_not_a_modifier():
    text = "云岭冰川位于高原西北部的北山县东北部90公里，面积达420平方公里。"
    e = ents(text, ("云岭冰川", "PLACE"), ("北山县", "PLACE"))
    assert {f.entity for f in facts(text, e)} == {"云岭冰川"}


def test_entity_skips_members_listed_before_a_count_before_the_number():
    text = "华远集团稳步发展，如今已布局湖北、湖南、江西3省11座城市。"
    e = ents(text, ("华远集团", "COMPANY"), ("湖北", "PLACE"), ("湖南", "PLACE"), ("江西", "PLACE"))
    assert [f.entity for f in facts(text, e) if f.text == "11座"] == ["华远集团"]


def test_entity_is_the_person_named_after_a_title_holding_the_first_entity():
    from pipeline.records import Official

    text = "北国外长李大仁取消了前往其他4国的访问。"
    e = ents(text, ("北国", "PLACE"), ("李大仁", "PERSON"))
    off = [Official("d", "s", "李大仁", 4, 7, ["北国外长"], [None])]
    assert extract_facts(text, None, e, DATE, FactSettings(), officials=off)[0].entity == "李大仁"
    assert facts(text, e)[0].entity == "北国"  # without the officials: the first entity
    text = "北国总统李大仁在大会上致辞时表示，政府将在三个方面发力。"
    e = ents(text, ("北国", "PLACE"), ("李大仁", "PERSON"))
    off = [Official("d", "s", "李大仁", 2, 5, ["北国总统"], [None])]
    assert extract_facts(text, None, e, DATE, FactSettings(), officials=off)[0].entity == "北国"
