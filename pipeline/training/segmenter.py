"""Train a spacy-pkuseg word segmentation model from SIGHAN-style gold files.

spacy-pkuseg ships no model and none can be downloaded here, so the model used
by ``segmenter: pkuseg`` is trained with spacy-pkuseg's own CRF trainer
(:func:`spacy_pkuseg.train`).  Only the SIGHAN 2005 *test* gold files and the
*training word lists* are available (the big training files are missing), so:

* :func:`split_corpus` cuts a gold file into a training part and a held-out part
  by sentence order with a fixed rule: the first ``1 - heldout_fraction`` of the
  non-empty lines are training, the last ``heldout_fraction`` are held out (a
  contiguous tail, so held-out sentences come from articles the model never saw).
  The held-out part is written exactly as in the original (two spaces, CRLF) so
  that :func:`pipeline.evaluation.segmentation.evaluate_segmenter` can score against it.
* :func:`build_training_file` writes the pkuseg training format (one sentence
  per line, words separated by ONE space) from gold parts, and can append a word
  list, one word per line.  Word-list lines are how a lexicon reaches the
  pkuseg CRF: its word features (``w-1.<word>``, ``w1.<word>``) only exist for
  words seen in the training file.
* :func:`train_segmenter` runs the trainer single-process with a fixed seed and
  writes ``features.msgpack`` + ``weights.npz`` (compressed) to ``output_dir``.

All data preparation goes to a work folder outside the repository (default: a
fresh directory under the system temp dir).  Corpus text never enters the repo;
only the trained model does.

Command line (prepares data under /tmp and trains the shipped model)::

    python -m pipeline.training.segmenter --out pipeline/resources/models/pkuseg-zh --work /tmp/pkuseg-data
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

DATASETS = Path(os.environ.get("ZH_DATASETS", "/work/shared/datasets"))
ICWB2_GOLD = DATASETS / "icwb2" / "gold"


# --------------------------------------------------------------------------- data prep

def _gold_lines(path: str | os.PathLike) -> list[str]:
    """Non-empty lines of a SIGHAN gold file, line ends removed, text untouched."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        text = fh.read()
    return [ln for ln in text.splitlines() if ln.strip()]


def split_corpus(gold_file: str | os.PathLike, train_out: str | os.PathLike,
                 heldout_out: str | os.PathLike, heldout_fraction: float = 0.2) -> dict:
    """Split ``gold_file`` by sentence order: first part -> train, last part -> held-out.

    Rule: with ``n`` non-empty lines, the last ``round(n * heldout_fraction)``
    lines are held out, the rest is training.  ``heldout_out`` gets the held-out
    lines verbatim (SIGHAN format: two-space separated words, CRLF line ends);
    ``train_out`` gets the training lines in pkuseg format (single spaces, LF).
    Returns counts and the index of the first held-out line.
    """
    lines = _gold_lines(gold_file)
    n_held = int(round(len(lines) * heldout_fraction))
    cut = len(lines) - n_held
    train, held = lines[:cut], lines[cut:]
    for p in (train_out, heldout_out):
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    with open(train_out, "w", encoding="utf-8", newline="\n") as fh:
        for ln in train:
            fh.write(" ".join(ln.split()) + "\n")
    with open(heldout_out, "w", encoding="utf-8", newline="") as fh:
        for ln in held:
            fh.write(ln + "\r\n")
    return {"gold_file": str(gold_file), "sentences": len(lines), "train_sentences": len(train),
            "heldout_sentences": len(held), "first_heldout_line": cut,
            "train_file": str(train_out), "heldout_file": str(heldout_out)}


def read_word_list(path: str | os.PathLike) -> list[str]:
    """A word list: first whitespace field of each non-empty line (works for SIGHAN
    ``*_training_words.utf8`` and jieba-format user dictionaries)."""
    words = []
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            parts = line.split()
            if parts and not line.lstrip().startswith("#"):
                words.append(parts[0])
    return words


