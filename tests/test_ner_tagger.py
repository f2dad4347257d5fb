"""A NER model whose ``ner`` component is a spaCy ``tagger`` over BIO tags (issue 19):
training it on another model's tok2vec (``ner.head: tagger``), scoring it, and running it in
the backend through thinc and ONNX Runtime."""
from __future__ import annotations

import json

import numpy
import pytest
import spacy
import yaml
from spacy.training import Example

from pipeline.backends.ner_onnx import BIO_TAGS
from pipeline.backends.spacy_ner import SpacyNerBackend, bio_token_spans, score_bio_ents, tagger_logprobs
from pipeline.training.ner import bio_tags, ner_spacy_config, train_ner
from test_spacy_ner import LABELS, _tiny_from_scratch, _write_tiny_corpora

SENTENCES = ["张伟在上海参观了海信集团。", "李娜在杭州参观了青岛市商务局。", "今天天气很好。", "王强"]


@pytest.mark.parametrize("tags, spans", [
    (["B-PERSON", "I-PERSON", "O", "B-PLACE"], [(0, 2, "PERSON"), (3, 4, "PLACE")]),
    (["I-ORG", "I-ORG", "O"], [(0, 2, "ORG")]),  # an I- without its B- starts a span
    (["B-PERSON", "I-PLACE", "I-PLACE"], [(0, 1, "PERSON"), (1, 3, "PLACE")]),
    (["B-ORG", "B-ORG", "I-ORG"], [(0, 1, "ORG"), (1, 3, "ORG")]),
    (["O", "O"], []),
    ([], []),
])
def test_bio_token_spans(tags, spans):
    assert bio_token_spans(tags) == spans


def _doc(nlp, text, ents, missing=()):
    doc = nlp.make_doc(text)
    doc.set_ents([doc.char_span(s, e, label=lab) for s, e, lab in ents],
                 missing=[doc.char_span(s, e) for s, e in missing], default="outside")
    return doc


def test_bio_tags_keep_missing_annotation_missing():
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    doc = _doc(nlp, "张伟在上海", [(0, 2, "PERSON")], missing=[(3, 5)])
    bio_tags(doc)
    assert [t.tag_ for t in doc] == ["B-PERSON", "I-PERSON", "O", "", ""]


def test_scorer_counts_strict_spans_and_ignores_missing_annotation():
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    ref = _doc(nlp, "张伟在上海见李娜", [(0, 2, "PERSON"), (6, 8, "PERSON")], missing=[(3, 5)])
    pred = nlp.make_doc(ref.text)
    for tok, tag in zip(pred, ["B-PERSON", "I-PERSON", "O", "B-PLACE", "I-PLACE", "O", "B-PERSON", "O"]):
        tok.tag_ = tag
    scores = score_bio_ents([Example(pred, ref)])
    # 张伟 right, 上海 over missing annotation ignored, 李娜 cut short: P 1/2, R 1/2
    assert scores["ents_p"] == pytest.approx(0.5) and scores["ents_r"] == pytest.approx(0.5)
    assert scores["ents_per_type"]["PERSON"]["f"] == pytest.approx(0.5)
    assert "PLACE" not in scores["ents_per_type"]


@pytest.fixture(scope="module")
def parser_model(tmp_path_factory):
    """A tiny transition-based model trained from scratch (the source of the tagger stages)."""
    root = tmp_path_factory.mktemp("tagger")
    _write_tiny_corpora(root)
    (root / "first.yaml").write_text(yaml.safe_dump(_tiny_from_scratch()), encoding="utf-8")
    train_ner(root / "first.yaml", root / "m1")
    return root


