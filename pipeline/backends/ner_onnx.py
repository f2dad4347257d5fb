"""The NER model's tok2vec run by ONNX Runtime at prediction time.

:class:`OnnxTok2Vec` reads the weights of a loaded spaCy ``ner`` component whose
model is ``spacy.TransitionBasedParser.v2`` over ``spacy.Tok2Vec.v2`` =
``MultiHashEmbed.v2`` (no static vectors) + ``MaxoutWindowEncoder.v2``, and builds,
in memory, an ONNX graph of the predict path of the parser's ``tok2vec`` layer:

* the hashed embedding tables (summed per feature, concatenated) and the Maxout +
  LayerNorm that mixes them;
* the window encoder: ``depth`` times residual(expand_window >> Maxout >> LayerNorm),
  over the batch laid out exactly as thinc's ``with_array(pad=window*depth)`` lays it
  out (zero rows before each document and after the last);
* the ``Linear`` that the TransitionBasedParser puts after the tok2vec.

The feature ids (``Doc.to_array`` of the embedded attributes) are hashed in numpy
with thinc's own ``ops.hash`` and seeds, modulo each table's rows, as
``HashEmbed`` does; everything after the table look-up runs in one ONNX Runtime
session (``threads`` intra-op threads, one inter-op thread).  With ``quantize=True``
the graph goes through ``onnxruntime.quantization.quantize_dynamic`` (int8 weights
of the MatMuls, activations quantised per batch).

:func:`install` replaces the forward of the parser's tok2vec layer for prediction
only: ``is_train=True`` (training, ``nlp.update``) still runs the thinc layers, so
training code is unaffected; the replacement lives on the loaded object only, never
in the saved model.
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import Any

import numpy

RUNTIMES = ("thinc", "onnx", "onnx-int8")
OPSET = 17  # LayerNormalization


class UnsupportedModel(ValueError):
    """The ``ner`` component's model is not the architecture this module converts."""


# ---------------------------------------------------------------------------
# reading the thinc weights
# ---------------------------------------------------------------------------
def _one(model, name: str):
    found = [n for n in model.walk() if n.name == name]
    if len(found) != 1:
        raise UnsupportedModel(f"expected one {name!r} layer in {model.name!r}, found {len(found)}")
    return found[0]


def _maxout_ln(model) -> dict:
    mx, ln = _one(model, "maxout"), _one(model, "layernorm")
    nO, nP, nI = (mx.get_dim(d) for d in ("nO", "nP", "nI"))
    return {"W": numpy.asarray(mx.get_param("W"), dtype="float32").reshape(nO, nP, nI),
            "b": numpy.asarray(mx.get_param("b"), dtype="float32").reshape(nO, nP),
            "G": numpy.asarray(ln.get_param("G"), dtype="float32"),
            "g_b": numpy.asarray(ln.get_param("b"), dtype="float32")}


def read_spec(parser_model) -> dict[str, Any]:
    """Weights and shapes of the tok2vec (+ Linear) of a TransitionBasedParser model."""
    t2v_full = parser_model.get_ref("tok2vec")
    if [ly.name for ly in t2v_full.layers[1:]] != ["list2array", "linear"]:
        raise UnsupportedModel(f"unexpected tok2vec head {t2v_full.name!r}")
    tok2vec, linear = t2v_full.layers[0], t2v_full.layers[2]
    if not (tok2vec.has_ref("embed") and tok2vec.has_ref("encode")):
        raise UnsupportedModel("the tok2vec is not spacy.Tok2Vec.v2 (no embed/encode refs)")
    embed, encode = tok2vec.get_ref("embed"), tok2vec.get_ref("encode")
    # MultiHashEmbed without static vectors: chain(FeatureExtractor, list2ragged,
    # with_array(concatenate(HashEmbed ...)), with_array(Maxout >> LayerNorm), ragged2list)
    names = [ly.name for ly in embed.layers]
    if (len(names) != 5 or names[0] != "extract_features" or names[1] != "list2ragged"
            or names[4] != "ragged2list" or not names[3].startswith("with_array(maxout")
            or set(n.name for n in embed.layers[2].walk() if not n.layers) != {"ints-getitem", "hashembed"}):
        raise UnsupportedModel(f"the embedding is not MultiHashEmbed without static vectors: {embed.name!r}")
    extractor = embed.layers[0]
    hashembeds = sorted((n for n in embed.walk() if n.name == "hashembed"), key=lambda n: n.attrs["column"])
    tables = [numpy.asarray(h.get_param("E"), dtype="float32") for h in hashembeds]
    mixer = [embed.layers[3]]
    if ([h.attrs["column"] for h in hashembeds] != list(range(len(extractor.attrs["columns"])))
            or len({t.shape[1] for t in tables}) != 1):
        raise UnsupportedModel("the hash embeddings do not take one feature column each")
    if not encode.name.startswith("with_array("):
        raise UnsupportedModel(f"the encoder is not MaxoutWindowEncoder: {encode.name!r}")
    residuals = [n for n in encode.walk() if n.name.startswith("residual(") and n.name.count("residual(") == 1]
    windows = {_one(r, "expand_window").attrs["window_size"] for r in residuals}
    if len(windows) != 1 or not residuals:
        raise UnsupportedModel("the encoder's layers do not share one window size")
    for r in residuals:
        allowed = {"expand_window", "maxout", "layernorm", "dropout"}
        leaves = {n.name for n in r.walk() if not n.layers}
        if not leaves <= allowed:
            raise UnsupportedModel(f"unexpected encoder layer {r.name!r}")
    return {
        "columns": list(extractor.attrs["columns"]),
        "extractor": extractor,
        "seeds": [int(h.attrs["seed"]) for h in hashembeds],
        "tables": tables,
        "mixer": _maxout_ln(mixer[0]),
        "layers": [_maxout_ln(r) for r in residuals],
        "window": int(windows.pop()),
        "pad": int(encode.attrs.get("pad", 0)),
        "linear_W": numpy.asarray(linear.get_param("W"), dtype="float32"),
        "linear_b": numpy.asarray(linear.get_param("b"), dtype="float32"),
        "ops": parser_model.ops,
    }


