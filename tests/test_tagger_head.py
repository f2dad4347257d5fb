"""The per-character tagger head of the spaCy NER backend: BIO decoding, the head file, its
training (pipeline.training.tagger_head) and ``SpacyNerBackend(head="tagger")``."""
from __future__ import annotations

import itertools

import numpy
import pytest

from pipeline.backends.base import ModelError
from pipeline.backends.ner_onnx import (BIO_TAGS, HEAD_FILE, OnnxTok2Vec, TaggerHead, bio_constraints, bio_spans,
                                        bio_viterbi, weights_hash, window_index)
from pipeline.backends.spacy_ner import SpacyNerBackend, default_model_path

TAGS = BIO_TAGS  # O, B-PERSON, I-PERSON, B-PLACE, I-PLACE, B-ORG, I-ORG
T = {t: i for i, t in enumerate(TAGS)}

SENTENCES = [
    "张伟昨天在上海会见了来自北京的代表团。",
    "李明和王芳去年夏天一起到杭州旅游。",
    "华为技术有限公司在深圳举行了新品发布会。",
    "记者从成都市教育局获悉，新学期将增加三所小学。",
    "周末，孙丽带着孩子去了武汉的东湖公园。",
    "我今天早上吃了两个包子，然后去公司上班。",
    "小米公司创始人雷军在北京接受了采访。",
    "吴敏从哈尔滨坐火车到了沈阳。",
    "教育部副部长杨光出席了在西安举办的论坛。",
    "这本书讲的是一个普通家庭三代人的故事。",
]


def _lp(rows: list[dict[str, float]]) -> numpy.ndarray:
    """Log-probabilities from {tag: probability} rows (the rest shared by the other tags)."""
    out = numpy.zeros((len(rows), len(TAGS)), dtype="float32")
    for i, row in enumerate(rows):
        rest = (1 - sum(row.values())) / (len(TAGS) - len(row))
        out[i] = [row.get(t, rest) for t in TAGS]
    return numpy.log(out)


def _valid(seq: list[int]) -> bool:
    first, trans = bio_constraints(TAGS)
    return bool(first[seq[0]]) and all(trans[a, b] for a, b in zip(seq, seq[1:]))


# ----------------------------------------------------------------------------- decoding

def test_constraints():
    first, trans = bio_constraints(TAGS)
    assert [TAGS[i] for i in numpy.flatnonzero(~first)] == ["I-PERSON", "I-PLACE", "I-ORG"]
    assert not trans[T["O"], T["I-PERSON"]] and not trans[T["B-PLACE"], T["I-PERSON"]]
    assert not trans[T["I-ORG"], T["I-PERSON"]]
    assert trans[T["B-PERSON"], T["I-PERSON"]] and trans[T["I-PERSON"], T["I-PERSON"]]
    assert trans[T["I-PERSON"], T["B-PERSON"]] and trans[T["O"], T["B-ORG"]] and trans[T["I-ORG"], T["O"]]


def test_viterbi_fixes_an_i_after_o():
    # argmax: O I-PERSON I-PERSON O -> the best valid path turns the first I- into B- (0.5*0.6 > O's 0.45*...)
    lp = _lp([{"O": 0.9}, {"I-PERSON": 0.5, "B-PERSON": 0.45}, {"I-PERSON": 0.9}, {"O": 0.9}])
    assert [TAGS[i] for i in lp.argmax(1)] == ["O", "I-PERSON", "I-PERSON", "O"]
    assert [TAGS[i] for i in bio_viterbi(lp, [4], TAGS)] == ["O", "B-PERSON", "I-PERSON", "O"]


def test_viterbi_never_continues_another_type():
    # argmax: B-PLACE I-ORG I-ORG -> one type for the whole run
    lp = _lp([{"B-PLACE": 0.6, "B-ORG": 0.35}, {"I-ORG": 0.8, "I-PLACE": 0.1}, {"I-ORG": 0.9}])
    assert [TAGS[i] for i in bio_viterbi(lp, [3], TAGS)] == ["B-ORG", "I-ORG", "I-ORG"]


