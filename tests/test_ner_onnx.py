"""The NER model's tok2vec through ONNX Runtime (pipeline.backends.ner_onnx) and the
``runtime`` option of the spaCy backend."""
from __future__ import annotations

import numpy
import pytest

from pipeline.backends.ner_onnx import RUNTIMES, OnnxTok2Vec
from pipeline.backends.spacy_ner import SpacyNerBackend

SENTENCES = [
    "张伟昨天在上海会见了来自北京的代表团。",
    "李明和王芳去年夏天一起到杭州旅游。",
    "国家发展和改革委员会今天发布了新的价格政策。",
    "华为技术有限公司在深圳举行了新品发布会。",
    "刘晓红毕业于南京大学，现在在广州一家银行工作。",
    "记者从成都市教育局获悉，新学期将增加三所小学。",
    "陈建国说，这次去西藏拉萨的路上风景很美。",
    "中国人民银行宣布下调存款准备金率。",
    "阿里巴巴集团的工程师赵磊参加了在杭州召开的技术大会。",
    "上海交通大学和复旦大学联合成立了一个研究中心。",
    "周末，孙丽带着孩子去了武汉的东湖公园。",
    "湖南省人民政府办公厅印发了关于乡村振兴的通知。",
    "小米公司创始人雷军在北京接受了采访。",
    "黄河流经青海、甘肃、宁夏等九个省区。",
    "王建军是天津市第一中学的数学老师。",
    "联合国秘书长在纽约总部发表讲话。",
    "吴敏从哈尔滨坐火车到了沈阳。",
    "腾讯控股有限公司公布了第三季度财报。",
    "教育部副部长杨光出席了在西安举办的论坛。",
    "昨天下午，郑州市公安局破获一起诈骗案。",
    "何丽娟在长沙的一家医院当护士已经十年了。",
    "清华大学的研究团队在《自然》杂志发表了论文。",
    "来自香港的歌手梁家辉在台北举办了演唱会。",
    "中国石油化工集团公司与沙特阿美签署了合作协议。",
    "马云曾经在杭州师范学院任教。",
    "林志强和他的同事们正在重庆调研。",
    "世界卫生组织发布了最新的疫情报告。",
    "广东省气象台预计明天珠江三角洲有大雨。",
    "高峰同志担任中共江苏省委副书记。",
    "日本首相在东京会见了美国国务卿。",
    "我今天早上吃了两个包子，然后去公司上班。",
    "这本书讲的是一个普通家庭三代人的故事。",
    "北京大学历史系教授徐文在讲座上介绍了敦煌壁画。",
    "中国科学院上海分院召开了年度工作会议。",
    "2023年，比亚迪股份有限公司的销量超过三百万辆。",
    "朱小明说：“我们明年还要去云南大理看看。”",
]


@pytest.fixture(scope="module")
def backends() -> dict[str, SpacyNerBackend]:
    return {r: SpacyNerBackend(runtime=r) for r in RUNTIMES}


@pytest.fixture(scope="module")
def spans(backends) -> dict[str, list]:
    return {r: b.tag(SENTENCES) for r, b in backends.items()}


def test_thinc_finds_entities(spans):
    # a meaningful comparison: the reference finds something in most sentences
    assert sum(bool(s) for s in spans["thinc"]) >= len(SENTENCES) * 2 // 3


def test_onnx_fp32_gives_the_same_spans_as_thinc(spans):
    assert spans["onnx"] == spans["thinc"]


def test_onnx_int8_agrees_on_most_sentences(spans):
    same = sum(a == b for a, b in zip(spans["thinc"], spans["onnx-int8"]))
    assert same >= 0.95 * len(SENTENCES)


def _docs(nlp, texts):
    docs = [nlp.make_doc(t) for t in texts]
    for _, proc in nlp.pipeline:
        if proc is not nlp.get_pipe("ner"):
            docs = [proc(d) for d in docs]
    return docs


