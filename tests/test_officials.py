"""Officials: people given a position in the text (pipeline/entities/officials.py).

Every sentence here is invented; backend ``none`` (rules only) unless a test passes
model spans itself.
"""
from __future__ import annotations

import pytest

from pipeline.entities import EntityStage, extract_entities
from pipeline.entities.officials import merge_titles
from pipeline.records import Document
from pipeline.stage import RunContext


def officials(text, **kw):
    _, offs = extract_entities(text, **kw)
    return {o.person: o.titles for o in offs}


def persons(text, **kw):
    e, _ = extract_entities(text, **kw)
    return {x.text for x in e if x.label == "PERSON"}


# ----------------------------------------------------------------------------- titles before a name

@pytest.mark.parametrize("text,person,titles", [
    # domestic, one title
    ("国家主席习近平出席会议并讲话。", "习近平", ["国家主席"]),
    ("会上，市文化馆馆长周立新介绍了情况。", "周立新", ["市文化馆馆长"]),
    # two titles joined by 、
    ("江苏省委常委、苏州市委书记林海峰出席活动。", "林海峰", ["江苏省委常委", "苏州市委书记"]),
    # 兼 / 及 join two titles of one person
    ("远景集团主席兼首席执行官马克·贝尔纳宣布了计划。", "马克·贝尔纳", ["远景集团主席", "首席执行官"]),
    ("光华公司董事长及总经理孙志远表示，", "孙志远", ["光华公司董事长", "总经理"]),
    # foreign heads of state and officials: transliterated names, no Chinese surname
    ("巴西总统卡洛斯当天表示，", "卡洛斯", ["巴西总统"]),
    ("巴西外交部发言人卡洛斯·桑托斯在声明中说，", "卡洛斯·桑托斯", ["巴西外交部发言人"]),
    ("IMF总裁格奥尔基耶娃表示，", "格奥尔基耶娃", ["IMF总裁"]),
    ("叙利亚看守政府总理阿卜杜勒—萨利姆随即发表讲话。", "阿卜杜勒—萨利姆", ["叙利亚看守政府总理"]),
    ("村党支部书记阿依古丽·吐尔逊介绍，", "阿依古丽·吐尔逊", ["村党支部书记"]),
    # 院士 is a title
    ("中国工程院院士刘明哲说，", "刘明哲", ["中国工程院院士"]),
    # a quoted title
    ("有扎根山区二十年的“乡村教师”罗永康……", "罗永康", ["乡村教师"]),
    # 时任…的 + name
    ("群众打电话向时任城关派出所所长的赵志刚报警。", "赵志刚", ["城关派出所所长"]),
    # a name followed by a common word (报警, 正式) rather than a follower character
    ("新任国家队主教练邓海鸣正式亮相。", "邓海鸣", ["国家队主教练"]),
    # words that start a clause are cut off (与 …, 据 …)
    ("美国总统卡洛斯与伊拉克总理阿米尔通电话。", "阿米尔", ["伊拉克总理"]),
    ("据阿尔山市农牧局负责人穆斯塔法·奥兹介绍，", "穆斯塔法·奥兹", ["阿尔山市农牧局负责人"]),
])
def test_titles_before_name(text, person, titles):
    assert officials(text).get(person) == titles
    assert person in persons(text)


def test_titled_names_of_a_list():
    offs = officials("国务委员王小明、李大伟出席会议。")
    assert offs["王小明"] == ["国务委员"] and offs["李大伟"] == ["国务委员"]


def test_two_titles_of_two_people_in_one_list():
    offs = officials("缅甸总统温敏、国务资政敏昂莱出席仪式。")
    assert offs.get("温敏") == ["缅甸总统"]
    assert offs.get("敏昂莱") == ["国务资政"]


# ----------------------------------------------------------------------------- after the name

def test_title_after_name_and_fullest_form():
    text = "国家主席习近平发表讲话。习近平主席指出，要加强合作。"
    assert officials(text) == {"习近平": ["国家主席"]}


@pytest.mark.parametrize("text,person,titles", [
    ("。王振华院士介绍，冰川正在退缩。", "王振华", ["院士"]),
    ("“我们欢迎合作。”张国栋教授说。", "张国栋", ["教授"]),
])
def test_title_after_name(text, person, titles):
    assert officials(text).get(person) == titles


def test_title_after_name_not_part_of_a_word():
    # 主席台 is a word, not 主席; a name right after a title takes that title
    assert officials("。严德海走上主席台讲话。") == {}
    offs = officials("应国家主席习近平邀请，缅甸总统温敏将访华。")
    assert "应国家" not in offs and offs["习近平"] == ["国家主席"]


def test_title_chain_with_a_title_after_the_name():
    offs = officials("中国地质科学院博士生导师贺日新研究员笑着说。",
                     )
    assert offs.get("贺日新") in (["中国地质科学院博士生导师", "研究员"], ["中国地质科学院博士生导师"])


# ----------------------------------------------------------------------------- verbs of office

@pytest.mark.parametrize("text,person,titles", [
    ("。李国平担任市图书馆馆长。", "李国平", ["市图书馆馆长"]),
    ("张建华，山东省莒县人，1960年出生，1985年到县农机站任技术员。", "张建华", ["技术员"]),
    ("1990年，张建华参加公安工作，先后任城东派出所、城西派出所所长，", "张建华",
     ["城东派出所、城西派出所所长"]),
    ("总统签署命令，任命王立新为国防部长。", "王立新", ["国防部长"]),
    ("。张伟以代理主教练的身份带队参赛。", "张伟", ["代理主教练"]),
])
def test_verbs_of_office(text, person, titles):
    assert officials(text).get(person) == titles


