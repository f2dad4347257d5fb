"""Article splitting, header fields and column-break repair on the sample page."""
import datetime as dt

import pytest

from pipeline.layout import LayoutSettings, normalise, parse_byline, resolve_dateline, split_page

from conftest import PUBLICATION_DATE


@pytest.fixture(scope="module")
def docs(sample_text):
    return split_page(sample_text, "sample.txt", LayoutSettings(publication_date=PUBLICATION_DATE))


def test_sample_page_has_ten_articles_with_titles_reporters_dates(docs):
    assert len(docs) == 10
    assert [d.article_index for d in docs] == list(range(10))
    assert docs[0].title == "“大块头”与“小巨人”的双向奔赴"
    assert docs[0].subtitle.startswith("青岛市2024年“一起益企”")
    assert docs[1].title == "青岛影视基地揭牌" and docs[1].subtitle == "北方微短剧基地同步启动运营"
    # pre-title above the main title (## then #, ### then #)
    assert docs[6].pre_title == "省级生态环境保护督察在行动"
    assert docs[6].title.startswith("青岛市对山东省第一生态环境保护督察组")
    assert docs[8].pre_title == "《2023年度中国展览数据统计报告》发布"
    assert docs[8].title == "青岛展览业发展综合指数位居全国第六"
    assert [d.reporters for d in docs] == [["周晓峰"], ["王凯"], ["刘佳璇"], ["任晓萌"], ["余瑞新"], ["杨琪琪"],
                                           ["梁超", "贾臻"], ["吴帅"], ["刘兰星"], ["戴谦"]]
    assert docs[0].byline == "□青岛日报/观海新闻记者 周晓峰"
    # 本报4月28日讯 -> 2024-04-28; the first article has no dateline: the issue date
    assert docs[0].date == PUBLICATION_DATE
    assert all(d.date == dt.date(2024, 4, 28) for d in docs[1:])
    assert len({d.doc_id for d in docs}) == 10


def test_section_headings_stay_in_their_article(docs):
    assert "“你中有我，我中有你”" in docs[0].text
    assert "“新势力”积聚“新势能”" in docs[0].text
    assert docs[0].text.index("“你中有我，我中有你”") > docs[0].body_start


def test_articles_cover_the_page_in_order(docs, sample_text):
    for a, b in zip(docs, docs[1:]):
        assert a.source_end <= b.source_start
    assert docs[-1].source_end == len(sample_text.rstrip())


def test_every_character_maps_back_to_the_source(docs, sample_text):
    norm = normalise(sample_text)
    for d in docs:
        assert len(d.offsets) == len(d.text)
        assert d.offsets == sorted(d.offsets)
        for i, ch in enumerate(d.text):
            src = norm[d.offsets[i]]
            # a paragraph break in the text maps to the newline it stands for
            assert src == ch or (ch == "\n" and src == "\n"), (d.article_index, i, ch, src)


@pytest.mark.parametrize("article, repaired, raw", [
    (0, "九成专精特新“小巨人”企业", "九成专精特新“小\n\n巨人”企业"),
    (0, "引才育才", "引\n\n才育才"),
    (8, "共达成交易60余亿元", "共达成交易60\n\n余亿元"),
    (9, "《青岛市海上旅游运动艇艇管理办法》", "《青岛\n\n市海上旅游运动艇艇管理办法》"),
    (9, "根据市人大常委会", "根据市\n\n人大常委会"),
    (6, "下一步，执法中队", "下\n\n一步，执法中队"),
    (0, "提供配套服务，目前准备", "提供配套服务，\n\n目前准备"),
])
def test_column_breaks_are_repaired_and_map_to_the_raw_source(docs, sample_text, article, repaired, raw):
    d = docs[article]
    i = d.text.index(repaired)
    s, e = d.to_source(i, i + len(repaired))
    assert sample_text[s:e] == raw
    # character by character
    for k, ch in enumerate(repaired):
        assert sample_text[d.offsets[i + k]] == ch


def test_paragraph_breaks_that_end_a_sentence_are_kept(docs):
    t = docs[0].text
    assert "上的一幕。\n这场由青岛市政府" in t
    # hard line breaks (two trailing spaces) are kept too
    assert "信箱\n专门举报电话" in docs[6].text


def test_padded_names_keep_their_raw_span(docs, sample_text):
    d = docs[1]
    (s, e, name), = d.reporter_spans
    assert name == "王凯" and d.text[s:e] == "王 凯"
    ss, se = d.to_source(s, e)
    assert sample_text[ss:se] == "王 凯"


