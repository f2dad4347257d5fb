"""Every article of the development set (``../shared/gold/dev/pd*.txt``, People's Daily,
January 2020, one article per file as crawlers write it) gets its title, reporters and
date from the layout stage; byline reporters become officials with the guidelines' titles.

The files are read at run time (research text stays out of the repository); the
expected values below were taken by reading each file: its title lines, its dateline and
credits (``本报内比都1月17日电 （记者暨佩娟、赵益普）``, ``（本报记者 徐锦庚整理）``,
``（执笔：王  波  文  君）``) and the date in its file name.
"""
import datetime as dt
import json

import pytest

from pipeline.layout import LayoutSettings, normalise, split_page
from pipeline.sentences import split_sentences

from conftest import SHARED

DEV = SHARED / "gold" / "dev"
D = dt.date

# file: (pre-title, title, subtitle, reporters, date)
EXPECTED = {
    "pd20200101-03-09": ("习近平主席新年贺词引发海外华侨华人热烈反响", "温暖人心 振奋人心", None,
                         ["李永群", "郑琪", "刘军国", "丁雪真", "花放", "任彦", "胡博峰", "周翰博", "张远南",
                          "马菲", "赵益普", "吕强"], D(2019, 12, 31)),  # 12月31日电 in the 2020-01-01 issue
    "pd20200102-10-02": ("苏州工业园区", "高水平开放 助推高质量发展", None, [], D(2020, 1, 2)),
    "pd20200103-06-01": ("《关于促进社会服务领域商业保险发展的意见》印发", "完善保险体系 更好服务民生（权威发布）", None,
                         [], D(2020, 1, 3)),
    "pd20200103-16-01": (None, "美驻伊使馆遭冲击牵动地区局势（国际视点）", None, [], D(2020, 1, 2)),
    "pd20200106-05-02": (None, "助力企业家完成创业“剧本”（声音）", None, ["徐锦庚"], D(2020, 1, 6)),
    "pd20200106-15-01": ("新任主帅李铁正式亮相，国家队19天集训开启", "国足踏出重建第一步（体育大看台）", None,
                         [], D(2020, 1, 6)),
    "pd20200106-16-01": (None, "美伊矛盾激化引发多方担忧（国际视点）", None, [], D(2020, 1, 5)),
    "pd20200107-11-02": ("二〇一九年“扫黄打非”工作亮点纷呈", "重拳治理乱象 净化社会环境", None, [], D(2020, 1, 7)),
    "pd20200107-18-02": (None, "可穿戴设备渐趋“以人为本”（科技大观）", None, [], D(2020, 1, 7)),
    "pd20200108-08-01": ("传承文化、践行公益、打造睦邻社群", "融创华中 凝聚能量 点亮美好生活", None, [], D(2020, 1, 8)),
    "pd20200109-14-01": ("记者深入西藏羌塘无人区腹地", "探访普若岗日冰川（小康路上·绿色力量）", None, [], D(2020, 1, 9)),
    "pd20200110-09-04": ("维护多边主义和自由贸易", "为推进新型经济全球化贡献中国力量（有的放矢）", None,
                         ["王波", "文君"], D(2020, 1, 10)),  # 执笔: the writers, not officials
    "pd20200110-15-02": (None, "武术入青奥 打开新天地（体坛观澜）", None, [], D(2020, 1, 10)),
    "pd20200110-17-01": ("2016土耳其安塔利亚世界园艺博览会闭幕三年多，经过重新治理后", "园区再现生机活力（他山之石）", None,
                         [], D(2020, 1, 10)),  # （本报安卡拉电）: no day, the file name's date
    "pd20200113-03-01": (None, "中缅谱写共建一带一路新篇章", None, [], D(2020, 1, 12)),
    "pd20200113-04-02": (None, "中宣部、中央文明办开展慰问帮扶全国道德模范活动", None, [], D(2020, 1, 12)),
    "pd20200113-10-03": ("刘海旺", "忠诚履职 不怕牺牲（为了民族复兴·英雄烈士谱）", None, ["哈丽娜"], D(2020, 1, 13)),
    "pd20200114-20-02": (None, "互联网释放文学生产力（关于网络文学的对话①）", None, [], D(2020, 1, 14)),
    "pd20200117-17-03": (None, "普京国情咨文为俄罗斯发展规划方向", None, [], D(2020, 1, 16)),
    "pd20200118-01-03": (None, "习近平出席中缅建交70周年系列庆祝活动暨中缅文化旅游年启动仪式", None,
                         ["暨佩娟", "赵益普"], D(2020, 1, 17)),
    "pd20200119-05-03": (None, "营造都市“童梦森林”（在一线）", None, [], D(2020, 1, 19)),
    "pd20200119-06-01": (None, "坚定信心 克难前行（观沧海）", None, [], D(2020, 1, 19)),
    "pd20200120-18-02": (None, "补上商业养老险短板（财经观）", None, [], D(2020, 1, 20)),
    "pd20200120-20-02": ("移动互联网时代的电视晚会", "画好同心圆 赢得互动与共鸣（光影视界）", None, [], D(2020, 1, 20)),
    "pd20200121-13-02": ("基层治理问题办结率、满意率均超百分之九十九，广州黄埔", "百姓有困难 立即有人办", None,
                         [], D(2020, 1, 21)),
    "pd20200121-17-05": (None, "韩国谋求走出低增长困局", None, [], D(2020, 1, 20)),
    "pd20200121-18-01": (None, "“透过园林和建筑艺术感知文化”（他山之石）", None, [], D(2020, 1, 21)),
    "pd20200121-19-05": (None, "村里要致富，办法别嫌“土”（扶贫手记）", None, ["蒋云龙"], D(2020, 1, 21)),
    "pd20200123-15-01": ("当了几十年滑冰教练，李淳宇", "帮乡村孩子圆滑冰梦想", None, [], D(2020, 1, 23)),
    "pd20200125-06-03": (None, "准备小家的年 筹备大家的年", None, [], D(2020, 1, 25)),
    "pd20200127-02-02": (None, "多地启动应急响应 全力做好疫情防控（来自疫情防控一线的报道）", None,
                         ["白剑峰", "陆娅楠", "曲哲涵", "杜海涛", "林丽鹂", "李龙伊", "贺勇", "崔佳", "李刚", "谢卫群"],
                         D(2020, 1, 27)),
    "pd20200131-03-02": (None, "村子变美了 机会增多了（总书记来过我们家）", "回访安徽凤阳县小溪河镇小岗村严金昌家",
                         [], D(2020, 1, 31)),
}