# ---------------------------------------------------------------------------
# the ONNX graph
# ---------------------------------------------------------------------------
def build_graph(spec: dict[str, Any]):
    """The ONNX model: inputs ``keys`` (int64 [N, n_tables, 4], rows of the concatenated
    tables), ``layout`` (int64 [M], for each row of the padded batch the token it holds,
    N for a zero row) and ``rows`` (int64 [N], where each token sits in the padded batch);
    output ``tokvecs`` (float32 [N, nO of the Linear])."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(numpy.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def maxout_ln(x: str, p: dict, tag: str) -> str:
        nO, nP, nI = p["W"].shape
        # pieces as contiguous column blocks: (nI, nP * nO), block k = piece k
        W = p["W"].transpose(1, 0, 2).reshape(nP * nO, nI).T
        b = p["b"].T.reshape(nP * nO)
        y = node("MatMul", [x, const(f"{tag}.W", W)], f"{tag}.mm")
        y = node("Add", [y, const(f"{tag}.b", b)], f"{tag}.y")
        pieces = [f"{tag}.p{k}" for k in range(nP)]
        nodes.append(helper.make_node("Split", [y, const(f"{tag}.split", numpy.full(nP, nO, dtype="int64"))],
                                      pieces, name=f"{tag}.split", axis=1))
        best = node("Max", pieces, f"{tag}.max") if nP > 1 else pieces[0]
        return node("LayerNormalization", [best, const(f"{tag}.G", p["G"]), const(f"{tag}.gb", p["g_b"])],
                    f"{tag}.ln", axis=-1, epsilon=1e-8)

    tables = spec["tables"]
    width = tables[0].shape[1]
    nT = len(tables)
    # embeddings: one gather over the concatenated tables, summed over the 4 hashes
    emb = node("Gather", [const("E", numpy.concatenate(tables)), "keys"], "emb", axis=0)  # N, nT, 4, width
    emb = node("ReduceSum", [emb, const("axis2", numpy.array([2], dtype="int64"))], "emb.sum", keepdims=0)
    emb = node("Reshape", [emb, const("shape.concat", numpy.array([-1, nT * width], dtype="int64"))], "emb.cat")
    x = maxout_ln(emb, spec["mixer"], "mix")
    # the padded batch: a zero row appended, then gathered into thinc's layout
    x = node("Concat", [x, const("zero_row", numpy.zeros((1, width), dtype="float32"))], "mix.z", axis=0)
    x = node("Gather", [x, "layout"], "padded", axis=0)
    nW = spec["window"]
    pads = const("win.pads", numpy.array([nW, 0, nW, 0], dtype="int64"))
    big = numpy.iinfo("int64").max
    for i, p in enumerate(spec["layers"]):
        tag = f"enc{i}"
        xp = node("Pad", [x, pads], f"{tag}.pad", mode="constant")
        shifted = []
        for k in range(2 * nW + 1):  # seq2col order: x[i-nW] ... x[i] ... x[i+nW]
            end = k - 2 * nW if k < 2 * nW else big
            shifted.append(node("Slice", [xp, const(f"{tag}.s{k}", numpy.array([k], dtype="int64")),
                                          const(f"{tag}.e{k}", numpy.array([end], dtype="int64")),
                                          const(f"{tag}.ax{k}", numpy.array([0], dtype="int64"))],
                                f"{tag}.w{k}"))
        win = node("Concat", shifted, f"{tag}.win", axis=1)
        y = maxout_ln(win, p, tag)
        x = node("Add", [x, y], f"{tag}.res")
    x = node("Gather", [x, "rows"], "tokens", axis=0)
    y = node("MatMul", [x, const("lin.W", spec["linear_W"].T)], "lin.mm")
    node("Add", [y, const("lin.b", spec["linear_b"])], "tokvecs")
    nO = spec["linear_W"].shape[0]
    graph = helper.make_graph(
        nodes, "tok2vec",
        [helper.make_tensor_value_info("keys", TensorProto.INT64, ["N", nT, 4]),
         helper.make_tensor_value_info("layout", TensorProto.INT64, ["M"]),
         helper.make_tensor_value_info("rows", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("tokvecs", TensorProto.FLOAT, ["N", nO])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="zh-extract")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def quantize(model):
    """``quantize_dynamic`` (int8 weights of the MatMuls) of an in-memory model; the
    temporary files are removed."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice, logged on the root logger
    try:
        with tempfile.TemporaryDirectory(prefix="ner-onnx-") as tmp:
            src, dst = os.path.join(tmp, "fp32.onnx"), os.path.join(tmp, "int8.onnx")
            onnx.save(model, src)
            quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
            return onnx.load(dst)
    finally:
        root.setLevel(level)


