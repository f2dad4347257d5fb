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