def test_viterbi_never_starts_a_document_with_i():
    # two documents: the second starts with a strong I-PERSON after the first one's B-PERSON
    lp = _lp([{"B-PERSON": 0.9}, {"I-PERSON": 0.6, "O": 0.3}, {"I-PERSON": 0.5, "B-PERSON": 0.3, "O": 0.1}])
    path = bio_viterbi(lp, [1, 2], TAGS)
    assert [TAGS[i] for i in path] == ["B-PERSON", "O", "B-PERSON"]


def test_viterbi_is_the_best_valid_path():
    # exhaustive check on random log-probabilities of short documents (of several lengths at once)
    rng = numpy.random.default_rng(0)
    lengths = [4, 1, 3, 0, 4, 2]
    lp = numpy.log(rng.dirichlet(numpy.full(len(TAGS), 0.3), size=sum(lengths))).astype("float32")
    path = bio_viterbi(lp, lengths, TAGS)
    assert path.shape == (sum(lengths),)
    start = 0
    for n in lengths:
        if n == 0:
            continue
        got = path[start:start + n].tolist()
        scores = {seq: sum(lp[start + i, t] for i, t in enumerate(seq))
                  for seq in itertools.product(range(len(TAGS)), repeat=n) if _valid(list(seq))}
        assert _valid(got)
        assert abs(scores[tuple(got)] - max(scores.values())) < 1e-4
        start += n


def test_viterbi_output_is_always_valid_bio():
    rng = numpy.random.default_rng(1)
    lengths = rng.integers(1, 40, size=50)
    lp = numpy.log(rng.dirichlet(numpy.full(len(TAGS), 0.2), size=int(lengths.sum()))).astype("float32")
    path = bio_viterbi(lp, lengths, TAGS)
    start = 0
    for n in lengths:
        assert _valid(path[start:start + n].tolist())
        start += n
    assert bio_viterbi(numpy.zeros((0, len(TAGS)), "float32"), [], TAGS).shape == (0,)


def test_spans_from_tags():
    seq = ["B-PERSON", "I-PERSON", "O", "B-PLACE", "B-PLACE", "I-PLACE",  # doc 1 (6)
           "I-ORG", "I-ORG", "O",  # doc 2 (3): an I- without B- starts its own span
           "B-ORG"]  # doc 3 (1)
    spans = bio_spans(numpy.array([T[t] for t in seq]), [6, 3, 0, 1], TAGS)
    assert spans == [[(0, 2, "PERSON"), (3, 4, "PLACE"), (4, 6, "PLACE")], [(0, 2, "ORG")], [], [(0, 1, "ORG")]]
    # an I- of another type ends the span and starts its own
    assert bio_spans(numpy.array([T["B-ORG"], T["I-PERSON"]]), [2], TAGS) == [[(0, 1, "ORG"), (1, 2, "PERSON")]]


def test_window_index():
    w = window_index([3, 1], 1)
    # rows: doc 1 = tokens 0..2, doc 2 = token 3; 4 = the zero row
    assert w.tolist() == [[4, 0, 1], [0, 1, 2], [1, 2, 4], [4, 3, 4]]


# ----------------------------------------------------------------------------- the head file

def _random_head(width=8, window=1, hidden=5, seed=0) -> TaggerHead:
    rng = numpy.random.default_rng(seed)
    sizes = [(2 * window + 1) * width, *((hidden,) if isinstance(hidden, int) else hidden), len(TAGS)]
    return TaggerHead(layers=[(rng.standard_normal((a, b)).astype("float32"), rng.standard_normal(b).astype("float32"))
                              for a, b in zip(sizes, sizes[1:])],
                      window=window, model_hash="abc123", info={"sentences": 3, "note": "测试"})