pytestmark = pytest.mark.skipif(not DEV.is_dir(), reason="../shared/gold/dev is not beside the checkout")

# the configured issue date of another paper must never become these articles' date
SETTINGS = LayoutSettings(publication_date=dt.date(2024, 4, 29))


def _doc(name: str):
    text = (DEV / f"{name}.txt").read_text(encoding="utf-8")
    docs = split_page(text, f"{name}.txt", SETTINGS)
    assert len(docs) == 1
    return text, docs[0]


def test_the_table_covers_the_development_set():
    assert sorted(p.stem for p in DEV.glob("pd*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_title_reporters_and_date(name):
    pre, title, sub, reporters, date = EXPECTED[name]
    _, doc = _doc(name)
    assert (doc.pre_title, doc.title, doc.subtitle) == (pre, title, sub)
    assert doc.reporters == reporters
    assert doc.date == date
    if reporters:  # the credit as written (a dateline alone is a byline too: 新华社北京1月12日电)
        assert doc.byline and "".join(doc.byline.split()).find(reporters[0]) != -1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reporter_spans_point_at_the_names_in_the_source(name):
    text, doc = _doc(name)
    assert [n for _, _, n in doc.reporter_spans] == [n for n in EXPECTED[name][3]]
    for s, e, n in doc.reporter_spans:
        ss, se = doc.to_source(s, e)
        assert "".join(normalise(text[ss:se]).split()) == n


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_title_is_its_own_sentence_before_the_body(name):
    _, doc = _doc(name)
    title_at = doc.text.index(doc.title)
    assert title_at < doc.body_start
    sentences = [doc.text[s:e] for s, e in split_sentences(doc.text)]
    assert doc.title in sentences  # never glued to the first body sentence
    body = doc.text[doc.body_start:]
    assert body and not body.startswith(doc.title)


def test_byline_officials_match_the_gold():
    """Every reporter of a dev byline is an official with the title the guidelines give
    (本报记者, 记者); writers (执笔) are people but no officials."""
    from pipeline.entities import EntityStage

    stage = EntityStage(EntityStage.Settings(backend="none"))
    for name in sorted(EXPECTED):
        _, doc = _doc(name)
        entities, officials = stage.extract(doc)
        gold = json.loads((DEV / f"{name}.gold.json").read_text(encoding="utf-8"))
        gold_reporters = {(o["person"], tuple(o["titles"])) for o in gold["officials"]
                          if any(t.endswith("记者") for t in o["titles"])}
        got = {o.person: o.titles for o in officials}
        for person, titles in gold_reporters:
            assert person in got and got[person][:len(titles)] == list(titles), (name, person, got.get(person))
        people = {(e.start, e.end) for e in entities if e.label == "PERSON"}
        for s, e, _ in doc.reporter_spans:
            assert (s, e) in people
        if name == "pd20200110-09-04":
            assert not {"王波", "文君"} & set(got)