def _tagger_stage(root, name: str, learn_rate: float, **options):
    cfg = _tiny_from_scratch()
    cfg["ner"] = {"source": "m1", "head": "tagger", "learn_rate": learn_rate, "max_steps": 30,
                  "eval_frequency": 10, "max_epochs": 20, **options}
    (root / f"{name}.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return train_ner(root / f"{name}.yaml", root / name)


def _tok2vec_weights(model_dir):
    ner = spacy.load(model_dir / "ner").get_pipe("ner")
    t2v = ner.model.get_ref("tok2vec")
    if ner.model.has_ref("lower"):  # the parser: tok2vec >> list2array >> linear
        t2v = t2v.layers[0]
    return [node.get_param(p) for node in t2v.walk() for p in node.param_names if node.has_param(p)]


def test_tagger_stage_starts_from_the_source_tok2vec(parser_model):
    """With a learning rate of 0 the tagger's tok2vec is the source parser's, weight for weight
    (to float rounding of the parameter averages): the callback copied it in; the component is a
    tagger over the BIO tags."""
    import pipeline.backends.spacy_ner  # noqa: F401  registers the factory and the scorer

    _tagger_stage(parser_model, "frozen", 0.0)
    src, new = _tok2vec_weights(parser_model / "m1"), _tok2vec_weights(parser_model / "frozen")
    assert len(src) == len(new) > 5
    assert all(numpy.allclose(a, b, rtol=0, atol=1e-6) for a, b in zip(src, new))
    nlp = spacy.load(parser_model / "frozen" / "ner")
    assert nlp.get_pipe_meta("ner").factory == "tagger"
    assert sorted(nlp.get_pipe("ner").labels) == sorted(BIO_TAGS)


@pytest.mark.parametrize("name, options", [
    ("tagger", {}),  # spacy.Tagger.v2: a softmax on each token's vector
    ("window-tagger", {"tagger_hidden_width": 12, "tagger_window": 1}),  # zh_extract.WindowTagger.v1
])
def test_tagger_model_runs_in_the_backend_the_same_through_thinc_and_onnx(parser_model, name, options):
    scores = _tagger_stage(parser_model, name, 0.005, **options)
    assert "ents_f" in scores["ner_dev"]
    config = (parser_model / name / "ner" / "config.cfg").read_text(encoding="utf-8")
    assert ("zh_extract.WindowTagger.v1" in config) is bool(options)
    card = (parser_model / name / "MODEL_CARD.md").read_text(encoding="utf-8")
    arch = "zh_extract.WindowTagger.v1" if options else "spacy.Tagger.v2"
    assert f"is a spaCy `tagger` (`{arch}`)" in card and f"tagger head `{arch}`" in card
    assert ("hidden width 12." in card) is bool(options)
    assert "2. this model, continued from stage 1" in card
    backends = {rt: SpacyNerBackend(parser_model / name, runtime=rt) for rt in ("thinc", "onnx", "onnx-int8")}
    assert all(b.bio_tagger and b.head == "tagger" for b in backends.values())
    assert backends["onnx"].onnx is not None and backends["onnx"].onnx.tags == BIO_TAGS
    found = {rt: b.tag(SENTENCES) for rt, b in backends.items()}
    assert found["thinc"] == found["onnx"]
    assert any(found["thinc"]), "the trained tagger finds some entity in its own training sentences"
    for spans, text in zip(found["thinc"], SENTENCES):
        assert all(0 <= s < e <= len(text) and lab in LABELS for s, e, lab in spans)
    # the graph's log-probabilities are the tagger's softmax, columns in BIO_TAGS order
    b = backends["onnx"]
    docs = [b.nlp.get_pipe("zh_char_features")(b.nlp.make_doc(t)) for t in SENTENCES]
    lp = tagger_logprobs(b.nlp.get_pipe("ner"), docs)
    assert numpy.allclose(numpy.exp(lp).sum(1), 1, atol=1e-5)
    assert numpy.allclose(b.onnx.logprobs(docs), lp, atol=1e-4)


def test_head_tagger_needs_a_source():
    with pytest.raises(ValueError, match="needs a source model"):
        ner_spacy_config({**_tiny_from_scratch()["ner"], "head": "tagger"}, 0, "t", "d")


def test_tagger_config_renders_with_the_source_network(tmp_path):
    """The config of a tagger stage takes the tok2vec network from the source's config."""
    from thinc.api import Config

    src = tmp_path / "src" / "ner"
    src.mkdir(parents=True)
    from pipeline.training.ner import DEFAULTS

    h = {**DEFAULTS["ner"], **json.loads(json.dumps(_tiny_from_scratch()["ner"]))}
    (src / "config.cfg").write_text(ner_spacy_config(h, 0, tmp_path / "a", tmp_path / "b"), encoding="utf-8")
    text = ner_spacy_config({**h, "source": str(tmp_path / "src"), "head": "tagger"}, 0, tmp_path / "a", tmp_path / "b")
    parsed = Config().from_str(text, interpolate=False)
    ner = parsed["components"]["ner"]
    assert ner["factory"] == "tagger" and ner["model"]["@architectures"] == "spacy.Tagger.v2"
    assert ner["model"]["tok2vec"]["embed"]["rows"] == [500, 500, 500, 50]
    assert parsed["initialize"]["after_init"]["source"] == str(src)
    assert parsed["initialize"]["components"]["ner"]["labels"] == list(BIO_TAGS)
