"""The NER model's jieba word features come from rjieba (jieba-rs) + jieba's HMM: the same words
and features as plain jieba (``pipeline.backends.spacy_ner._words`` / ``word_features``)."""
from __future__ import annotations

import random

import pytest

from pipeline.backends import spacy_ner as sn

TEXTS = [
    "",
    "中",
    "我们中出了一个叛徒",
    "青岛市的海信集团与贾少谦说这是好事",
    # near ties of the HMM that jieba-rs's own HMM resolves the other way
    "奇迹笨小孩好景常在后告片",
    "赛琳曼琦张羽姑娘笑点低伦家唐唐唐唐秋云霖魏腾飞我想我是你的熊猫眼张先生",
    # dates, decimals, Latin, symbols (jieba-rs's HMM joins 2016-06, 7.90M, RCEP-ABS ...)
    "2016-06-30日发布的RCEP-ABS报告显示，营收7.90M美元，增长1.613.515.61%",
    "公司拟对全资子公司增资4.3亿元，实现净利润-139.13万元。",
    "AT&T、c#和C++都在B超和T恤之后",
    "iPhone12ProMax售价9999元，a.b_c%d#e&f+g-h",
    "2024年", "abc网球拍卖会def", "x中y国z",
    # whitespace, CRLF, tabs, full-width characters
    "北京  上海\t广州\r\n深圳\n\n杭州\u3000南京\xa0武汉",
    "２０２４年ＡＢＣ公司，（中国）有限公司：“你好”",
    # emoji and characters outside jieba's blocks
    "我们中出了一个叛徒👪，😀哈哈哈哈哈🇨🇳中国",
    # CJK extension / compatibility ideographs and U+9FD6-9FFF (jieba-rs's blocks take them)
    "㐀人𠀀中鿏鿭 王㛃是𪚥的朋友，豈更車二〇一六年⺀⼀",
    "\ud800中国人民",  # a lone surrogate
]


def _reference_features(text: str, monkeypatch) -> tuple[list[str], list[str]]:
    with monkeypatch.context() as m:
        m.setattr(sn, "_words", sn._jieba_words)
        return sn.word_features(text)


def test_rjieba_is_used():
    import rjieba

    assert isinstance(sn._rjieba(), rjieba.Jieba)
    assert sn._rjieba() is not rjieba._DEFAULT_JIEBA


@pytest.mark.parametrize("text", TEXTS)
def test_words_and_features_equal_jieba(text, monkeypatch):
    assert [tuple(w) for w in sn._words(text)] == sn._jieba_words(text)
    assert sn.word_features(text) == _reference_features(text, monkeypatch)


def test_random_mixes_equal_jieba():
    rnd = random.Random(19)
    base = "".join(TEXTS[2:9]) + "国务院总理李克强在人民大会堂会见了美国国务卿和欧盟委员会主席"
    extra = list("0123456789abcXYZ+#&._%- \t\r\n，。、“”（）—ＡＢ１２　😀")
    extra += ["\r\n", "㐀", "鿭", "豈", "𠀀", "〇"]
    for _ in range(1500):
        parts = []
        for _ in range(rnd.randint(1, 30)):
            if rnd.random() < 0.35:
                parts.append(rnd.choice(extra))
            else:
                k = rnd.randrange(len(base) - 10)
                parts.append(base[k:k + rnd.randint(1, 10)])
        text = "".join(parts)
        assert [tuple(w) for w in sn._words(text)] == sn._jieba_words(text), text


def test_no_ascii_word_in_jiebas_dictionary():
    """``_words`` reads a run of ASCII letters/digits from jieba-rs as one-character steps."""
    from pipeline.segmenters import jieba_dictionary

    assert not [w for w, _, _ in jieba_dictionary() if len(w) > 1 and w.isascii() and w.isalnum()]


def test_features_ignore_rjiebas_global_dictionary(monkeypatch):
    import rjieba

    text = "贾少谦说这是好事"
    before = sn.word_features(text)
    rjieba.add_word("少谦说这", 10 ** 9, None)  # the module-level instance, not ours
    assert sn.word_features(text) == before == _reference_features(text, monkeypatch)


def test_without_rjieba_jieba_cuts_everything(monkeypatch):
    text = TEXTS[7]
    monkeypatch.setattr(sn, "_RJIEBA", False)
    assert sn._words(text) == sn._jieba_words(text)
