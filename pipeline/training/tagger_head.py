"""Distil the NER model's transition-based parser into a per-character tagger head.

    python -m pipeline.training.tagger_head pipeline/resources/models/ner-zh \\
        [--out FILE] [--sentences N] [--seed S] [--shared ../shared] [--window K]
        [--hidden 256,128] [--epochs 5] [--gold] [--cache /tmp/teacher.npz]

(default: ~160K sentences, 6.0M characters; ~5 min of teacher + ~5 min of training on one core)

The teacher is the shipped model itself: for every training sentence its ``ner``
component (tok2vec + the transition-based parser, the tok2vec through the fp32 ONNX graph
of :mod:`pipeline.backends.ner_onnx`, which gives thinc's spans) predicts the entities,
and the same forward pass hands over the vectors the parser sees: the 64-d output of
the parser's ``Linear`` after the tok2vec.  The head (a window of +-k of those vectors,
zero rows beyond the sentence -> ReLU layers (256, 128 by default) -> softmax over the 7 BIO
tags of PERSON / PLACE / ORG) is trained in numpy (Adam, seeded) on the teacher's tags, so it
keeps the model's own labelling conventions.  It is written to
``MODEL_DIR/ner/tagger_head.npz`` (the default ``--out``) with the window, the tag names
and the hash of the ``ner`` weights it was trained on (:func:`ner_onnx.weights_hash`);
``SpacyNerBackend(head="tagger")`` refuses a head of other weights.

Training text (never an evaluation set; a sentence equal to one of MSRA test, CLUENER dev,
Weibo dev/test or the gold dev articles is dropped): MSRA train, CLUENER train, sentences
of the CCTV news transcripts ``raw/xwlb`` and Weibo hot-search titles ``raw/weibo-hot``.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy

from pipeline.backends.ner_onnx import (BIO_TAGS, ENTITY_TYPES, HEAD_FILE, OnnxTok2Vec, TaggerHead, bio_spans,
                                        bio_viterbi, weights_hash, window_index)

DEFAULT_SHARED = Path(__file__).resolve().parents[2].parent / "shared"
# share of the sentences taken from each source (a source with fewer sentences gives all it has)
MIX = {"msra": 0.40, "cluener": 0.09, "xwlb": 0.30, "weibo-hot": 0.21}
HELD_OUT = [("msra", "msra/test.bio"), ("cluener", "cluener/dev.json"),
            ("weibo", "weibo/weiboNER_2nd_conll.dev"), ("weibo", "weibo/weiboNER_2nd_conll.test")]
_SENT = re.compile(r"[^。！？!?；;]*[。！？!?；;]*[”’」』）)]*")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# training text
# ---------------------------------------------------------------------------
def sentences_of(text: str, min_chars: int = 6, max_chars: int = 200) -> list[str]:
    """Sentences of raw text (split after 。！？; over-long ones cut at ``max_chars``)."""
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        line = re.sub(r"^(\d+\.|（\d+）)", "", line).strip()
        for m in _SENT.finditer(line):
            s = m.group().strip()
            for i in range(0, len(s), max_chars):
                if len(s[i:i + max_chars]) >= min_chars:
                    out.append(s[i:i + max_chars])
    return out


def _held_out(shared: Path) -> set[str]:
    from pipeline.evaluation.corpora import load

    held: set[str] = set()
    for dataset, rel in HELD_OUT:
        if (shared / "datasets" / rel).is_file():
            held.update(s.text for s in load(dataset, shared / "datasets" / rel))
    for f in sorted((shared / "gold" / "dev").glob("*.txt")):
        held.update(sentences_of(f.read_text(encoding="utf-8"), min_chars=1, max_chars=10_000))
    return held


def source_sentences(shared: Path, gold: dict | None = None) -> dict[str, list[str]]:
    """All training sentences of each source (MSRA train, CLUENER train, xwlb, weibo-hot); ``gold``:
    a dict that receives the gold spans (PERSON / PLACE / ORG) of the annotated sentences."""
    from pipeline.evaluation.corpora import load, load_mapped

    ds = shared / "datasets"
    out = {"msra": [s.text for s in load("msra", ds / "msra" / "train.bio")],
           "cluener": [s.text for s in load("cluener", ds / "cluener" / "train.json")]}
    if gold is not None:
        for name, rel in (("msra", "msra/train.bio"), ("cluener", "cluener/train.json")):
            for sent in load_mapped(name, ds / rel):
                gold[sent.text] = [(a, b, lab if lab in ENTITY_TYPES else "ORG") for a, b, lab in sent.spans]
    xwlb: list[str] = []
    for f in sorted((ds / "raw" / "xwlb" / "news").glob("*.md")):
        xwlb += sentences_of(f.read_text(encoding="utf-8"))
    out["xwlb"] = xwlb
    weibo = []
    with open(ds / "raw" / "weibo-hot" / "titles.tsv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            title = line.rstrip("\n").partition("\t")[2].strip()
            if len(title) >= 4:
                weibo.append(title)
    out["weibo-hot"] = weibo
    return out


def training_texts(shared: Path, n: int, seed: int = 0,
                   gold: dict | None = None) -> tuple[list[str], dict[str, int]]:
    """``n`` sentences mixed from the sources as :data:`MIX` says (seeded sample, no duplicates,
    nothing equal to an evaluation sentence), shuffled; and the count taken from each source.
    ``gold``: a dict that receives the gold spans of the annotated sentences (text -> spans)."""
    rng = random.Random(seed)
    held = _held_out(shared)
    texts, counts, seen = [], {}, set()
    for name, sents in source_sentences(shared, gold).items():
        pool = [s for s in dict.fromkeys(sents) if s not in held and s.strip()]
        k = min(len(pool), round(n * MIX[name]))
        take = rng.sample(pool, k)
        take = [s for s in take if s not in seen]
        seen.update(take)
        texts += take
        counts[name] = len(take)
    rng.shuffle(texts)
    return texts, counts


# ---------------------------------------------------------------------------
# the teacher
# ---------------------------------------------------------------------------
def distil(nlp, texts: Iterable[str], batch_size: int = 64, progress: Callable[[int], None] | None = None):
    """Run the model's ``ner`` over ``texts``: (token vectors the parser sees, float16 [N, 64];
    tokens per text [n texts]; the parser's BIO tag ids [N]).  The tok2vec runs as the fp32 ONNX
    graph (thinc's spans, faster), captured as the parser predicts."""
    ner = nlp.get_pipe("ner")
    layer = ner.model.get_ref("tok2vec")
    runner = OnnxTok2Vec(ner.model)
    captured: list[numpy.ndarray] = []
    saved = layer._func

    def forward(model, docs, is_train):
        y = runner(docs)
        captured.append(y)
        return model.ops.asarray2f(y), None

    procs = [proc for name, proc in nlp.pipeline if name != "ner"]
    tag_index = {t: i for i, t in enumerate(BIO_TAGS)}
    vecs, lengths, tags = [], [], []
    layer.replace_callbacks(forward, init=layer.init)
    try:
        batch: list[str] = []
        done = 0
        for text in [*texts, None]:
            if text is not None:
                batch.append(text)
                if len(batch) < batch_size:
                    continue
            if not batch:
                break
            docs = [nlp.make_doc(t) for t in batch]
            for proc in procs:
                docs = [proc(d) for d in docs]
            captured.clear()
            ner.set_annotations(docs, ner.predict(docs))
            n = sum(len(d) for d in docs)
            got = numpy.concatenate(captured) if captured else numpy.zeros((0, runner.width), "float32")
            if got.shape[0] != n:
                raise RuntimeError(f"captured {got.shape[0]} token vectors for {n} tokens")
            vecs.append(got.astype("float16"))
            for d in docs:
                t = numpy.zeros(len(d), dtype="int8")
                for ent in d.ents:
                    label = ent.label_ if ent.label_ in ENTITY_TYPES else "ORG"
                    t[ent.start] = tag_index["B-" + label]
                    t[ent.start + 1:ent.end] = tag_index["I-" + label]
                tags.append(t)
                lengths.append(len(d))
            done += len(batch)
            if progress:
                progress(done)
            batch = []
    finally:
        layer.replace_callbacks(saved, init=layer.init)
    return (numpy.concatenate(vecs) if vecs else numpy.zeros((0, runner.width), "float16"),
            numpy.array(lengths, dtype="int64"),
            numpy.concatenate(tags).astype("int64") if tags else numpy.zeros(0, "int64"))


# ---------------------------------------------------------------------------
# the head
# ---------------------------------------------------------------------------
def train_head(vecs: numpy.ndarray, lengths: numpy.ndarray, tags: numpy.ndarray, window: int = 2,
               hidden: int | tuple[int, ...] = 128, epochs: int = 4, batch: int = 512, lr: float = 2e-3,
               seed: int = 0, progress: Callable[[str], None] | None = None) -> TaggerHead:
    """A :class:`TaggerHead` (ReLU layers of ``hidden`` widths) fitted to ``tags`` (cross-entropy, Adam
    with a linear decay of the learning rate to 5% of ``lr``, minibatches of ``batch`` tokens, seeded)."""
    rng = numpy.random.default_rng(seed)
    n, width = vecs.shape
    K = len(BIO_TAGS)
    nI = (2 * window + 1) * width
    X = numpy.concatenate([vecs, numpy.zeros((1, width), dtype=vecs.dtype)])
    win = window_index(lengths, window)
    sizes = [nI, *((hidden,) if isinstance(hidden, int) else tuple(hidden)), K]
    params = []
    for a, b in zip(sizes, sizes[1:]):
        scale = numpy.sqrt((2.0 if b != K else 1.0) / a)
        params += [(rng.standard_normal((a, b)) * scale).astype("float32"), numpy.zeros(b, "float32")]
    m = [numpy.zeros_like(v) for v in params]
    v2 = [numpy.zeros_like(v) for v in params]
    b1_, b2_, eps = 0.9, 0.999, 1e-8
    steps = max(1, epochs * ((n + batch - 1) // batch))
    step = 0
    L = len(params) // 2
    for epoch in range(epochs):
        order = rng.permutation(n)
        loss_sum, t0 = 0.0, time.perf_counter()
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            rows = numpy.arange(len(idx))
            acts = [X[win[idx]].reshape(len(idx), nI).astype("float32")]
            for j in range(L):
                z = acts[-1] @ params[2 * j] + params[2 * j + 1]
                acts.append(numpy.maximum(z, 0) if j < L - 1 else z)
            z = acts[-1]
            z -= z.max(1, keepdims=True)
            p = numpy.exp(z)
            p /= p.sum(1, keepdims=True)
            y = tags[idx]
            loss_sum += float(-numpy.log(p[rows, y] + 1e-12).sum())
            d = p
            d[rows, y] -= 1
            d /= len(idx)
            grads = [None] * len(params)
            for j in range(L - 1, -1, -1):
                grads[2 * j], grads[2 * j + 1] = acts[j].T @ d, d.sum(0)
                if j:
                    d = d @ params[2 * j].T
                    d[acts[j] <= 0] = 0
            step += 1
            rate = lr * (1 - 0.95 * step / steps)
            c1, c2 = 1 - b1_ ** step, 1 - b2_ ** step
            for k in range(len(params)):
                m[k] = b1_ * m[k] + (1 - b1_) * grads[k]
                v2[k] = b2_ * v2[k] + (1 - b2_) * grads[k] ** 2
                params[k] -= (rate * (m[k] / c1) / (numpy.sqrt(v2[k] / c2) + eps)).astype("float32")
        if progress:
            progress(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / max(n, 1):.4f} ({time.perf_counter() - t0:.0f} s)")
    return TaggerHead(layers=[(params[2 * j], params[2 * j + 1]) for j in range(L)], window=window, tags=BIO_TAGS)


def agreement(head: TaggerHead, vecs, lengths, tags) -> dict[str, float]:
    """How the head (Viterbi-decoded) agrees with the teacher's tags: token accuracy and span F1."""
    lp = head.logprobs(vecs.astype("float32"), lengths)
    pred = bio_viterbi(lp, lengths, head.tags)
    ps, gs = bio_spans(pred, lengths, head.tags), bio_spans(tags, lengths, head.tags)
    tp = sum(len(set(a) & set(b)) for a, b in zip(ps, gs))
    npred, ngold = sum(map(len, ps)), sum(map(len, gs))
    prec, rec = tp / max(npred, 1), tp / max(ngold, 1)
    return {"token_accuracy": float((pred == tags).mean()) if len(tags) else 1.0,
            "span_precision": prec, "span_recall": rec,
            "span_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0}


def with_gold(model_dir: Path, texts: list[str], lengths, tags: numpy.ndarray, gold: dict) -> tuple[numpy.ndarray, int]:
    """``tags`` with the tokens of each text that has gold spans tagged from those spans."""
    import spacy

    import pipeline.backends.spacy_ner  # noqa: F401 - registers zh_char_features

    nlp = spacy.load(Path(model_dir) / "ner")  # its tokenizer: the tokens the teacher's tags are of
    index = {t: i for i, t in enumerate(BIO_TAGS)}
    tags = tags.copy()
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]])
    n = 0
    for text, start, length in zip(texts, starts.tolist(), numpy.asarray(lengths).tolist()):
        spans = gold.get(text)
        if spans is None:
            continue
        doc = nlp.make_doc(text)
        if len(doc) != length:
            continue
        t = numpy.zeros(length, dtype=tags.dtype)
        for a, b, label in sorted(spans):
            sp = doc.char_span(a, b, alignment_mode="expand")
            if sp is None or len(sp) == 0 or t[sp.start:sp.end].any():
                continue
            t[sp.start] = index["B-" + label]
            t[sp.start + 1:sp.end] = index["I-" + label]
        tags[start:start + length] = t
        n += 1
    return tags, n


def hash_texts(texts: list[str]) -> str:
    import hashlib

    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()[:16]


def make_head(model_dir: str | Path, texts: list[str], out: str | Path | None = None, window: int = 2,
              hidden: int | tuple[int, ...] = 128, epochs: int = 4, seed: int = 0, check_fraction: float = 0.02,
              info: dict | None = None, log: Callable[[str], None] = _log,
              cache: str | Path | None = None, gold: dict | None = None) -> tuple[TaggerHead, dict]:
    """Distil the ``ner`` of the model folder ``model_dir`` (holding ``ner/``) on ``texts``, train the
    head on all but the last ``check_fraction`` of them, measure its agreement with the teacher on
    those, and save it to ``out`` (default ``model_dir/ner/tagger_head.npz``).  ``cache``: an .npz
    file keeping the teacher's output (vectors, lengths, tags) to train other heads without
    running the teacher again (used only when it was made from the same weights and texts).
    ``gold``: text -> gold spans; a training sentence found there is learnt from its gold tags
    instead of the teacher's (the check sentences are always compared with the teacher)."""
    import spacy

    import pipeline.backends.spacy_ner  # noqa: F401 - registers zh_char_features

    model_dir = Path(model_dir)
    model_hash = weights_hash(model_dir / "ner" / "ner")
    n_check = int(len(texts) * check_fraction) if len(texts) > 50 else 0
    train_t, check_t = texts[:len(texts) - n_check], texts[len(texts) - n_check:]
    key = f"{model_hash}:{len(texts)}:{n_check}:{hash_texts(texts)}"
    t0 = time.perf_counter()
    if cache is not None and Path(cache).is_file() and str(numpy.load(cache)["key"]) == key:
        with numpy.load(cache) as z:
            vecs, lengths, tags, cv, cl, ct = (z[k] for k in ("vecs", "lengths", "tags", "cv", "cl", "ct"))
        log(f"teacher output from {cache}")
    else:
        nlp = spacy.load(model_dir / "ner")
        step = max(1, len(texts) // 10)
        vecs, lengths, tags = distil(nlp, train_t,
                                     progress=lambda d: log(f"teacher: {d} sentences") if d % step < 64 else None)
        cv, cl, ct = distil(nlp, check_t)
        if cache is not None:
            numpy.savez(cache, key=numpy.array(key), vecs=vecs, lengths=lengths, tags=tags, cv=cv, cl=cl, ct=ct)
    teacher_s = time.perf_counter() - t0
    log(f"teacher: {len(train_t)} sentences, {len(tags)} tokens, {teacher_s:.0f} s")
    n_gold = 0
    if gold:
        tags, n_gold = with_gold(model_dir, train_t, lengths, tags, gold)
        log(f"gold tags for {n_gold} sentences")
    t1 = time.perf_counter()
    head = train_head(vecs, lengths, tags, window=window, hidden=hidden, epochs=epochs, seed=seed, progress=log)
    train_s = time.perf_counter() - t1
    report = {"sentences": len(train_t), "tokens": int(len(tags)), "teacher_seconds": round(teacher_s, 1),
              "train_seconds": round(train_s, 1), "window": window, "hidden": hidden if isinstance(hidden, int) else list(hidden), "epochs": epochs, "seed": seed,
              "entity_tokens": float((tags != 0).mean()) if len(tags) else 0.0, "gold_sentences": n_gold}
    if len(cl):
        report["check_sentences"] = len(check_t)
        report["agreement"] = agreement(head, cv, cl, ct)
    head.model_hash = model_hash
    head.info = {**(info or {}), **report}
    out = Path(out) if out is not None else model_dir / "ner" / HEAD_FILE
    head.save(out)
    log(f"saved {out} ({json.dumps(report)})")
    return head, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", type=Path, help="the model folder (holding ner/ and orgtype/)")
    ap.add_argument("--out", type=Path, default=None, help=f"the head file (default MODEL_DIR/ner/{HEAD_FILE})")
    ap.add_argument("--sentences", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--window", type=int, default=2, help="+-k characters (1 or 2)")
    ap.add_argument("--hidden", default="256,128", help="widths of the ReLU layers (comma-separated)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the folder holding datasets/ and gold/")
    ap.add_argument("--gold", action="store_true",
                    help="learn MSRA / CLUENER train sentences from their gold spans instead of the teacher's")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep the teacher's output in this .npz (reused by a later run with the same texts)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    gold: dict | None = {} if a.gold else None
    texts, counts = training_texts(a.shared, a.sentences, a.seed, gold)
    _log(f"{len(texts)} sentences ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
         f"{sum(map(len, texts))} characters ({time.perf_counter() - t0:.0f} s)")
    command = "python -m pipeline.training.tagger_head " + " ".join(sys.argv[1:] if argv is None else argv)
    _, report = make_head(a.model_dir, texts, a.out, window=a.window,
                          hidden=tuple(int(w) for w in str(a.hidden).split(",")), epochs=a.epochs, seed=a.seed,
                          info={"sources": counts, "command": command}, cache=a.cache, gold=gold)
    report["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