def build_training_file(parts: Sequence[str | os.PathLike], out: str | os.PathLike,
                        word_lists: Sequence[str | os.PathLike] = (),
                        max_word_len: int = 12) -> dict:
    """Concatenate segmented files (any whitespace between words) into one pkuseg
    training file (single spaces, LF), then append word-list words one per line
    (deduplicated, at most ``max_word_len`` characters)."""
    n_sent = n_words = 0
    with open(out, "w", encoding="utf-8", newline="\n") as w:
        for part in parts:
            for ln in _gold_lines(part):
                w.write(" ".join(ln.split()) + "\n")
                n_sent += 1
        seen: set[str] = set()
        for wl in word_lists:
            for word in read_word_list(wl):
                if word not in seen and len(word) <= max_word_len:
                    seen.add(word)
                    w.write(word + "\n")
                    n_words += 1
    return {"file": str(out), "sentences": n_sent, "word_list_lines": n_words}


# --------------------------------------------------------------------------- training

def _compress_model(output_dir: Path) -> None:
    """Re-save weights.npz compressed (np.load reads both); float64 is required
    by spacy_pkuseg's Cython inference so the dtype stays."""
    import numpy as np

    path = output_dir / "weights.npz"
    with np.load(path) as npz:
        sizes, w = npz["sizes"], npz["w"]
    np.savez_compressed(path, sizes=sizes, w=w)


def train_segmenter(train_file: str | os.PathLike, dev_file: str | os.PathLike,
                    output_dir: str | os.PathLike, train_iter: int = 12,
                    user_dict: str | os.PathLike | None = None, *,
                    feature_trim: int = 0, seed: int = 0, log_file: str | os.PathLike | None = None,
                    work_dir: str | os.PathLike | None = None) -> dict:
    """Train a spacy-pkuseg model; returns a summary dict.

    ``train_file`` / ``dev_file``: one sentence per line, words separated by
    whitespace (SIGHAN two-space files are converted to pkuseg's single-space
    format in ``work_dir``).  ``dev_file`` is only used by the trainer to print a
    per-iteration F-score; the model after the last iteration is saved.
    ``user_dict``: an optional word list (jieba or pkuseg format) whose words are
    appended to the training data one per line, so they become lexical features.
    ``feature_trim``: drop features seen ``<= feature_trim`` times (smaller model).
    """
    import numpy as np
    import spacy_pkuseg
    from spacy_pkuseg.config import config

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    work = Path(work_dir or tempfile.mkdtemp(prefix="pkuseg-train-"))
    work.mkdir(parents=True, exist_ok=True)
    train_txt = work / "train.txt"
    dev_txt = work / "dev.txt"
    stats = build_training_file([train_file], train_txt, [user_dict] if user_dict else ())
    build_training_file([dev_file], dev_txt)

    random.seed(seed)
    np.random.seed(seed)
    old_trim, config.featureTrim = config.featureTrim, feature_trim
    buf = io.StringIO()
    t0 = time.time()
    try:
        with contextlib.redirect_stdout(buf):
            spacy_pkuseg.train(str(train_txt), str(dev_txt), str(output_dir), train_iter=train_iter)
    finally:
        config.featureTrim = old_trim
    seconds = time.time() - t0
    log = buf.getvalue()
    if log_file:
        Path(log_file).write_text(log, encoding="utf-8")
    _compress_model(output_dir)
    dev_scores = [float(s.split("=")[-1].rstrip("%")) for s in log.splitlines()
                  if s.startswith("iter") and "f-score=" in s]
    size = sum(f.stat().st_size for f in output_dir.iterdir() if f.is_file())
    return {"output_dir": str(output_dir), "train_iter": train_iter, "feature_trim": feature_trim,
            "seed": seed, "train_sentences": stats["sentences"],
            "user_dict_lines": stats["word_list_lines"], "train_seconds": round(seconds, 1),
            "dev_f1_per_iter": dev_scores, "model_bytes": size, "work_dir": str(work)}


