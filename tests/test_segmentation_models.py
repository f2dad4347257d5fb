"""Shipped pkuseg model, domain dictionary and segmentation scoring (fast)."""
from __future__ import annotations

import pytest

from pipeline import segmenters
from pipeline.evaluation.segmentation import evaluate_segmenter, format_table, read_gold, score_words
from pipeline.segmenters import DEFAULT_PKUSEG_MODEL, DOMAIN_DICT, load_user_dict, write_pkuseg_user_dict

SENTENCE = "我们在北京参加了一个重要的会议。"
DOMAIN_SENTENCE = "青岛推动专精特新中小企业融链固链建链，链主企业开放应用场景，培育新质生产力。"
DOMAIN_WORDS = ["专精特新", "融链固链建链", "链主企业", "新质生产力", "小巨人", "信访举报件", "督察组"]


@pytest.fixture(scope="module")
def pkuseg_dict():
    return segmenters.load_pkuseg(user_dicts=[DOMAIN_DICT])


@pytest.fixture(scope="module")
def jieba_dict():
    return segmenters.load_jieba(user_dicts=[DOMAIN_DICT])


# ---------------------------------------------------------------- shipped model

def test_model_files_ship_and_are_small():
    files = {p.name: p.stat().st_size for p in DEFAULT_PKUSEG_MODEL.iterdir()}
    assert {"features.msgpack", "weights.npz", "MODEL_CARD.md"} <= set(files)
    assert sum(files.values()) < 30 * 1024 * 1024


def test_pkuseg_model_loads_and_segments():
    import spacy_pkuseg

    seg = spacy_pkuseg.pkuseg(model_name=str(DEFAULT_PKUSEG_MODEL), user_dict=None)
    words = seg.cut(SENTENCE)
    assert "".join(words) == SENTENCE
    assert 4 <= len(words) < len(SENTENCE)          # really segments, not chars or one blob
    assert "北京" in words and "会议" in words


def test_spacy_tokenizer_uses_shipped_model():
    nlp = segmenters.make_spacy_zh("pkuseg", user_dicts=[DOMAIN_DICT])
    doc = nlp(DOMAIN_SENTENCE)
    tokens = [t.text for t in doc]
    assert "".join(tokens) == DOMAIN_SENTENCE
    assert {"专精特新", "融链固链建链", "新质生产力"} <= set(tokens)
    assert nlp.tokenizer.pkuseg_seg is not None


# ---------------------------------------------------------------- domain dictionary

def test_domain_dict_format():
    entries = load_user_dict(DOMAIN_DICT)
    assert len(entries) >= 300
    words = [w for w, _, _ in entries]
    assert len(words) == len(set(words))
    assert set(DOMAIN_WORDS) <= set(words)
    for word, freq, tag in entries:
        assert word and not any(c.isspace() for c in word)
        assert freq and freq > 0 and tag


def test_user_dict_both_formats(tmp_path):
    jieba_fmt = tmp_path / "j.txt"
    jieba_fmt.write_text("专精特新 3000 nz\n小巨人\n\n链主企业 nt\n", encoding="utf-8")
    assert load_user_dict(jieba_fmt) == [("专精特新", 3000, "nz"), ("小巨人", None, None),
                                         ("链主企业", None, "nt")]
    pku_fmt = write_pkuseg_user_dict(load_user_dict(jieba_fmt), tmp_path / "p.txt")
    assert open(pku_fmt, encoding="utf-8").read() == "专精特新\tnz\n小巨人\n链主企业\tnt\n"
    assert load_user_dict(pku_fmt) == [("专精特新", None, "nz"), ("小巨人", None, None),
                                       ("链主企业", None, "nt")]