def test_parse_byline_variants():
    names, spans, roles = parse_byline("□青岛日报/观海新闻记者 梁超 贾臻")
    assert names == ["梁超", "贾臻"] and roles[0][2] == "青岛日报/观海新闻记者"
    assert parse_byline("□本报记者 吴 帅 通讯员 李明")[0] == ["吴帅", "李明"]


def test_dateline_resolution():
    ref = dt.date(2024, 4, 29)
    assert resolve_dateline("本报4月28日讯 28日上午", ref) == dt.date(2024, 4, 28)
    assert resolve_dateline("本报讯 近日", ref) == ref
    assert resolve_dateline("新华社北京12月30日电", dt.date(2025, 1, 2)) == dt.date(2024, 12, 30)
    assert resolve_dateline("这场由青岛市政府主办", ref) is None


def test_plain_text_passes_through_as_one_document():
    text = "青岛市政府今天发布通知。\n\n全市共有企业100家\n\n这是第二段。"
    (doc,) = split_page(text, "plain.txt")
    assert doc.title is None and doc.reporters == []
    assert doc.text.replace("\n", "") == text.replace("\n", "")
    for i, ch in enumerate(doc.text):
        assert text[doc.offsets[i]] == ch


def test_normalisation_is_one_to_one():
    t = "ＡＢＣ１２３％\u3000，。"
    assert normalise(t) == "ABC123% ，。"


# --------------------------------------------------------------------------- articles as crawlers write them

from pipeline.layout import date_from_path, find_credits, match_dateline, parse_credit  # noqa: E402
from pipeline.sentences import split_sentences  # noqa: E402

BODY = "3月4日，市政府召开会议，部署全年工作。\n会议指出，今年将改造老旧小区200个。\n"


@pytest.mark.parametrize("head, pre, title, sub", [
    ("老旧小区焕发新活力\n\n", None, "老旧小区焕发新活力", None),
    ("城市更新迈出新步伐——\n老旧小区焕发新活力\n\n", "城市更新迈出新步伐", "老旧小区焕发新活力", None),
    ("老旧小区焕发新活力（民生观察）\n——来自江南某市的调查\n\n", None, "老旧小区焕发新活力（民生观察）", "来自江南某市的调查"),
    ("城市更新\n老旧小区焕发新活力\n\n", "城市更新", "老旧小区焕发新活力", None),  # 引题 above the main title
    ("张三：\n扎根基层 服务群众（时代楷模）\n\n", "张三", "扎根基层 服务群众（时代楷模）", None),
    ("城市更新迈出新步伐\n老旧小区焕发新活力（民生观察）\n——来自某市的调查\n\n", "城市更新迈出新步伐",
     "老旧小区焕发新活力（民生观察）", "来自某市的调查"),
    ("老旧小区焕发新活力\n", None, "老旧小区焕发新活力", None),  # no blank line before the body
    ("# 老旧小区焕发新活力\n\n", None, "老旧小区焕发新活力", None),  # Markdown heading
])
def test_title_lines_of_a_crawled_article(head, pre, title, sub):
    text = head + BODY
    (doc,) = split_page(text, "a.txt")
    assert (doc.pre_title, doc.title, doc.subtitle) == (pre, title, sub)
    assert doc.text[doc.body_start:].startswith("3月4日")
    # the title is a sentence of its own, not glued to the body's first sentence
    sentences = [doc.text[s:e] for s, e in split_sentences(doc.text)]
    assert sentences[sentences.index(title) + (2 if sub else 1)].startswith("3月4日") or sub is None
    assert any(s.startswith("3月4日") for s in sentences)
    for i, ch in enumerate(doc.text):
        assert normalise(text)[doc.offsets[i]] == ch


@pytest.mark.parametrize("text", [
    "青岛市政府今天发布通知。\n全市共有企业100家。",  # the first line is a sentence
    "老旧小区焕发新活力",  # a title with no body
    "会议指出，今年将改造老旧小区\n200个，惠及居民3万户。",  # a sentence broken across lines
    "老旧小区焕发新活力\n城市更新\n第三行\n第四行\n第五行",  # short lines, no paragraph
])
def test_texts_that_do_not_open_with_a_title(text):
    (doc,) = split_page(text, "a.txt")
    assert doc.title is None and doc.pre_title is None