def test_ren_inside_other_words_is_no_verb():
    assert officials("。李国平的主要任务是完成调研。他信任王小红，") == {}


def test_name_inside_the_phrase_is_no_title():
    # 现任局长米某某担任总理: the subject gets nothing, the holder gets both posts
    offs = officials("总统提名现任税务局局长米舒洛夫担任政府总理。")
    assert offs == {"米舒洛夫": ["税务局局长", "政府总理"]}


# ----------------------------------------------------------------------------- apposition

@pytest.mark.parametrize("text,person,titles", [
    ("会上，周明远，远航物流公司总经理，介绍了情况。", "周明远", ["远航物流公司总经理"]),
    ("。周明远（远航物流公司总经理）介绍了情况。", "周明远", ["远航物流公司总经理"]),
])
def test_apposition(text, person, titles):
    assert officials(text).get(person) == titles


def test_apposition_needs_a_title():
    assert officials("。刘海峰，河北省丰宁县人，1945年出生。") == {}


# ----------------------------------------------------------------------------- not titles

def test_honours_are_not_titles():
    text = "有“最美铁路人”徐前进；有“最美护林员”张大海，也有全国道德模范李春生。"
    assert officials(text) == {}


def test_verb_phrases_are_not_titles():
    assert officials("。李红梅从事酒店管理工作多年，") == {}


# ----------------------------------------------------------------------------- model names

def test_model_person_after_a_title_is_kept_whatever_its_first_character():
    text = "协会会长喇明轩表示，将继续努力。"
    s = text.index("喇明轩")
    stage = EntityStage(EntityStage.Settings(backend="none"), RunContext())
    ents, offs = stage.extract(Document(doc_id="d", source="s", text=text), [(s, s + 3, "PERSON")])
    assert [(o.person, o.titles) for o in offs] == [("喇明轩", ["协会会长"])]
    assert ("喇明轩", "PERSON") in {(x.text, x.label) for x in ents}


def test_model_span_is_extended_over_the_rest_of_a_foreign_name():
    text = "伊朗外交部发言人阿巴斯·穆萨维在声明中表示，"
    s = text.index("阿巴斯")
    stage = EntityStage(EntityStage.Settings(backend="none"), RunContext())
    _, offs = stage.extract(Document(doc_id="d", source="s", text=text), [(s, s + 3, "PERSON")])
    assert [(o.person, o.titles) for o in offs] == [("阿巴斯·穆萨维", ["伊朗外交部发言人"])]


def test_offsets_and_orgs():
    text = "江苏省委常委、苏州市委书记林海峰出席活动。"
    _, offs = extract_entities(text)
    o = offs[0]
    assert text[o.start:o.end] == o.person
    assert len(o.orgs) == len(o.titles)


def test_merge_titles():
    assert merge_titles(["主席", "国家主席", "总书记", "主席"]) == ["国家主席", "总书记"]
    assert merge_titles(["税务局局长", "政府总理", "联邦政府总理"]) == ["税务局局长", "联邦政府总理"]


# ----------------------------------------------------------------------------- precision guards

@pytest.mark.parametrize("text", [
    "在经合组织36个成员国中连续排名第一。",        # 成员国 is a word; 36个成员 is a count
    "各级领导干部应进一步转变作风。",              # a group, not one person's title
    "一些专家和学者指出，这些法案并不公平。",
    "科尔总理曾多次表示，欧盟应首先稳定。",        # 曾多次: a function word, not a surname
    "夫子庙一家红木家具店的负责人姚先生告诉记者，",  # a surname with a form of address
    "由徐克明导演、两位新人主演的影片上映。",      # 由 is a preposition
    "毛主席纪念馆的毛主席雕像。",
])
def test_no_official(text):
    assert officials(text) == {}


def test_no_false_names():
    for text, bad in [("在经合组织36个成员国中连续排名第一。", "国中"),
                      ("科尔总理曾多次表示，", "曾多次"),
                      ("夫子庙一家红木家具店的负责人姚先生告诉记者，", "姚先生"),
                      ("由徐克明导演的影片上映。", "由徐克")]:
        assert bad not in officials(text)


def test_a_list_stops_where_a_name_has_its_own_title():
    offs = officials("会议听取了教科文卫委主任委员雒树刚、华侨委主任委员于伟国的报告。")
    assert "华侨委" not in offs
    assert offs["于伟国"] == ["华侨委主任委员"]


def test_a_name_ends_where_the_next_title_starts():
    offs = officials("早报讯（记者孟海燕实习生夏冬梅）央行有关负责人表示，")
    assert offs.get("孟海燕") == ["记者"] and offs.get("夏冬梅") == ["实习生"]


def test_list_numbers_and_datelines_are_no_part_of_a_title():
    assert officials("\n9.某省政府原副省长王立群严重违纪违法被开除党籍；").get("王立群") == ["某省政府原副省长"]
    assert officials("本报武汉5月19日电记者龚达发报道：").get("龚达") in (["记者"], None)


def test_no_name_inside_a_longer_title():
    offs = officials("研究开发中心总工程师曹新民表示，")
    assert "程师曹" not in offs and offs.get("曹新民") == ["研究开发中心总工程师"]


def test_the_object_of_another_verb_holds_nothing():
    offs = officials("卢卡在大选中击败桑托罗当选新一任巴西总统。")
    assert "桑托罗" not in offs
    offs = officials("总统提名现任财政部长米洛夫担任政府总理。")
    assert offs.get("米洛夫") == ["财政部长", "政府总理"]
