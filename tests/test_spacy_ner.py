"""The shipped spaCy NER model and its backend (pipeline.backends.spacy_ner)."""
from __future__ import annotations

import pytest

from pipeline.backends.spacy_ner import SpacyNerBackend, default_model_path, split_chunks

LABELS = {"PERSON", "PLACE", "COMPANY", "GOV", "ORG"}


@pytest.fixture(scope="module")
def backend() -> SpacyNerBackend:
    return SpacyNerBackend()


def _check_offsets(text: str, spans) -> None:
    for s, e, lab in spans:
        assert 0 <= s < e <= len(text)
        assert lab in LABELS
        assert text[s:e].strip() == text[s:e]


def test_shipped_model_present():
    root = default_model_path()
    assert (root / "ner" / "config.cfg").exists()
    assert (root / "orgtype" / "config.cfg").exists()
    assert (root / "MODEL_CARD.md").exists()


def test_backend_name(backend):
    assert backend.name == "spacy"


def test_tags_handwritten_sentences(backend):
    texts = [
        "张伟昨天在上海会见了来自北京的代表团。",
        "李明和王芳去年夏天一起到杭州旅游。",
        "国务院总理在北京人民大会堂会见了法国总统。",
        "阿里巴巴集团今天在杭州发布了新一季度财报。",
    ]
    out = backend.tag(texts)
    assert len(out) == len(texts)
    for text, spans in zip(texts, out):
        _check_offsets(text, spans)
    found = [{(t[s:e], lab if lab in ("PERSON", "PLACE") else "ORG") for s, e, lab in spans}
             for t, spans in zip(texts, out)]
    assert ("张伟", "PERSON") in found[0]
    assert ("上海", "PLACE") in found[0]
    assert ("北京", "PLACE") in found[0]
    assert ("李明", "PERSON") in found[1] and ("王芳", "PERSON") in found[1]
    assert ("杭州", "PLACE") in found[1]
    assert ("国务院", "ORG") in found[2] or any(lab == "ORG" for _, lab in found[2])
    assert ("法国", "PLACE") in found[2]
    assert any(lab == "ORG" and "阿里巴巴" in m for m, lab in found[3])


def test_offsets_with_leading_whitespace_and_long_text(backend):
    text = "  \n 王小明在深圳工作。" + "今天天气很好，我们出去走走。" * 80 + "\n刘德华来到了广州。"
    assert len(text) > 1000
    [spans] = backend.tag([text])
    _check_offsets(text, spans)
    mentions = {text[s:e] for s, e, _ in spans}
    assert "深圳" in mentions and "广州" in mentions


@pytest.mark.parametrize("odd", [
    "", " ", "\n\n\t", "。。。", "a" * 5000, "🙂👍🏽 emoji 测试", "\x00\x01\ufeff零宽\u200b字符",
    "\ud800孤立代理", "ＡＢＣ１２３全角", "مرحبا بالعالم", "一" * 3000, "\u3000\u3000　",
])
def test_odd_input_does_not_raise(backend, odd):
    [spans] = backend.tag([odd])
    for s, e, lab in spans:
        assert 0 <= s < e <= len(odd) and lab in LABELS


def test_empty_batch(backend):
    assert backend.tag([]) == []
    assert backend.tag(["", "北京"])[0] == []


def test_org_type_classifier(backend):
    mentions = ["海信集团", "广东顺威精密塑料股份有限公司", "青岛市工业和信息化局", "省委宣传部",
                "中国会展经济研究会"]
    assert backend.classify_orgs(mentions) == ["COMPANY", "COMPANY", "GOV", "GOV", "ORG"]


def test_org_spans_get_fine_type(backend):
    text = "青岛市工业和信息化局与海信集团签署了合作协议。"
    [spans] = backend.tag([text])
    labels = {text[s:e]: lab for s, e, lab in spans}
    orgs = {m: lab for m, lab in labels.items() if lab in ("COMPANY", "GOV", "ORG")}
    assert orgs, labels
    if "海信集团" in orgs:
        assert orgs["海信集团"] == "COMPANY"
    if "青岛市工业和信息化局" in orgs:
        assert orgs["青岛市工业和信息化局"] == "GOV"


def test_missing_model_path_is_clear(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        SpacyNerBackend(model=missing)


def test_split_chunks_offsets():
    text = "第一句。" * 200 + "没有标点的很长一段" * 100
    chunks = split_chunks(text, 300)
    assert all(len(c) <= 300 for _, c in chunks)
    assert "".join(c for _, c in chunks) == text
    for off, c in chunks:
        assert text[off:off + len(c)] == c