@pytest.mark.parametrize("line, problem", [
    ("专精特新 很多 nz", "frequency '很多' is not a whole number"),
    ("专精特新 3000.5", "'3000.5' is neither a frequency nor a POS tag"),
    ("人工 智能", "'智能' is neither a frequency nor a POS tag"),
    ("人工 智能 3000 nz", "4 fields"),
    ("专精特新 3000 名词", "POS tag '名词' is not a tag"),
    ("专精特新\tnz\textra", "3 tab-separated fields"),
    ("人工 智能\tnz", "word '人工 智能' has a space in it"),
])
def test_user_dict_malformed_line_names_file_and_line(tmp_path, line, problem):
    path = tmp_path / "d.txt"
    path.write_text(f"# comment\n小巨人 3000 nz\n\n{line}\n链主企业\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_user_dict(path)
    assert str(err.value).startswith(f"{path}: line 4: {problem}")


def test_user_dict_not_utf8(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes("专精特新 3000 nz\n".encode("gb18030"))
    with pytest.raises(ValueError, match=r"d\.txt: not UTF-8 text"):
        load_user_dict(path)


@pytest.mark.parametrize("word", DOMAIN_WORDS)
def test_domain_words_single_tokens_jieba(jieba_dict, word):
    text = f"今年推动{word}工作取得新进展。"
    assert word in list(jieba_dict.cut(text))


@pytest.mark.parametrize("word", DOMAIN_WORDS)
def test_domain_words_single_tokens_pkuseg(pkuseg_dict, word):
    text = f"今年推动{word}工作取得新进展。"
    assert word in pkuseg_dict.cut(text)


def test_domain_sentence_both_segmenters(jieba_dict, pkuseg_dict):
    for words in (list(jieba_dict.cut(DOMAIN_SENTENCE)), pkuseg_dict.cut(DOMAIN_SENTENCE)):
        assert {"专精特新", "融链固链建链", "链主企业", "新质生产力"} <= set(words)


# ---------------------------------------------------------------- scoring

def test_score_exact():
    prf = score_words([["我们", "在", "北京"]], [["我们", "在", "北京"]])
    assert (prf.tp, prf.fp, prf.fn) == (3, 0, 0)
    assert prf.precision == prf.recall == prf.f1 == 1.0


def test_score_one_split_error():
    # gold 3 words; prediction splits 北京 -> 北 京: 4 predicted, 2 correct
    prf = score_words([["我们", "在", "北京"]], [["我们", "在", "北", "京"]])
    assert (prf.tp, prf.fp, prf.fn) == (2, 2, 1)
    assert prf.precision == pytest.approx(0.5)
    assert prf.recall == pytest.approx(2 / 3)
    assert prf.f1 == pytest.approx(4 / 7)


def test_score_merge_error_and_multiple_sentences():
    gold = [["我们", "在", "北京"], ["好"]]
    pred = [["我们在", "北京"], ["好"]]
    prf = score_words(gold, pred)
    assert (prf.tp, prf.fp, prf.fn) == (2, 1, 2)


def test_score_empty():
    prf = score_words([], [])
    assert (prf.tp, prf.fp, prf.fn) == (0, 0, 0)
    assert prf.precision == prf.recall == 1.0
    prf = score_words([[]], [[]])
    assert prf.tp == prf.fp == prf.fn == 0


def test_score_rejects_mismatched_text():
    with pytest.raises(ValueError):
        score_words([["我们"]], [["你们"]])
    with pytest.raises(ValueError):
        score_words([["我们"]], [])


def test_read_gold_and_evaluate(tmp_path):
    gold = tmp_path / "g.utf8"
    gold.write_bytes("我们  在  北京  。\r\n\r\n共同  创造  美好  的  新  世纪   \r\n".encode("utf-8"))
    sents = read_gold(gold)
    assert sents == [["我们", "在", "北京", "。"], ["共同", "创造", "美好", "的", "新", "世纪"]]
    res = evaluate_segmenter("char", gold)
    assert res["sentences"] == 2 and res["characters"] == 16
    assert res["recall"] == pytest.approx(4 / 10)     # 在 。 的 新 are the one-character words
    res_p = evaluate_segmenter("pkuseg", gold, limit=1)
    assert res_p["sentences"] == 1 and 0.0 <= res_p["f1"] <= 1.0
    for key in ("precision", "recall", "f1", "chars_per_second", "sentences", "characters"):
        assert key in res
    assert "| char |" in format_table([res])


def test_context_dict_mode_keeps_text_and_dict_words(pkuseg_dict):
    text = "中小微企业服务行动暨专精特新 中小企业融链固链建链"
    words = pkuseg_dict.cut(text)
    assert "".join(words) == text.replace(" ", "")
    assert {"中小微企业", "专精特新", "中小企业", "融链固链建链"} <= set(words)
    assert "动暨" not in words                       # the stock fragment-wise mode produced 服务行|动暨