@pytest.mark.parametrize("hidden", [5, (6, 4)])
def test_head_file_round_trip(tmp_path, hidden):
    head = _random_head(hidden=hidden)
    head.save(tmp_path / "h.npz")
    back = TaggerHead.load(tmp_path / "h.npz")
    assert len(back.layers) == len(head.layers) == (2 if hidden == 5 else 3)
    for (W, b), (W0, b0) in zip(back.layers, head.layers):
        assert numpy.array_equal(W, W0) and numpy.array_equal(b, b0)
    assert (back.window, back.tags, back.model_hash, back.info) == (1, TAGS, "abc123", head.info)
    vecs = numpy.random.default_rng(2).standard_normal((7, 8)).astype("float32")
    lp = back.logprobs(vecs, [4, 3])
    assert lp.shape == (7, len(TAGS))
    assert numpy.allclose(numpy.exp(lp).sum(1), 1, atol=1e-5)
    assert numpy.allclose(lp, head.logprobs(vecs, [4, 3]))


def test_train_head_learns_a_separable_task():
    from pipeline.training.tagger_head import train_head

    rng = numpy.random.default_rng(0)
    lengths = numpy.array([20] * 100)
    tags = rng.integers(0, len(TAGS), size=2000)
    vecs = (numpy.eye(16)[tags] * 3 + rng.standard_normal((2000, 16)) * 0.1).astype("float16")  # tag in the vector
    head = train_head(vecs, lengths, tags, window=1, hidden=16, epochs=10, batch=64, seed=0)
    assert [W.shape for W, _ in head.layers] == [(3 * 16, 16), (16, len(TAGS))] and head.window == 1
    lp = head.logprobs(vecs.astype("float32"), lengths)
    assert (lp.argmax(1) == tags).mean() > 0.95
    again = train_head(vecs, lengths, tags, window=1, hidden=16, epochs=10, batch=64, seed=0)
    assert numpy.array_equal(again.layers[0][0], head.layers[0][0])  # seeded
    deep = train_head(vecs, lengths, tags, window=1, hidden=(16, 8), epochs=10, batch=64, seed=0)
    assert [W.shape for W, _ in deep.layers] == [(48, 16), (16, 8), (8, len(TAGS))]
    assert (deep.logprobs(vecs.astype("float32"), lengths).argmax(1) == tags).mean() > 0.95


# ----------------------------------------------------------------------------- the backend

def _model_copy(tmp_path):
    """A model folder whose parts are links to the shipped model's files, without its head file."""
    src = default_model_path()
    (tmp_path / "ner").mkdir()
    for f in (src / "ner").iterdir():
        if f.name != HEAD_FILE:
            (tmp_path / "ner" / f.name).symlink_to(f, target_is_directory=f.is_dir())
    (tmp_path / "orgtype").symlink_to(src / "orgtype", target_is_directory=True)
    return tmp_path


def test_training_on_a_tiny_corpus_gives_a_head_that_runs(tmp_path):
    from pipeline.training.tagger_head import make_head

    root = _model_copy(tmp_path)
    head, report = make_head(root, SENTENCES * 3, window=1, hidden=16, epochs=2, seed=0, log=lambda m: None)
    assert (root / "ner" / HEAD_FILE).is_file()
    assert [W.shape for W, _ in head.layers] == [(3 * 64, 16), (16, len(TAGS))]
    assert head.model_hash == weights_hash(root / "ner" / "ner")
    assert report["sentences"] == 30 and report["tokens"] == 3 * sum(map(len, SENTENCES))
    b = SpacyNerBackend(root, head="tagger")
    out = b.tag(SENTENCES + ["", "  "])
    assert len(out) == len(SENTENCES) + 2 and out[-2:] == [[], []]
    for text, spans in zip(SENTENCES, out):
        assert all(0 <= s < e <= len(text) and label in ("PERSON", "PLACE", "COMPANY", "GOV", "ORG")
                   for s, e, label in spans)