def test_onnx_tok2vec_output_is_close_to_thinc(backends):
    nlp = backends["thinc"].nlp
    model = nlp.get_pipe("ner").model
    docs = _docs(nlp, SENTENCES + ["", "我", "  空格  和\n换行  "])
    ref = model.get_ref("tok2vec").predict(docs)  # thinc's forward (this backend was not patched)
    fp32 = OnnxTok2Vec(model)(docs)
    assert fp32.shape == ref.shape == (sum(len(d) for d in docs), 64)
    assert numpy.allclose(fp32, ref, atol=1e-4)
    int8 = OnnxTok2Vec(model, quantized=True)(docs)
    assert int8.shape == ref.shape
    assert numpy.abs(int8 - ref).mean() < 0.05 * numpy.abs(ref).mean()  # close, not equal


def test_patched_forward_is_used_for_prediction_only(backends):
    b = backends["onnx"]
    layer = b.nlp.get_pipe("ner").model.get_ref("tok2vec")
    docs = _docs(b.nlp, SENTENCES[:4])
    pred = layer.predict(docs)
    assert numpy.allclose(pred, b.onnx(docs))
    train_out, backprop = layer.begin_update(docs)  # thinc's own layers, with a gradient
    assert numpy.allclose(train_out, pred, atol=1e-4)
    assert callable(backprop)


def test_backend_keeps_its_runtime(backends):
    assert backends["thinc"].onnx is None
    assert backends["onnx"].onnx.quantized is False
    assert backends["onnx-int8"].onnx.quantized is True


def test_empty_inputs(backends):
    b = backends["onnx-int8"]
    assert b.tag(["", "   ", "张伟在上海。"])[:2] == [[], []]
    assert b.onnx([]).shape == (0, 64)


def test_unknown_runtime_is_a_value_error():
    with pytest.raises(ValueError, match=r"unknown runtime 'gpu'.*thinc, onnx, onnx-int8"):
        SpacyNerBackend(runtime="gpu")


def test_runtime_is_a_known_config_key(write_config):
    from pipeline.config import load_config
    from pipeline.entities import EntityStage
    from pipeline.stage import StageInitError

    cfg = write_config({"stages": ["layout", "segment", "entities"], "input": {"paths": ["in.txt"]},
                        "entities": {"backend": "spacy", "backend_options": {"runtime": "onnx-int8"}}})
    assert load_config(cfg).entities.backend_options == {"runtime": "onnx-int8"}
    bad = EntityStage.Settings(backend="spacy", backend_options={"runtime": "fast"})
    with pytest.raises(StageInitError, match=r"cannot load NER backend 'spacy': unknown runtime 'fast'.*"
                                             r"expected one of: thinc, onnx, onnx-int8"):
        EntityStage(bad)


# ----------------------------------------------------------------------------- cheaper char features

def _reference_features(doc, words: bool) -> numpy.ndarray:
    """CharFeatures as it was written first (Token objects, one numpy cell at a time): the ids
    the shipped model was trained on."""
    from spacy.strings import get_string_id

    from pipeline.backends.spacy_ner import _norm_char, _word_segmenter

    n = len(doc)
    norms = [_norm_char(t.text) if not t.is_space else "<sp>" for t in doc]
    arr = numpy.zeros((n, 4), dtype="uint64")
    for i in range(n):
        nxt = norms[i + 1] if i + 1 < n else "</s>"
        arr[i, 0] = get_string_id(norms[i])
        arr[i, 1] = get_string_id(norms[i] + "|" + nxt)
    if words:
        tok, tags = _word_segmenter()
        text = doc.text
        normed = [_norm_char(c) for c in text]
        wf = ["S|" + c for c in normed]
        pf = ["S-x"] * len(text)
        for w, s, e in tok.tokenize(text, HMM=True):
            if e - s <= 0 or w.isspace():
                continue
            nw, tag = "".join(normed[s:e]), tags.get(w, "oov")
            for k in range(s, e):
                p = "S" if e - s == 1 else "B" if k == s else "E" if k == e - 1 else "M"
                wf[k], pf[k] = p + "|" + nw, p + "-" + tag
        for i, t in enumerate(doc):
            arr[i, 2] = get_string_id(wf[t.idx])
            arr[i, 3] = get_string_id(pf[t.idx])
    return arr