CREDIT_CASES = [
    # text, reporters, role titles, byline, date (file name a.txt, publication date 2024-04-29)
    ("本报北京1月26日电（记者 刘志强）" + BODY, ["刘志强"], ["记者"], "本报北京1月26日电（记者 刘志强）", dt.date(2024, 1, 26)),
    ("新华社北京1月5日电（记者王浩、李明）" + BODY, ["王浩", "李明"], ["记者"], "新华社北京1月5日电（记者王浩、李明）",
     dt.date(2024, 1, 5)),
    ("新华社北京1月5日电  " + BODY, [], [], "新华社北京1月5日电", dt.date(2024, 1, 5)),
    ("据新华社电  （记者 赵强）" + BODY, ["赵强"], ["记者"], "据新华社电  （记者 赵强）", dt.date(2024, 4, 29)),
    ("本报记者 刘志强 王浩\n" + BODY, ["刘志强", "王浩"], ["本报记者"], "本报记者 刘志强 王浩", dt.date(2024, 4, 29)),
    ("本报记者 刘志强 通讯员 李明\n本报讯 " + BODY, ["刘志强", "李明"], ["本报记者", "通讯员"],
     "本报记者 刘志强 通讯员 李明 本报讯", dt.date(2024, 4, 29)),
    ("新华社记者 王浩\n" + BODY, ["王浩"], ["新华社记者"], "新华社记者 王浩", dt.date(2024, 4, 29)),
    (BODY + "（记者 王浩）", ["王浩"], ["记者"], "（记者 王浩）", dt.date(2024, 4, 29)),
    (BODY.rstrip() + "（记者 王浩）", ["王浩"], ["记者"], "（记者 王浩）", dt.date(2024, 4, 29)),  # closes a paragraph
    (BODY + "（本报记者 王强 整理）", ["王强"], ["本报记者"], "（本报记者 王强 整理）", dt.date(2024, 4, 29)),
    (BODY + "（本报记者 王强采访整理）", ["王强"], ["本报记者"], "（本报记者 王强采访整理）", dt.date(2024, 4, 29)),
    (BODY + "（综合本报记者张明、李华、王强等报道）", ["张明", "李华", "王强"], ["本报记者"],
     "（综合本报记者张明、李华、王强等报道）", dt.date(2024, 4, 29)),
    (BODY + "（本报巴黎、柏林3月4日电  记者张明、李华）", ["张明", "李华"], ["记者"],
     "（本报巴黎、柏林3月4日电  记者张明、李华）", dt.date(2024, 3, 4)),
    (BODY + "（本报开罗电）", [], [], "（本报开罗电）", dt.date(2024, 4, 29)),
    (BODY + "（执笔：王  波  文  君）", ["王波", "文君"], ["执笔"], "（执笔：王  波  文  君）", dt.date(2024, 4, 29)),
    ("本报讯（记者 刘志强 通讯员 李明）" + BODY, ["刘志强", "李明"], ["记者", "通讯员"],
     "本报讯（记者 刘志强 通讯员 李明）", dt.date(2024, 4, 29)),
    ("本报北京1月26日电（记者 刘志强）" + BODY + "（本报记者 王强整理）", ["刘志强", "王强"], ["记者", "本报记者"],
     "本报北京1月26日电（记者 刘志强） （本报记者 王强整理）", dt.date(2024, 1, 26)),
    # other papers and agencies
    ("光明日报北京1月26日电（记者 王浩）" + BODY, ["王浩"], ["记者"], "光明日报北京1月26日电（记者 王浩）",
     dt.date(2024, 1, 26)),
    ("经济日报北京1月26日讯（记者 王浩 李明）" + BODY, ["王浩", "李明"], ["记者"],
     "经济日报北京1月26日讯（记者 王浩 李明）", dt.date(2024, 1, 26)),
    ("中新社北京1月26日电 (记者 王浩)" + BODY, ["王浩"], ["记者"], "中新社北京1月26日电 (记者 王浩)", dt.date(2024, 1, 26)),
    ("齐鲁晚报讯（首席记者 王浩 实习生 李明）" + BODY, ["王浩", "李明"], ["首席记者", "实习生"],
     "齐鲁晚报讯（首席记者 王浩 实习生 李明）", dt.date(2024, 4, 29)),
    ("本报驻巴黎记者 王浩\n" + BODY, ["王浩"], ["本报驻巴黎记者"], "本报驻巴黎记者 王浩", dt.date(2024, 4, 29)),
    ("央视网消息：" + BODY, [], [], "央视网消息", dt.date(2024, 4, 29)),
    (BODY + "（新华社记者 王浩 摄）", ["王浩"], ["新华社记者"], "（新华社记者 王浩 摄）", dt.date(2024, 4, 29)),
    # unbracketed credits closed by 报道：
    ("本报讯记者王霞光报道：" + BODY, ["王霞光"], ["记者"], "本报讯记者王霞光报道", dt.date(2024, 4, 29)),
    ("本报北京五月十三日讯 记者 王浩 通讯员 李明 报道：" + BODY, ["王浩", "李明"], ["记者", "通讯员"],
     "本报北京五月十三日讯 记者 王浩 通讯员 李明 报道", dt.date(2023, 5, 13)),  # after the issue date: the year before
    ("新华社北京6月28日电综合本社驻外记者报道：" + BODY, [], [], "新华社北京6月28日电", dt.date(2023, 6, 28)),
    # names without a role right after a dateline: people, but no title
    ("新华社沈阳5月10日电（杨江、蔡升培）" + BODY, ["杨江", "蔡升培"], [], "新华社沈阳5月10日电（杨江、蔡升培）",
     dt.date(2023, 5, 10)),
    ("新华社北京5月10日电（综述）" + BODY, [], [], "新华社北京5月10日电", dt.date(2023, 5, 10)),
    ("新华社北京5月10日电（记者手记）" + BODY, [], [], "新华社北京5月10日电", dt.date(2023, 5, 10)),
    # two outlets in one credit
    ("据新华社北京5月18日电（解放军报记者李选清、新华社记者张东波）" + BODY, ["李选清", "张东波"],
     ["解放军报记者", "新华社记者"], "据新华社北京5月18日电（解放军报记者李选清、新华社记者张东波）", dt.date(2023, 5, 18)),
]