def test_missing_head_file_is_a_model_error(tmp_path):
    root = _model_copy(tmp_path)
    with pytest.raises(ModelError, match=rf"needs {root / 'ner' / HEAD_FILE}, which is missing.*"
                                         r"python -m pipeline.training.tagger_head"):
        SpacyNerBackend(root, head="tagger")
    SpacyNerBackend(root, head="parser", runtime="thinc")  # the parser needs no head file


def test_head_of_other_weights_is_a_model_error(tmp_path):
    root = _model_copy(tmp_path)
    _random_head(width=64, window=2).save(root / "ner" / HEAD_FILE)  # model_hash "abc123"
    with pytest.raises(ModelError, match=r"trained on other ner weights \(hash abc123"):
        SpacyNerBackend(root, head="tagger")


def test_unknown_head_is_a_value_error():
    with pytest.raises(ValueError, match=r"unknown head 'crf'.*expected one of: parser, tagger"):
        SpacyNerBackend(head="crf")


def test_head_is_a_known_config_key():
    from pipeline.entities import EntityStage

    s = EntityStage.Settings(backend="spacy", backend_options={"head": "tagger"})
    assert s.backend_options == {"head": "tagger"}


@pytest.fixture(scope="module")
def shipped() -> dict[str, SpacyNerBackend]:
    return {"parser": SpacyNerBackend(head="parser"), "tagger": SpacyNerBackend(head="tagger"),
            "tagger-fp32": SpacyNerBackend(head="tagger", runtime="onnx"),
            "tagger-thinc": SpacyNerBackend(head="tagger", runtime="thinc")}


def test_shipped_tagger_finds_the_entities(shipped):
    out = shipped["tagger"].tag(SENTENCES)
    assert (0, 2, "PERSON") in out[0] and (5, 7, "PLACE") in out[0] and (12, 14, "PLACE") in out[0]
    assert {(0, 2, "PERSON"), (3, 5, "PERSON"), (12, 14, "PLACE")} <= set(out[1])
    assert {(0, 2, "PERSON"), (3, 6, "PLACE"), (11, 13, "PLACE")} <= set(out[7])
    assert out[5] == [] and out[9] == []
    parser = shipped["parser"].tag(SENTENCES)
    assert sum(a == b for a, b in zip(out, parser)) >= 0.8 * len(SENTENCES)


def test_onnx_head_matches_the_numpy_head(shipped):
    b = shipped["tagger-fp32"]
    nlp = b.nlp
    docs = [nlp.make_doc(t) for t in SENTENCES]
    for name, proc in nlp.pipeline:
        if name != "ner":
            docs = [proc(d) for d in docs]
    ref = nlp.get_pipe("ner").model.get_ref("tok2vec").predict(docs)
    lengths = [len(d) for d in docs]
    assert numpy.allclose(b.onnx.logprobs(docs), b.tagger.logprobs(ref, lengths), atol=1e-3)
    assert shipped["tagger-thinc"].tag(SENTENCES) == b.tag(SENTENCES)
    assert isinstance(b.onnx, OnnxTok2Vec) and b.onnx.head is b.tagger


def test_onnx_graph_of_a_two_layer_head(shipped):
    nlp = shipped["tagger-thinc"].nlp
    docs = [nlp.make_doc(t) for t in SENTENCES[:4]]
    for name, proc in nlp.pipeline:
        if name != "ner":
            docs = [proc(d) for d in docs]
    model = nlp.get_pipe("ner").model
    ref = model.get_ref("tok2vec").predict(docs)
    head = _random_head(width=64, window=2, hidden=(8, 6), seed=3)
    got = OnnxTok2Vec(model, head=head).logprobs(docs)
    assert got.shape == (sum(len(d) for d in docs), len(TAGS))
    assert numpy.allclose(got, head.logprobs(ref, [len(d) for d in docs]), atol=1e-3)
