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

A :class:`TaggerHead` (``tagger_head.npz`` in the ``ner`` model folder, made by
``python -m pipeline.training.tagger_head``) is a per-character classifier distilled from
the transition-based parser: a window of +-k tokens' vectors (the 64-d output of the
parser's Linear, zero rows beyond the document) -> ReLU hidden layer -> log-softmax over
BIO tags.  ``OnnxTok2Vec(..., head=...)`` puts it in the same graph; :func:`bio_viterbi`
decodes its log-probabilities under the BIO constraint (an ``I-X`` only after ``B-X`` or
``I-X``) and :func:`bio_spans` turns the tags into token spans.

A model whose ``ner`` is a spaCy ``tagger`` over BIO tags (``spacy.Tagger.v2``, or
``zh_extract.WindowTagger.v1`` with a window -> Maxout + LayerNorm layer before its softmax) is
converted the same way: its output layer (rows in :data:`BIO_TAGS` order) takes the Linear's place
and a LogSoftmax gives ``logprobs``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

RUNTIMES = ("thinc", "onnx", "onnx-int8")
OPSET = 17  # LayerNormalization


class UnsupportedModel(ValueError):
    """The ``ner`` component's model is not the architecture this module converts."""


# ---------------------------------------------------------------------------
# the per-character tagger head
# ---------------------------------------------------------------------------
HEAD_FILE = "tagger_head.npz"
ENTITY_TYPES = ("PERSON", "PLACE", "ORG")
BIO_TAGS = ("O", *[f"{p}-{t}" for t in ENTITY_TYPES for p in "BI"])
HEAD_INPUT = "tokvecs after the parser's Linear (ner.model tok2vec >> list2array >> linear)"


def weights_hash(ner_component_dir: str | Path) -> str:
    """sha256 (first 16 hex digits) of the ``ner`` component's weights file (``ner/ner/model``):
    which tok2vec a tagger head was trained on."""
    h = hashlib.sha256()
    with open(Path(ner_component_dir) / "model", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


@dataclass
class TaggerHead:
    """Window of +-``window`` token vectors -> (``W``, ``b``) layers with ReLU between them ->
    log-softmax over ``tags``.  ``layers[0][0]``: [(2*window+1)*width, hidden], rows in window
    order (token i-k first); the last layer's output has one column per tag."""

    layers: list[tuple[numpy.ndarray, numpy.ndarray]]
    window: int
    tags: tuple[str, ...] = BIO_TAGS
    model_hash: str = ""
    info: dict = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return int(self.layers[0][0].shape[0])

    def save(self, path: str | Path) -> None:
        arrays = {}
        for i, (W, b) in enumerate(self.layers, 1):
            arrays[f"W{i}"], arrays[f"b{i}"] = W.astype("float32"), b.astype("float32")
        numpy.savez(path, **arrays, window=numpy.array(self.window, dtype="int64"), tags=numpy.array(self.tags),
                    activation=numpy.array("relu"), input=numpy.array(HEAD_INPUT),
                    model_hash=numpy.array(self.model_hash), info=numpy.array(json.dumps(self.info, ensure_ascii=False)))

    @classmethod
    def load(cls, path: str | Path) -> "TaggerHead":
        with numpy.load(path, allow_pickle=False) as z:
            if str(z["activation"]) != "relu":
                raise ValueError(f"{path}: unknown activation {str(z['activation'])!r}")
            layers = []
            while f"W{len(layers) + 1}" in z.files:
                i = len(layers) + 1
                layers.append((z[f"W{i}"], z[f"b{i}"]))
            if not layers:
                raise ValueError(f"{path}: no layer (W1, b1) in the file")
            return cls(layers=layers, window=int(z["window"]), tags=tuple(str(t) for t in z["tags"]),
                       model_hash=str(z["model_hash"]), info=json.loads(str(z["info"])))

    def logprobs(self, tokvecs: numpy.ndarray, lengths) -> numpy.ndarray:
        """The head in numpy (training checks, tests): [total tokens, n tags]."""
        x = numpy.concatenate([tokvecs, numpy.zeros((1, tokvecs.shape[1]), dtype=tokvecs.dtype)])
        h = x[window_index(lengths, self.window)].reshape(len(tokvecs), -1)
        for i, (W, b) in enumerate(self.layers):
            h = h @ W + b
            if i < len(self.layers) - 1:
                h = numpy.maximum(h, 0)
        h = h - h.max(1, keepdims=True)
        return h - numpy.log(numpy.exp(h).sum(1, keepdims=True))


def window_index(lengths, k: int) -> numpy.ndarray:
    """int64 [sum(lengths), 2k+1]: for each token of the concatenated documents the rows of its
    +-k neighbours in the same document, ``sum(lengths)`` (a zero row) beyond its edges."""
    lengths = numpy.asarray(lengths, dtype="int64")
    n = int(lengths.sum())
    starts = numpy.repeat(numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]]), lengths)
    ends = numpy.repeat(numpy.cumsum(lengths), lengths)
    pos = numpy.arange(n, dtype="int64")[:, None] + numpy.arange(-k, k + 1, dtype="int64")[None, :]
    inside = (pos >= starts[:, None]) & (pos < ends[:, None])
    return numpy.where(inside, pos, n)


