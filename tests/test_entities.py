"""Entity stage: rules, gazetteers, merging, canonical names, places, officials.

All tests use backend ``none`` or a fake backend, so they do not depend on a
trained model.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from pipeline import registry
from pipeline.entities import EntityStage, entity_id, extract_entities
from pipeline.records import Document
from pipeline.stage import Analysis, RunContext


def ents(text, **kw):
    e, _ = extract_entities(text, **kw)
    return {(x.text, x.label) for x in e}


def find(text, mention, label=None, **kw):
    e, _ = extract_entities(text, **kw)
    hits = [x for x in e if x.text == mention and (label is None or x.label == label)]
    return hits[0] if hits else None


# ----------------------------------------------------------------------------- organisations

@pytest.mark.parametrize("text,mention,label", [
    ("据悉，浙江华宇新材料股份有限公司昨日公告。", "浙江华宇新材料股份有限公司", "COMPANY"),
    ("双方与厦门远航物流有限公司签约。", "厦门远航物流有限公司", "COMPANY"),
    ("会上，南京市政府发布新规。", "南京市政府", "GOV"),
    ("据烟台市生态环境局通报，", "烟台市生态环境局", "GOV"),
    ("由杭州市市场监督管理局牵头。", "杭州市市场监督管理局", "GOV"),
    ("成都市文化和旅游局介绍，", "成都市文化和旅游局", "GOV"),
    ("活动在芝罘区黄务中心小学举行。", "芝罘区黄务中心小学", "ORG"),
    ("中国汽车工业协会发布数据。", "中国汽车工业协会", "ORG"),
    ("江苏省第三生态环境保护督察组进驻。", "江苏省第三生态环境保护督察组", "GOV"),
])
def test_org_suffix_rules(text, mention, label):
    assert (mention, label) in ents(text)


def test_place_inside_org_is_part_of_it():
    found = ents("会上，南京市政府发布新规。")
    assert ("南京市", "PLACE") not in found and ("南京市政府", "GOV") in found


def test_suffix_blockers_and_verbs():
    # 部门 / 举办 are not organisation suffixes
    found = ents("全市各相关部门积极参与，烟台举办了活动。")
    assert not any(label in ("GOV", "ORG") for _, label in found)
    assert ("烟台", "PLACE") in found


def test_adjacent_orgs_split_but_branches_attach():
    found = ents("崂山区综合行政执法大队沙子口街道中队工作人员介绍。")
    assert ("崂山区综合行政执法大队", "GOV") in found
    assert ("沙子口街道中队", "GOV") in found
    assert ("铁塔集团烟台分公司", "COMPANY") in ents("涉及铁塔集团烟台分公司2件。")


# ----------------------------------------------------------------------------- gazetteers, places

def test_divisions_gazetteer_full_and_short():
    found = ents("杭州市和宁波的企业来到绍兴市柯桥区。")
    assert {("杭州市", "PLACE"), ("宁波", "PLACE")} <= found
    assert ("绍兴市柯桥区", "PLACE") in found  # a run of levels is one span


def test_short_county_forms_need_context():
    # 资源 is the short form of 资源县 (桂林市): not a place in an unrelated text
    assert ("资源", "PLACE") not in ents("整合各类资源，服务企业。")


def test_guideline_exclusions():
    found = ents("本报讯 我市企业来青投资，全市、全国的链主企业都参加。")
    texts = {t for t, _ in found}
    for w in ("青", "我市", "全市", "全国", "本报", "链主企业"):
        assert w not in texts


def test_place_before_generic_noun():
    found = ents("18家德国企业和广东企业参加。")
    assert ("德国", "PLACE") in found and ("广东", "PLACE") in found


def test_names_inside_titles_and_doctrine():
    found = ents("会上发布了《成都市物业管理条例》，学习习近平文化思想。")
    assert ("成都市", "PLACE") in found
    assert ("习近平", "PERSON") in found


def test_place_normalisation_by_context():
    text = "青岛市召开会议。市南区、崂山区的代表参加。"
    e = find(text, "市南区", "PLACE")
    assert (e.province, e.city, e.county, e.adcode) == ("山东省", "青岛市", "市南区", "370202")
    city = find(text, "青岛市")
    assert city.adcode == "370200" and city.city == "青岛市" and city.county is None


def test_same_named_town_chosen_by_parent():
    e = find("胶州市洋河镇副镇长张峰表示，", "胶州市洋河镇", "PLACE")
    assert e.adcode == "370281111" and e.county == "胶州市"


def test_address_span():
    found = ents("“市南区香港中路167号彩虹花园小区内幼儿园改动雨水管路”")
    assert ("市南区香港中路167号彩虹花园小区", "PLACE") in found


def test_user_gazetteer(tmp_path):
    g = tmp_path / "mine.tsv"
    g.write_text("name\tlabel\n星河湾科技\tCOMPANY\n", encoding="utf-8")
    found = ents("星河湾科技发布新品。", gazetteers=[str(g)])
    assert ("星河湾科技", "COMPANY") in found


# ----------------------------------------------------------------------------- people, officials

def test_officials_title_chain():
    text = "省委组织部副部长、省人社厅厅长李明华，市委常委、黄岛区委书记赵立新出席活动。"
    e, offs = extract_entities(text)
    by = {o.person: o for o in offs}
    assert by["李明华"].titles == ["省委组织部副部长", "省人社厅厅长"]
    assert by["李明华"].orgs == ["省委组织部", "省人社厅"]
    assert by["赵立新"].titles == ["市委常委", "黄岛区委书记"]
    assert ("李明华", "PERSON") in {(x.text, x.label) for x in e}
    o = by["赵立新"]
    assert text[o.start:o.end] == "赵立新"


def test_officials_titles_without_org_and_honours():
    text = "。市委党校科研部主任、教授，某某宣讲团成员钱文博作专题宣讲。青岛市“最美劳动者”孙丽娜作主题宣讲。"
    e, offs = extract_entities(text)
    by = {o.person: o for o in offs}
    assert by["钱文博"].titles[:2] == ["市委党校科研部主任", "教授"]
    assert by["钱文博"].orgs[1] is None
    assert "孙丽娜" not in by  # an honour is not a title
    assert ("孙丽娜", "PERSON") in {(x.text, x.label) for x in e}


def test_byline_reporters_from_layout_spans():
    text = "标题\n□青岛日报/观海新闻记者 王 凯\n本报讯 正文。王凯说，"
    doc = Document(doc_id="d", source="s", text=text)
    k = text.index("王 凯")
    r = text.index("青岛日报/观海新闻记者")
    doc.reporter_spans = [(k, k + 3, "王凯")]
    doc.byline_roles = [(r, r + 11, "青岛日报/观海新闻记者")]
    stage = EntityStage(EntityStage.Settings(backend="none"), RunContext())
    a = stage.process([Analysis(doc)])[0]
    got = {(x.text, x.label, x.method) for x in a.entities}
    assert ("王 凯", "PERSON", "byline") in got
    assert ("青岛日报", "ORG", "byline") in got and ("观海新闻", "ORG", "byline") in got
    person = [x for x in a.entities if x.text == "王 凯"][0]
    assert person.canonical == "王凯"
    assert [(o.person, o.titles, o.orgs) for o in a.officials] == [("王凯", ["青岛日报/观海新闻记者"], ["青岛日报/观海新闻"])]


def test_byline_in_plain_text():
    e, offs = extract_entities("□大众日报记者 刘 洋 赵阳\n本报济南讯 正文。")
    assert {o.person for o in offs} == {"刘洋", "赵阳"}


# ----------------------------------------------------------------------------- canonical

def test_canonical_short_names():
    text = ("广东顺威精密塑料股份有限公司是头部企业。顺威股份在青岛建厂，为海信配套。"
            "海信集团发布需求，海信表示欢迎。")
    e, _ = extract_entities(text)
    canon = {(x.text, x.canonical) for x in e}
    assert ("顺威股份", "广东顺威精密塑料股份有限公司") in canon
    assert ("海信", "海信集团") in canon
    assert ("青岛", "青岛市") in canon


def test_canonical_across_line_break():
    doc = Document(doc_id="d", source="s", text="出台《青岛\n市海上管理办法》")
    stage = EntityStage(EntityStage.Settings(backend="none"), RunContext())
    a = stage.process([Analysis(doc)])[0]
    # the layout stage joins column breaks; a raw break inside a name is not matched
    assert all(x.text == doc.text[x.start:x.end] for x in a.entities)


# ----------------------------------------------------------------------------- backends, merging

class FakeBackend:
    name = "fake"

    def __init__(self, spans=None, **_):
        self.spans = spans or {}

    def tag(self, texts):
        out = []
        for t in texts:
            found = []
            for mention, label in self.spans.items():
                k = t.find(mention)
                while k != -1:
                    found.append((k, k + len(mention), label))
                    k = t.find(mention, k + 1)
            out.append(found)
        return out


registry.register("ner_backends", "fake", FakeBackend)


def test_model_spans_merged_below_rules():
    spans = {"德中经济、教育和文化协会": "ORG", "南京市政": "GOV", "张三丰": "PERSON", "我市": "PLACE"}
    e, _ = extract_entities("南京市政府与德中经济、教育和文化协会签约，张三丰出席。我市参加。",
                            backend="fake", backend_options={"spans": spans})
    got = {(x.text, x.label, x.method) for x in e}
    assert ("德中经济、教育和文化协会", "ORG", "model:fake") in got
    assert ("南京市政府", "GOV", "regex:org_suffix") in got  # partial overlap: rule wins
    assert ("张三丰", "PERSON", "model:fake") in got
    assert not any(t == "我市" for t, _, _ in got)


def test_model_organisation_swallows_places_only_at_a_word_end():
    """A model organisation ending in a suffix replaces the gazetteer place inside it, but not
    when the suffix runs on into a word (管理办 + 法 = 办法: a law title, not an office)."""
    text = "青岛市政府办发布《青岛市旅游管理办法》。"
    spans = {"青岛市政府办": "GOV", "青岛市旅游管理办": "GOV"}
    e, _ = extract_entities(text, backend="fake", backend_options={"spans": spans})
    got = {(x.start, x.text, x.label) for x in e}
    assert (0, "青岛市政府办", "GOV") in got
    assert (9, "青岛市", "PLACE") in got and not any(t == "青岛市旅游管理办" for _, t, _ in got)


def test_settings_validation():
    with pytest.raises(ValidationError):
        EntityStage.Settings(backend="nope")
    with pytest.raises(ValidationError):
        EntityStage.Settings(unknown_field=1)
    with pytest.raises(ValidationError):
        EntityStage.Settings(gazetteers=["/does/not/exist.tsv"])


def test_entity_ids_stable_and_methods_recorded():
    e1, _ = extract_entities("南京市政府发布。", doc_id="a")
    e2, _ = extract_entities("南京市政府发布。", doc_id="a")
    assert [x.entity_id for x in e1] == [x.entity_id for x in e2]
    assert e1[0].entity_id == entity_id("a", e1[0].start, e1[0].end, e1[0].label)
    assert all(x.method for x in e1)


# ----------------------------------------------------------------------------- offsets

@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["青岛市", "市南区", "政府", "，", "。", "王", "凯", " ", "\n", "有限公司",
                                 "海信集团", "局长", "张", "伟", "表示", "我市", "等", "、", "企业", "a", "1"]),
                max_size=30))
def test_offsets_always_slice_doc_text(parts):
    text = "".join(parts)
    e, offs = extract_entities(text)
    for x in e:
        assert 0 <= x.start < x.end <= len(text) and x.text == text[x.start:x.end]
    spans = sorted((x.start, x.end) for x in e)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # no nesting / overlap
    for o in offs:
        assert o.person == text[o.start:o.end].replace(" ", "")
        assert len(o.titles) == len(o.orgs)


def test_sample_page_smoke():
    from pathlib import Path

    from pipeline.evaluation.extraction import load_gold, score_entities, score_officials
    from pipeline.layout import LayoutSettings, split_page

    gold_path = Path(__file__).resolve().parent.parent / "data" / "gold" / "000_5072bf7ae566881d.gold.json"
    if not gold_path.exists():
        pytest.skip("sample gold not present")
    gold = load_gold(gold_path)
    docs = split_page(gold.text, gold.source, LayoutSettings(publication_date=dt.date(2024, 4, 29)))
    stage = EntityStage(EntityStage.Settings(backend="none"), RunContext())
    items = stage.process([Analysis(d) for d in docs])
    pred, offs = [], []
    for a in items:
        for x in a.entities:
            s, t = a.doc.to_source(x.start, x.end)
            pred.append({"start": s, "end": t, "label": x.label})
        offs += [{"person": o.person, "titles": o.titles} for o in a.officials]
    assert score_entities(gold.entities, pred).micro.f1 >= 0.9
    assert score_officials(gold.officials, offs).prf.f1 >= 0.9


# ----------------------------------------------------------------------------- issue 17: merge, names, decisions

def _fake(text, spans, **kw):
    e, _ = extract_entities(text, backend="fake", backend_options={"spans": spans}, **kw)
    return {(x.text, x.label) for x in e}


@pytest.mark.parametrize("text,name", [
    ("英国首相卡梅伦访问了工厂。", "卡梅伦"),
    ("总裁格奥尔基耶娃当天表示，", "格奥尔基耶娃"),
    ("总理阿卜杜勒—迈赫迪谴责空袭。", "阿卜杜勒—迈赫迪"),
    ("投资人罗恩·康维来到会场。", "罗恩·康维"),
    ("美国总统奥巴马抵达北京。", "奥巴马"),
    ("书中写到了蒋介石的晚年。", "蒋介石"),
    ("当天Johns没有出现。", "Johns"),
])
def test_model_names_without_a_listed_surname_survive(text, name):
    assert (name, "PERSON") in _fake(text, {name: "PERSON"})


def test_model_person_filter_drops_familiar_terms_and_words():
    found = _fake("严老汉坐上主席台，武术入青奥。", {"严老汉": "PERSON", "入青奥": "PERSON"})
    assert not any(label == "PERSON" for _, label in found)
    # the filter can be switched off
    assert ("严老汉", "PERSON") in _fake("严老汉坐上主席台。", {"严老汉": "PERSON"}, model_surname_check=False)


def test_anonymised_names():
    found = ents("村民韩某某与王某发生口角，某某公司未回应。")
    assert {("韩某某", "PERSON"), ("王某", "PERSON")} <= found


def test_one_character_abbreviations_are_never_entities():
    found = _fake("中缅双方同意，美伊关系紧张，中方表示欢迎。", {"中缅": "PLACE", "美伊": "GOV", "中方": "GOV"})
    assert not found


@pytest.mark.parametrize("mention", ["中华", "世界", "全球", "国际社会", "党", "国家队"])
def test_guideline_non_entities_from_the_model(mention):
    assert (mention, "PLACE") not in _fake(f"他说，{mention}的面貌焕然一新。", {mention: "PLACE"})


def test_longer_model_name_replaces_gazetteer_hits_inside_it():
    found = _fake("中国共产党领导一切，美国大使馆发表声明。", {"中国共产党": "GOV", "美国大使馆": "GOV"})
    assert {("中国共产党", "GOV"), ("美国大使馆", "GOV")} <= found
    assert ("中国", "PLACE") not in found and ("美国", "PLACE") not in found


def test_model_span_across_brackets_does_not_replace_rule_names():
    found = _fake("市委党校（吉林行政学院）科研部主任发言。", {"市委党校（吉林行政学院": "GOV"})
    assert not any(t.startswith("市委党校（") for t, _ in found)


def test_guideline_decisions_from_lists():
    found = ents("美军空袭后，国际货币基金组织和党中央都作出回应，新中国成立70年。")
    assert {("美军", "GOV"), ("国际货币基金组织", "ORG"), ("党中央", "GOV"), ("新中国", "PLACE")} <= found
    assert ("美国驻伊拉克大使馆", "GOV") in ents("示威者冲击美国驻伊拉克大使馆。")
    assert ("湖北武汉", "PLACE") in ents("在湖北武汉举行。")


@pytest.mark.parametrize("switch,method", [
    ("suffix_organisations", "regex:org_suffix"),
    ("gazetteers_builtin", "gazetteer:known"),
    ("person_cues", "rule:person_cue"),
    ("enumerations", "rule:enumeration"),
])
def test_rule_family_switches(switch, method):
    text = "据烟台市生态环境局通报，德国专家说，华宇、远航等企业参加。张明远说，村民王某到场。"
    on, _ = extract_entities(text)
    off, _ = extract_entities(text, **{switch: False})
    assert any(x.method == method for x in on)
    assert not any(x.method == method for x in off)


def test_model_span_filter_switches():
    text = "我们走访了相关企业。"
    spans = {"相关企业": "ORG"}
    assert not _fake(text, spans)
    assert ("相关企业", "ORG") in _fake(text, spans, model_generic_heads=False)
    assert ("相关企业", "ORG") in _fake(text, spans, model_span_filters=False)


def test_two_character_list_names_do_not_split_words():
    found = ents("其中兴业银行的客服说，这是最美的一段路。")
    assert ("中兴", "COMPANY") not in found and ("美的", "COMPANY") not in found
    assert ("美的", "COMPANY") in ents("美的集团和海尔都参加了。") or ("美的集团", "COMPANY") in ents("美的集团和海尔都参加了。")


def test_an_alias_given_in_the_text_is_a_short_name_and_extends_the_name():
    """…集团（简称“X”）: X is linked wherever it recurs, whole (never split into two names),
    and a name found starting inside the alias starts where the alias does."""
    from pipeline.entities import extract_entities

    text = "去年，星河华东区域集团（简称“星河华东”）发布报告。星河华东还与多家机构合作。"
    ents, _ = extract_entities(text, backend="none")
    got = [(e.text, e.label, e.canonical) for e in ents if e.label == "COMPANY"]
    assert got == [("星河华东区域集团", "COMPANY", "星河华东区域集团"),
                   ("星河华东", "COMPANY", "星河华东区域集团"), ("星河华东", "COMPANY", "星河华东区域集团")]


# ----------------------------------------------------------------------------- bad user files

BAD_USER_FILES = [
    ("gazetteers", "青岛港\tCOMPANY\nfoo\n", ":2: expected NAME<TAB>LABEL[<TAB>PARENT], got 'foo'"),
    ("gazetteers", "# mine\n\n青岛港\tFIRM\n", ":3: unknown label 'FIRM' (expected one of COMPANY, GOV, ORG, PLACE, PERSON)"),
    ("gazetteers", "\tORG\n", ":1: expected NAME<TAB>LABEL[<TAB>PARENT], got '\\tORG'"),
    ("gazetteers", "青岛港\tCOMPANY\t青岛市\textra\n", ":1: expected NAME<TAB>LABEL[<TAB>PARENT]"),
    ("patterns", "ORG\t青岛.{2}\nORG\t(\n", ":2: bad regex '(': missing ), unterminated subpattern at position 0"),
    ("patterns", "ORG青岛港\n", ":1: expected LABEL<TAB>REGEX, got 'ORG青岛港'"),
    ("patterns", "FIRM\t青岛港\n", ":1: unknown label 'FIRM'"),
]


@pytest.mark.parametrize("key,content,problem", BAD_USER_FILES)
def test_malformed_user_file_stops_the_run(key, content, problem, write_config, tmp_path):
    """A malformed gazetteer or pattern line: exit 2 with the file, the line number and the
    problem on one line; no output is written."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    (tmp_path / "mine.tsv").write_text(content, encoding="utf-8")
    (tmp_path / "in.txt").write_text("青岛港发布。\n", encoding="utf-8")
    cfg = write_config({"stages": ["layout", "segment", "entities"], "input": {"paths": ["in.txt"]},
                        "output": {"dir": "out"}, "entities": {"backend": "none", key: ["mine.tsv"]}})
    result = CliRunner().invoke(app, ["run", str(cfg), "--quiet"], env={"COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'mine.tsv'}{problem}" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_user_files_allow_comments_blank_lines_and_crlf(tmp_path):
    g = tmp_path / "mine.tsv"
    g.write_bytes("# my companies\r\n\r\n星河湾科技\tCOMPANY\r\n".encode())
    p = tmp_path / "pats.tsv"
    p.write_text("# comment\n\nCOMPANY\tQX\\d{3}\n", encoding="utf-8")
    found = ents("星河湾科技与QX123签约。", gazetteers=[str(g)], patterns=[str(p)])
    assert {("星河湾科技", "COMPANY"), ("QX123", "COMPANY")} <= found


# ----------------------------------------------------------------------------- backend options

def test_unknown_backend_option_is_a_config_error(write_config):
    from pipeline.config import ConfigError, load_config

    cfg = write_config({"stages": ["layout", "segment", "entities"], "input": {"paths": ["in.txt"]},
                        "entities": {"backend": "spacy", "backend_options": {"modle": "x"}}})
    with pytest.raises(ConfigError, match=r"entities\.backend_options\.modle: unknown option of backend 'spacy' "
                                          r"\(allowed: model, batch_size, max_chars, runtime, threads, head\)"):
        load_config(cfg)
    # a fake backend takes spans and ignores the rest (**_): the rest is unknown too
    with pytest.raises(ValidationError, match="unknown option of backend 'fake' \\(allowed: spans\\)"):
        EntityStage.Settings(backend="fake", backend_options={"span": {}})
    assert EntityStage.Settings(backend="fake", backend_options={"spans": {}}).backend_options == {"spans": {}}


def test_backend_model_path_resolves_against_the_config_folder(write_config, tmp_path, monkeypatch):
    from pipeline.config import load_config

    (tmp_path / "configs").mkdir()
    monkeypatch.chdir(tmp_path / "configs")  # not the config's folder
    cfg = write_config({"stages": ["entities"], "input": {"paths": ["in.txt"]},
                        "entities": {"backend": "spacy", "backend_options": {"model": "models/ner"}}}, name="c.yaml")
    assert load_config(cfg).entities.backend_options["model"] == str(tmp_path / "models" / "ner")
    cfg = write_config({"stages": ["entities"], "input": {"paths": ["in.txt"]},
                        "entities": {"backend": "jieba", "backend_options": {"user_dicts": ["d.txt"]}}}, name="j.yaml")
    assert load_config(cfg).entities.backend_options["user_dicts"] == [str(tmp_path / "d.txt")]


class BrokenBackend:
    def __init__(self, model=None):
        raise KeyError("orgtype")


@pytest.mark.parametrize("how", ["stage", "cli"])
def test_backend_that_cannot_start_is_one_line(how, monkeypatch, write_config, tmp_path):
    """Whatever the backend's constructor raises ends as a one-line StageInitError naming the
    backend (exit 2 from extract run), not a traceback."""
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.stage import StageInitError

    monkeypatch.setitem(registry.REGISTRIES["ner_backends"], "broken", BrokenBackend)
    if how == "stage":
        with pytest.raises(StageInitError, match=r"^cannot load NER backend 'broken': KeyError: 'orgtype' "):
            EntityStage(EntityStage.Settings(backend="broken"))
        # a backend whose module does not import: accepted by the settings, named when the stage starts
        monkeypatch.setitem(registry.REGISTRIES["ner_backends"], "ghost", "pipeline.backends.ghost:Ghost")
        with pytest.raises(StageInitError, match=r"^cannot load NER backend 'ghost': No module named 'pipeline.backends.ghost'"):
            EntityStage(EntityStage.Settings(backend="ghost", backend_options={"model": "x"}))
        return
    (tmp_path / "in.txt").write_text("青岛港发布。\n", encoding="utf-8")
    cfg = write_config({"stages": ["layout", "segment", "entities"], "input": {"paths": ["in.txt"]},
                        "output": {"dir": "out"}, "entities": {"backend": "broken"}})
    result = CliRunner().invoke(app, ["run", str(cfg), "--quiet"], env={"COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert "entities: cannot start the stage: cannot load NER backend 'broken': KeyError: 'orgtype'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


# ----------------------------------------------------------------------------- long documents

PAGE = (Path(__file__).resolve().parent.parent / "data" / "raw" / "000_5072bf7ae566881d.txt").read_text(encoding="utf-8")
PAGE_SPANS = {"青岛市": "PLACE", "海信集团": "COMPANY", "胶州市洋河镇": "PLACE", "供应海": "ORG", "化合物半导体": "ORG"}


class CountedText(str):
    """A document text that counts the searches made in it (startswith, endswith, find)."""

    searches = 0

    def startswith(self, *args):
        CountedText.searches += 1
        return str.startswith(self, *args)

    def endswith(self, *args):
        CountedText.searches += 1
        return str.endswith(self, *args)

    def find(self, *args):
        CountedText.searches += 1
        return str.find(self, *args)


def page_copies(n: int, monkeypatch=None):
    """Entities, officials and work done for ``n`` copies of the sample page as one document:
    searches in the text and reads of candidate spans (``Cand`` attributes)."""
    from pipeline.entities import merge

    reads = [0]
    if monkeypatch is not None:
        get = merge.Cand.__getattribute__

        def counted(self, name):
            reads[0] += 1
            return get(self, name)

        monkeypatch.setattr(merge.Cand, "__getattribute__", counted)
    text = CountedText("\n".join([PAGE] * n))
    CountedText.searches = 0
    ents, offs = extract_entities(text, backend="fake", backend_options={"spans": PAGE_SPANS})
    if monkeypatch is not None:
        monkeypatch.undo()
    return ents, offs, CountedText.searches, reads[0]


def test_many_articles_in_one_document_give_the_entities_of_each():
    """The page written 12 times as one document: each copy has the page's entities (rules,
    short names, propagation, places and model spans alike) and the officials are the page's."""
    one, one_offs, _, _ = page_copies(1)
    assert len(one) > 200 and any(e.method == "model:fake" for e in one)
    n, step = 12, len(PAGE) + 1
    many, many_offs, _, _ = page_copies(n)

    def rows(ents, k):
        return [(e.start - k * step, e.end - k * step, e.label, e.method, e.canonical, e.adcode) for e in ents]

    for k in range(n):
        assert rows([e for e in many if k * step <= e.start < (k + 1) * step], k) == rows(one, 0)
    assert [(o.person, o.titles, o.orgs) for o in many_offs] == [(o.person, o.titles, o.orgs) for o in one_offs]


def test_entity_work_grows_with_the_length_not_its_square(monkeypatch):
    # every lookup is near a position (bisection, indexes by character), never a pass over all
    # the names or spans found before: 16 copies of the page cost 16 times one page
    _, _, searches_one, reads_one = page_copies(1, monkeypatch)
    _, _, searches_many, reads_many = page_copies(16, monkeypatch)
    assert searches_one > 0 and reads_one > 0
    assert searches_many <= 16 * searches_one * 1.1
    assert reads_many <= 16 * reads_one * 1.1
