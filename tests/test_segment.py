"""Sentences, the segment stage with each segmenter, and entity names kept as single tokens."""
import pytest

from pipeline.api import Extractor
from pipeline.sentences import MAX_SENTENCE, split_sentences

TEXT = ("广东顺威精密塑料股份有限公司是全球空调叶片的头部企业。"
        "胶州市洋河镇油坊村村东有一条长约35米的排水沟。专精特新中小企业融链固链建链！")


def test_sentences_split_on_punctuation_and_paragraphs():
    t = "第一句。“第二句！”第三句？\n第四句……第五句"
    assert [t[s:e] for s, e in split_sentences(t)] == ["第一句。", "“第二句！”", "第三句？", "第四句……", "第五句"]


def test_overlong_sentences_are_cut_softly():
    t = ("甲" * 700 + "，") * 3
    spans = split_sentences(t)
    assert all(e - s <= MAX_SENTENCE for s, e in spans)
    assert "".join(t[s:e] for s, e in spans) == t


@pytest.mark.parametrize("segmenter", ["jieba", "pkuseg", "char"])
def test_each_segmenter_tokenises_with_offsets_and_keeps_entity_names_whole(segmenter):
    ex = Extractor({"entities": {"backend": "none"}, "segment": {"tokens": True, "segmenter": segmenter}})
    result = ex.extract(TEXT)
    words = [t.text for t in result.tokens]
    for tok in result.tokens:
        assert TEXT[tok.start:tok.end] == tok.text
    assert "广东顺威精密塑料股份有限公司" in words
    assert "胶州市洋河镇油坊村" in words
    if segmenter != "char":  # the domain dictionary keeps policy vocabulary whole
        assert "专精特新" in words and "融链固链建链" in words
    else:
        assert "专" in words