def bio_constraints(tags) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(allowed first tag [K], allowed transition [K, K] from row tag to column tag): ``I-X``
    only after ``B-X`` or ``I-X``, never first."""
    K = len(tags)
    first = numpy.array([not t.startswith("I-") for t in tags])
    trans = numpy.ones((K, K), dtype=bool)
    for j, t in enumerate(tags):
        if t.startswith("I-"):
            trans[:, j] = [a in (f"B-{t[2:]}", t) for a in tags]
    return first, trans


def bio_viterbi(logprobs: numpy.ndarray, lengths, tags) -> numpy.ndarray:
    """The best tag sequence of each document under the BIO constraint (:func:`bio_constraints`),
    all documents at once: ``logprobs`` [sum(lengths), K] -> tag ids [sum(lengths)]."""
    lengths = numpy.asarray(lengths, dtype="int64")
    n, K = logprobs.shape
    B = len(lengths)
    if n == 0:
        return numpy.zeros(0, dtype="int64")
    T = int(lengths.max())
    first, allowed = bio_constraints(tags)
    neg = numpy.float32(-1e30)
    trans = numpy.where(allowed, numpy.float32(0), neg).astype("float32")
    lp = numpy.zeros((B, T, K), dtype="float32")
    mask = numpy.arange(T)[None, :] < lengths[:, None]  # B, T
    lp[mask] = logprobs
    score = lp[:, 0] + numpy.where(first, numpy.float32(0), neg)
    back = numpy.empty((T, B, K), dtype="int64")
    keep = numpy.broadcast_to(numpy.arange(K), (B, K))
    rows = numpy.arange(B)[:, None]
    for t in range(1, T):
        cand = score[:, :, None] + trans  # B, K(from), K(to)
        arg = cand.argmax(1)
        best = cand[rows, arg, numpy.arange(K)[None, :]] + lp[:, t]
        live = mask[:, t][:, None]
        back[t] = numpy.where(live, arg, keep)
        score = numpy.where(live, best, score)
    path = numpy.empty((B, T), dtype="int64")
    cur = score.argmax(1)
    for t in range(T - 1, 0, -1):
        path[:, t] = cur
        cur = back[t, numpy.arange(B), cur]
    path[:, 0] = cur
    return path[mask]


def bio_spans(tag_ids: numpy.ndarray, lengths, tags) -> list[list[tuple[int, int, str]]]:
    """Token spans ``(start, end, type)`` of each document from BIO tag ids (concatenated
    documents): a ``B-X`` and the ``I-X`` right after it.  An ``I-X`` without its ``B-X``
    (impossible after :func:`bio_viterbi`) starts a span of its own."""
    tag_ids = numpy.asarray(tag_ids, dtype="int64")
    lengths = numpy.asarray(lengths, dtype="int64")
    n = len(tag_ids)
    names = list(tags)
    types = [t[2:] if t != "O" else "" for t in names]
    kind = numpy.array([sorted(set(types)).index(t) if t else -1 for t in types])  # the tag's entity type
    is_i = numpy.array([t.startswith("I-") for t in names])[tag_ids] if n else numpy.zeros(0, dtype=bool)
    doc_start = numpy.zeros(n, dtype=bool)
    ends_at = numpy.cumsum(lengths)
    doc_start[ends_at[:-1][ends_at[:-1] < n]] = True
    if n:
        doc_start[0] = True
    prev_kind = numpy.concatenate([[-1], kind[tag_ids[:-1]]]) if n else numpy.zeros(0, dtype="int64")
    begin = (tag_ids != 0) & (~is_i | doc_start | (prev_kind != kind[tag_ids]))
    # a span runs from its begin over the I- tags of the same type that follow
    cont = is_i & ~begin
    stop = numpy.flatnonzero(~cont)
    stop = numpy.append(stop, n)
    out: list[list[tuple[int, int, str]]] = [[] for _ in lengths]
    doc_of = numpy.searchsorted(ends_at, numpy.flatnonzero(begin), side="right")
    starts = numpy.concatenate([[0], ends_at[:-1]])
    for b, d in zip(numpy.flatnonzero(begin).tolist(), doc_of.tolist()):
        e = int(stop[numpy.searchsorted(stop, b, side="right")])
        s0 = int(starts[d])
        out[d].append((b - s0, e - s0, types[tag_ids[b]]))
    return out


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


def read_spec(parser_model, labels: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Weights and shapes of the tok2vec (+ Linear) of a TransitionBasedParser model, or of
    the tok2vec + softmax of a ``spacy.Tagger.v2`` model whose ``labels`` are the BIO tags
    (the softmax's rows put in :data:`BIO_TAGS` order; ``"softmax": True`` in the spec)."""
    if parser_model.has_ref("softmax"):  # spacy.Tagger.v2: chain(tok2vec, with_array(softmax))
        if labels is None or sorted(labels) != sorted(BIO_TAGS):
            raise UnsupportedModel(f"the tagger's labels {labels} are not the BIO tags {BIO_TAGS}")
        tok2vec, linear = parser_model.get_ref("tok2vec"), parser_model.get_ref("softmax")
        order = [list(labels).index(t) for t in BIO_TAGS]
        hidden = parser_model.get_ref("hidden") if parser_model.has_ref("hidden") else None
    else:
        t2v_full = parser_model.get_ref("tok2vec")
        if [ly.name for ly in t2v_full.layers[1:]] != ["list2array", "linear"]:
            raise UnsupportedModel(f"unexpected tok2vec head {t2v_full.name!r}")
        tok2vec, linear = t2v_full.layers[0], t2v_full.layers[2]
        order, hidden = None, None
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
        "linear_W": numpy.asarray(linear.get_param("W"), dtype="float32")[order or slice(None)],
        "linear_b": numpy.asarray(linear.get_param("b"), dtype="float32")[order or slice(None)],
        "softmax": order is not None,
        # zh_extract.WindowTagger.v1: a window of +-k token vectors -> Maxout + LayerNorm before the softmax
        "hidden": _maxout_ln(hidden) if hidden is not None else None,
        "hidden_window": int(_one(hidden, "expand_window").attrs["window_size"]) if hidden is not None else 0,
        "ops": parser_model.ops,
    }