def prune_model(model_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                threshold: float = 1e-3, float32: bool = True, drop_bigrams: bool = True) -> dict:
    """Shrink a trained model for shipping; decoding is unchanged up to ``threshold``.

    * features whose weights are all ``<= threshold`` in absolute value are
      removed (an absent feature scores 0 at inference); index 0, the bias
      feature every character gets, is always kept;
    * weights are rounded to float32 precision (stored as float64, which
      spacy_pkuseg's inference requires, but compressing far better);
    * the word-bigram set is dropped: it is only read when building training
      features, never at inference (so the pruned model cannot be used as
      ``init_model`` for further training).
    The unigram (word) set is kept: inference looks words up in it.
    """
    import numpy as np
    import srsly

    src = Path(model_dir)
    dst = Path(out_dir) if out_dir else src
    dst.mkdir(parents=True, exist_ok=True)
    data = srsly.read_msgpack(src / "features.msgpack")
    with np.load(src / "weights.npz") as npz:
        sizes, w = npz["sizes"].copy(), npz["w"].copy()
    n_tag, n_feat = int(sizes[0]), int(sizes[1])
    node = w[: n_tag * n_feat].reshape(n_feat, n_tag)
    edge = w[n_tag * n_feat:]
    keep = np.abs(node).max(axis=1) > threshold
    keep[0] = True
    new_index = np.cumsum(keep) - 1
    f2i = {f: int(new_index[i]) for f, i in data["feature_to_idx"].items() if i < n_feat and keep[i]}
    node = node[keep]
    w_new = np.concatenate([node.reshape(-1), edge])
    if float32:
        w_new = w_new.astype(np.float32).astype(np.float64)
    data["feature_to_idx"] = f2i
    if drop_bigrams:
        data["bigram"] = []
    srsly.write_msgpack(dst / "features.msgpack", data)
    np.savez_compressed(dst / "weights.npz", sizes=np.array([n_tag, int(keep.sum())]), w=w_new)
    size = sum((dst / f).stat().st_size for f in ("features.msgpack", "weights.npz"))
    return {"features_before": n_feat, "features_after": int(keep.sum()), "threshold": threshold,
            "model_bytes": size}


# --------------------------------------------------------------------------- recipe

def prepare_default_data(work_dir: str | os.PathLike, include_msr: bool = False,
                         heldout_fraction: float = 0.2) -> dict:
    """The recipe used for the shipped model (see MODEL_CARD.md).

    PKU gold -> 80% train / 20% held-out; MSR gold is split the same way (its
    held-out part is always written, for evaluation).  Training text = PKU train
    (+ MSR train if ``include_msr``; the shipped model does NOT use MSR, so the
    whole MSR gold file stays unseen).  ``lexicon`` = the PKU training word list,
    returned for optional use: appending it lowered F1 on an inner dev split
    (see MODEL_CARD.md), so the shipped model is trained without it.
    Returns paths: ``train``, ``dev`` (PKU held-out, monitoring only),
    ``pku_heldout``, ``msr_heldout``, ``lexicon``.
    """
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    pku = split_corpus(ICWB2_GOLD / "pku_test_gold.utf8", work / "pku_train.txt",
                       work / "pku_heldout_gold.utf8", heldout_fraction)
    parts = [work / "pku_train.txt"]
    out = {"pku_split": pku, "pku_heldout": pku["heldout_file"]}
    msr = split_corpus(ICWB2_GOLD / "msr_test_gold.utf8", work / "msr_train.txt",
                       work / "msr_heldout_gold.utf8", heldout_fraction)
    out.update(msr_split=msr, msr_heldout=msr["heldout_file"])
    if include_msr:
        parts.append(work / "msr_train.txt")
    build_training_file(parts, work / "train_gold.txt")
    out.update(train=str(work / "train_gold.txt"), dev=pku["heldout_file"],
               lexicon=str(ICWB2_GOLD / "pku_training_words.utf8"))
    return out


def main(argv: Iterable[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=None, help="data prep folder (default: new temp dir)")
    ap.add_argument("--iter", type=int, default=12)
    ap.add_argument("--prune", type=float, default=0.01,
                    help="drop features with all |weight| <= this (0: keep all); see prune_model")
    ap.add_argument("--feature-trim", type=int, default=0)
    ap.add_argument("--with-msr", action="store_true", help="add the MSR 80%% training part (ablation B)")
    ap.add_argument("--lexicon", action="store_true",
                    help="append the PKU training word list to the training text (hurt on the inner dev set)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    work = Path(args.work or tempfile.mkdtemp(prefix="pkuseg-data-"))
    data = prepare_default_data(work, include_msr=args.with_msr)
    summary = train_segmenter(data["train"], data["dev"], args.out, train_iter=args.iter,
                              user_dict=data["lexicon"] if args.lexicon else None,
                              feature_trim=args.feature_trim, log_file=work / "train.log",
                              work_dir=work / "pkuseg")
    if args.prune > 0:
        summary["pruned"] = prune_model(args.out, threshold=args.prune)
    summary["data"] = data
    (work / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