EDGE_TEXTS = ["Ｈｅｌｌｏ，ＡＢＣ公司１２３号！", "  前后有空格  ", "多个   空格\n\n换行\t制表", "中", "a",
              "2024年5月1日，Apple与微软（Microsoft）在西雅图会谈。", "全角　空格　和\u00a0不换行空格", "😀表情😀符号",
              "第三十二届奥林匹克运动会于东京举行"]


@pytest.mark.parametrize("words", [True, False])
def test_char_features_ids_unchanged(backends, words):
    from spacy.attrs import DEP, LEMMA, NORM, TAG

    from pipeline.backends.spacy_ner import CharFeatures

    nlp = backends["thinc"].nlp
    feats = CharFeatures(nlp, words=words)
    cols = [LEMMA, NORM, TAG, DEP] if words else [LEMMA, NORM]
    for text in SENTENCES + EDGE_TEXTS:
        doc = feats(nlp.make_doc(text))
        expected = _reference_features(nlp.make_doc(text), words)[:, :len(cols)]
        assert numpy.array_equal(doc.to_array(cols), expected), text


# ----------------------------------------------------------------------------- other architectures

def _blank_ner(embed: dict, encode: dict):
    import spacy

    nlp = spacy.blank("zh")
    ner = nlp.add_pipe("ner", config={"model": {
        "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
        "hidden_width": 16, "maxout_pieces": 2, "use_upper": True, "nO": None,
        "tok2vec": {"@architectures": "spacy.Tok2Vec.v2", "embed": embed, "encode": encode}}})
    ner.add_label("PERSON")
    nlp.initialize()
    return nlp


def test_graph_follows_the_model_s_own_shapes():
    # another width, window, depth, attributes and table sizes than the shipped model
    nlp = _blank_ner({"@architectures": "spacy.MultiHashEmbed.v2", "width": 32, "attrs": ["NORM", "PREFIX", "SHAPE"],
                      "rows": [500, 300, 100], "include_static_vectors": False},
                     {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 32, "depth": 2, "window_size": 1,
                      "maxout_pieces": 2})
    model = nlp.get_pipe("ner").model
    docs = [nlp.make_doc(t) for t in SENTENCES[:10]]
    ref = model.get_ref("tok2vec").predict(docs)
    assert ref.shape == (sum(len(d) for d in docs), 16)
    assert numpy.allclose(OnnxTok2Vec(model)(docs), ref, atol=1e-4)


def test_unsupported_architecture_keeps_thinc(tmp_path, caplog):
    from pipeline.backends.ner_onnx import UnsupportedModel
    from pipeline.backends.spacy_ner import default_model_path

    nlp = _blank_ner({"@architectures": "spacy.CharacterEmbed.v2", "width": 32, "rows": 200, "nM": 8, "nC": 4,
                      "include_static_vectors": False},
                     {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 32, "depth": 1, "window_size": 1,
                      "maxout_pieces": 2})
    with pytest.raises(UnsupportedModel):
        OnnxTok2Vec(nlp.get_pipe("ner").model)
    nlp.to_disk(tmp_path / "ner")
    (tmp_path / "orgtype").symlink_to(default_model_path() / "orgtype", target_is_directory=True)
    b = SpacyNerBackend(tmp_path, runtime="onnx-int8")
    assert b.runtime == "thinc" and b.onnx is None
    assert "using thinc" in caplog.text
    assert isinstance(b.tag(["张伟在上海。"])[0], list)