# ---------------------------------------------------------------------------
# running it
# ---------------------------------------------------------------------------
class OnnxTok2Vec:
    """The tok2vec (+ Linear) of a TransitionBasedParser model as an ONNX Runtime session:
    ``self(docs)`` returns what the thinc layer's predict returns (float32
    [total tokens, hidden width], the documents' tokens one after the other)."""

    def __init__(self, parser_model, quantized: bool = False, threads: int = 1) -> None:
        import onnxruntime as ort

        t0 = time.perf_counter()
        spec = read_spec(parser_model)
        model = build_graph(spec)
        self.build_seconds = time.perf_counter() - t0
        if quantized:
            model = quantize(model)
        self.quantize_seconds = time.perf_counter() - t0 - self.build_seconds
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        self.load_seconds = time.perf_counter() - t0
        self.quantized = bool(quantized)
        self.threads = int(threads)
        self._extractor = spec["extractor"]
        self._ops = spec["ops"]
        self._seeds = spec["seeds"]
        self._rows = numpy.array([t.shape[0] for t in spec["tables"]], dtype="uint64")
        self._offsets = numpy.concatenate([[0], numpy.cumsum([t.shape[0] for t in spec["tables"]])[:-1]]).astype("int64")
        self._pad = spec["pad"]
        self.width = spec["linear_W"].shape[0]

    def inputs(self, docs) -> dict[str, numpy.ndarray] | None:
        """The session's inputs for ``docs`` (None when they hold no token)."""
        feats = [f for f in self._extractor.predict(docs) if len(f)]
        if not feats:
            return None
        ids = numpy.ascontiguousarray(numpy.concatenate(feats), dtype="uint64")
        n = ids.shape[0]
        keys = numpy.empty((n, len(self._seeds), 4), dtype="int64")
        for c, seed in enumerate(self._seeds):
            h = self._ops.hash(numpy.ascontiguousarray(ids[:, c]), seed)
            keys[:, c, :] = h % self._rows[c]
            keys[:, c, :] += self._offsets[c]
        # thinc's flatten(pad=p): p zero rows before each document and after the last
        lengths = numpy.array([len(f) for f in feats], dtype="int64")
        p = self._pad
        starts = p * numpy.arange(1, len(lengths) + 1) + numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
        total = n + p * (len(lengths) + 1)
        layout = numpy.full(total, n, dtype="int64")
        rows = numpy.concatenate([numpy.arange(s, s + ln) for s, ln in zip(starts, lengths)])
        layout[rows] = numpy.arange(n, dtype="int64")
        return {"keys": keys, "layout": layout, "rows": rows}

    def __call__(self, docs) -> numpy.ndarray:
        feeds = self.inputs(docs)
        if feeds is None:
            return numpy.zeros((0, self.width), dtype="float32")
        return self.session.run(None, feeds)[0]


def install(ner, runtime: str = "onnx", threads: int = 1) -> OnnxTok2Vec | None:
    """Run the tok2vec of the spaCy ``ner`` component ``ner`` through ONNX Runtime when
    it predicts (``runtime`` ``onnx`` = fp32, ``onnx-int8`` = dynamic int8 quantisation;
    ``thinc`` leaves it alone).  Training (``is_train=True``) keeps thinc's forward."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of: {', '.join(RUNTIMES)}")
    if runtime == "thinc":
        return None
    layer = ner.model.get_ref("tok2vec")
    runner = OnnxTok2Vec(ner.model, quantized=runtime == "onnx-int8", threads=threads)
    thinc_forward = layer._func

    def forward(model, docs, is_train):
        if is_train:
            return thinc_forward(model, docs, is_train)
        tokvecs = runner(docs)

        def backprop(dY):  # pragma: no cover - predict never calls it
            raise NotImplementedError("the ONNX tok2vec predicts only; train with runtime 'thinc'")

        return model.ops.asarray2f(tokvecs), backprop

    layer.replace_callbacks(forward, init=layer.init)
    return runner