@pytest.mark.parametrize("text, reporters, roles, byline, date", CREDIT_CASES)
def test_bylines_and_datelines_of_papers_and_agencies(text, reporters, roles, byline, date):
    (doc,) = split_page(text, "a.txt", LayoutSettings(publication_date=dt.date(2024, 4, 29)))
    assert doc.reporters == reporters
    assert [t for _, _, t in doc.byline_roles] == roles
    assert doc.byline == byline
    assert doc.date == date
    for s, e, name in doc.reporter_spans:  # exact spans, padding of 王  波 included
        assert "".join(doc.text[s:e].split()) == name
        assert not doc.text[s].isspace() and not doc.text[e - 1].isspace()
        ss, se = doc.to_source(s, e)
        assert text[ss:se] == doc.text[s:e]
    for s, e, role in doc.byline_roles:
        assert doc.text[s:e] == role


@pytest.mark.parametrize("text", [
    BODY + "（作者单位：北京大学新闻与传播学院）",
    "记者：今年的工作重点是什么？\n张三：改造老旧小区。",
    "记者节快乐\n" + BODY,
    BODY + "（以下简称《意见》）",
    "本报记者在现场看到，工人们正在施工。\n" + BODY,
])
def test_text_that_is_not_a_credit(text):
    (doc,) = split_page(text, "a.txt")
    assert doc.reporters == [] and doc.reporter_spans == []


def test_parse_credit_names_and_roles():
    roles, names = parse_credit("本报记者 吴 帅 通讯员 李明")
    assert [r for *_, r in roles] == ["本报记者", "通讯员"] and [n for *_, n in names] == ["吴帅", "李明"]
    assert [n for *_, n in parse_credit("记者 阿卜杜勒·拉赫曼、王浩")[1]] == ["阿卜杜勒·拉赫曼", "王浩"]
    assert parse_credit("记者深入西藏羌塘无人区腹地") is None
    assert parse_credit("记者节快乐", bracketed=False) is None
    assert parse_credit("本报记者刘志强", bracketed=False)[1][0][2] == "刘志强"
    # the padded single characters of 2-character names pair up
    assert [n for *_, n in parse_credit("执笔：王  波  文  君")[1]] == ["王波", "文君"]


def test_dateline_forms():
    ref = dt.date(2020, 1, 27)
    for line, date in [("本报北京1月26日电（记者 刘志强）", dt.date(2020, 1, 26)),
                       ("新华社北京1月5日电", dt.date(2020, 1, 5)),
                       ("本报华盛顿、开罗1月2日电", dt.date(2020, 1, 2)),
                       ("本报巴黎12月31日电", dt.date(2019, 12, 31)),  # after the issue date: the year before
                       ("据新华社电", ref), ("本报讯", ref), ("本报开罗电", ref),
                       ("北京1月26日电 记者从会上获悉", dt.date(2020, 1, 26)),
                       ("中新社北京2020年1月26日电", dt.date(2020, 1, 26)),
                       ("本报北京十一月七日讯", dt.date(2019, 11, 7)),  # Chinese numerals
                       ("新华社北京一月二十四日电", dt.date(2020, 1, 24)),
                       ("本报北京二〇二〇年一月三十一日电", dt.date(2020, 1, 31)),
                       ("齐鲁晚报讯（记者 王浩）", ref)]:
        assert match_dateline(line), line
        assert resolve_dateline(line, ref) == date, line
    assert resolve_dateline("本报北京1月26日电", None) is None  # no year to resolve against
    for line in ["1月26日电影《姜子牙》定档", "本报记者 刘志强", "新华社记者从会上获悉", "会议通报讯息显示",
                 "新华社记者张明新华社通讯员李华", "新华社北京电视台", "标题本报讯《文件》"]:
        assert not match_dateline(line), line