# ---------------------------------------------------------------------------
# the ONNX graph
# ---------------------------------------------------------------------------
def build_graph(spec: dict[str, Any], head: "TaggerHead | None" = None):
    """The ONNX model: inputs ``keys`` (int64 [N, n_tables, 4], rows of the concatenated
    tables), ``layout`` (int64 [M], for each row of the padded batch the token it holds,
    N for a zero row) and ``rows`` (int64 [N], where each token sits in the padded batch);
    output ``tokvecs`` (float32 [N, nO of the Linear]).

    With a :class:`TaggerHead` also input ``win`` (int64 [N, 2k+1], the rows of ``tokvecs``
    around each token, N for a zero row; :func:`window_index`) and output ``logprobs``
    (float32 [N, n tags]): window concat -> (MatMul -> ReLU)* -> MatMul -> LogSoftmax."""
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
    if spec.get("hidden") is not None:  # a tagger's window -> Maxout + LayerNorm
        k = spec["hidden_window"]
        x = node("Concat", [x, const("hid.zero", numpy.zeros((1, width), dtype="float32"))], "hid.z", axis=0)
        x = node("Gather", [x, "win"], "hid.win", axis=0)  # N, 2k+1, width
        x = node("Reshape", [x, const("hid.shape", numpy.array([-1, (2 * k + 1) * width], dtype="int64"))], "hid.cat")
        x = maxout_ln(x, spec["hidden"], "hid")
    y = node("MatMul", [x, const("lin.W", spec["linear_W"].T)], "lin.mm")
    node("Add", [y, const("lin.b", spec["linear_b"])], "tokvecs")
    nO = spec["linear_W"].shape[0]
    inputs = [helper.make_tensor_value_info("keys", TensorProto.INT64, ["N", nT, 4]),
              helper.make_tensor_value_info("layout", TensorProto.INT64, ["M"]),
              helper.make_tensor_value_info("rows", TensorProto.INT64, ["N"])]
    outputs = [helper.make_tensor_value_info("tokvecs", TensorProto.FLOAT, ["N", nO])]
    if spec.get("hidden") is not None:
        inputs.append(helper.make_tensor_value_info("win", TensorProto.INT64, ["N", 2 * spec["hidden_window"] + 1]))
    if spec.get("softmax"):  # a tagger's softmax: tokvecs are its logits
        node("LogSoftmax", ["tokvecs"], "logprobs", axis=-1)
        outputs.append(helper.make_tensor_value_info("logprobs", TensorProto.FLOAT, ["N", nO]))
    elif head is not None:
        if head.n_inputs != (2 * head.window + 1) * nO:
            raise UnsupportedModel(f"the tagger head takes {head.n_inputs} inputs, not "
                                   f"(2 * {head.window} + 1) * {nO}: it was made for another tok2vec")
        h = node("Concat", ["tokvecs", const("zero_vec", numpy.zeros((1, nO), dtype="float32"))], "head.z", axis=0)
        h = node("Gather", [h, "win"], "head.win", axis=0)  # N, 2k+1, nO
        h = node("Reshape", [h, const("head.shape", numpy.array([-1, head.n_inputs], dtype="int64"))], "head.cat")
        for i, (W, b) in enumerate(head.layers, 1):
            h = node("MatMul", [h, const(f"head.W{i}", W)], f"head.mm{i}")
            h = node("Add", [h, const(f"head.b{i}", b)], f"head.y{i}")
            if i < len(head.layers):
                h = node("Relu", [h], f"head.relu{i}")
        node("LogSoftmax", [h], "logprobs", axis=-1)
        inputs.append(helper.make_tensor_value_info("win", TensorProto.INT64, ["N", 2 * head.window + 1]))
        outputs.append(helper.make_tensor_value_info("logprobs", TensorProto.FLOAT, ["N", len(head.tags)]))
    graph = helper.make_graph(nodes, "tok2vec", inputs, outputs, initializer=inits)
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

    def __init__(self, parser_model, quantized: bool = False, threads: int = 1,
                 head: TaggerHead | None = None, labels: tuple[str, ...] | None = None) -> None:
        import onnxruntime as ort

        t0 = time.perf_counter()
        spec = read_spec(parser_model, labels)
        if spec["softmax"] and head is not None:
            raise UnsupportedModel("a tagger model takes no tagger head: it has its own softmax")
        model = build_graph(spec, head)
        self.head = head
        # the tag names of ``logprobs``' columns: the tagger's (BIO_TAGS order) or the head's
        self.tags = BIO_TAGS if spec["softmax"] else head.tags if head is not None else None
        # the +-k window of token vectors the head or the tagger's hidden layer reads (input ``win``)
        self.window = head.window if head is not None else spec["hidden_window"] if spec["hidden"] is not None else None
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
        feeds = {"keys": keys, "layout": layout, "rows": rows}
        if self.window is not None:
            feeds["win"] = window_index(lengths, self.window)
        return feeds

    def __call__(self, docs) -> numpy.ndarray:
        feeds = self.inputs(docs)
        if feeds is None:
            return numpy.zeros((0, self.width), dtype="float32")
        return self.session.run(["tokvecs"], feeds)[0]

    def logprobs(self, docs) -> numpy.ndarray:
        """The log-probabilities [total tokens, n tags] of the tagger or the tagger head
        (``self.tags``: the columns' tags)."""
        if self.tags is None:
            raise ValueError("this ONNX tok2vec was built without a tagger head")
        feeds = self.inputs(docs)
        if feeds is None:
            return numpy.zeros((0, len(self.tags)), dtype="float32")
        return self.session.run(["logprobs"], feeds)[0]


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