def test_dateline_places_and_outlet_spans():
    c = find_credits("新华社北京1月12日电  正文。", 0)
    text = "新华社北京1月12日电  正文。"
    assert [(text[s:e], label) for s, e, label in c.dateline_spans] == [("新华社", "ORG"), ("北京", "PLACE")]
    text = "正文。\n（本报华盛顿、开罗1月2日电）"
    c = find_credits(text, 0)
    assert [(text[s:e], label) for s, e, label in c.dateline_spans] == [("华盛顿", "PLACE"), ("开罗", "PLACE")]


@pytest.mark.parametrize("name, date", [
    ("pd20200126-02-02.txt", dt.date(2020, 1, 26)),
    ("news/2020-01-26.md", dt.date(2020, 1, 26)),
    ("crawl/20200126/a.txt", dt.date(2020, 1, 26)),
    ("crawl/2020/01/26/a.txt", dt.date(2020, 1, 26)),
    ("news_2020_1_26.jsonl", dt.date(2020, 1, 26)),
    ("人民日报2020年1月26日.txt", dt.date(2020, 1, 26)),
    ("000_5072bf7ae566881d.txt", None),
    ("report-20201399.txt", None),
    ("<text>", None),
])
def test_date_in_the_file_name(name, date):
    assert date_from_path(name) == date


def test_date_precedence():
    pub = LayoutSettings(publication_date=dt.date(2024, 4, 29))
    dateline = "本报北京1月26日电 " + BODY
    # the record's own date first
    (d,) = split_page(dateline, "pd20200127-01.txt", pub, date=dt.date(2020, 2, 2))
    assert d.date == dt.date(2020, 2, 2)
    # then the dateline, resolved against the year of the file name (not of publication_date)
    (d,) = split_page(dateline, "pd20200127-01.txt", pub)
    assert d.date == dt.date(2020, 1, 26)
    # then the file name
    (d,) = split_page(BODY, "pd20200127-01.txt", pub)
    assert d.date == dt.date(2020, 1, 27)
    # then the configured publication date (also the dateline's reference)
    (d,) = split_page(dateline, "a.txt", pub)
    assert d.date == dt.date(2024, 1, 26)
    (d,) = split_page(BODY, "a.txt", pub)
    assert d.date == dt.date(2024, 4, 29)
    # else unknown: neither another document's date nor today
    (d,) = split_page(BODY, "a.txt")
    assert d.date is None
    (d,) = split_page(dateline, "a.txt")
    assert d.date is None  # a dateline without a year and nothing to take it from


def test_sample_page_keeps_its_bylines_and_no_body_credits(docs):
    # □ bylines are the page's bylines; the body scan does not add to them
    assert all(d.byline.startswith("□") for d in docs)
    assert all(getattr(d, "dateline_spans") == [] for d in docs)


@pytest.mark.parametrize("head, title, date", [
    ("城市更新迈出新步伐\n2020-01-26 10:30:00 来源：新华网\n", "城市更新迈出新步伐", dt.date(2020, 1, 26)),
    ("城市更新迈出新步伐\n\n发布时间：2020年1月26日 来源：人民网\n\n", "城市更新迈出新步伐", dt.date(2020, 1, 26)),
    ("老旧小区焕发新活力\n来源：新华网\n\n", "老旧小区焕发新活力", dt.date(2024, 4, 29)),
])
def test_metadata_lines_under_a_web_title(head, title, date):
    (doc,) = split_page(head + BODY, "a.txt", LayoutSettings(publication_date=dt.date(2024, 4, 29)))
    assert doc.title == title and doc.pre_title is None and doc.subtitle is None
    assert doc.date == date  # the page's date comes before the configured one
    assert doc.text[doc.body_start:].startswith("3月4日")


def test_a_dateline_under_a_web_title_resolves_against_the_page_date():
    text = "老旧小区焕发新活力\n2019-12-30 来源：人民网\n\n本报北京12月29日电（记者 张明）" + BODY
    (doc,) = split_page(text, "a.txt", LayoutSettings(publication_date=dt.date(2024, 4, 29)))
    assert doc.date == dt.date(2019, 12, 29) and doc.reporters == ["张明"]
