"""The project's own statistical NER backend (spaCy, character level).

The shipped model lives in ``pipeline/resources/models/ner-zh/``:

* ``ner/``     -- a spaCy ``zh`` pipeline (``segmenter: char``) with a
  ``zh_char_features`` component (normalised character + right character
  bigram as token features; with ``words = true`` also the jieba word around
  each character and its dictionary part of speech) and a transition-based
  ``ner`` predicting PERSON / PLACE / ORG;
* ``orgtype/`` -- a spaCy ``textcat`` pipeline that labels the text of an ORG
  mention as COMPANY, GOV or ORG.

``SpacyNerBackend(model=None).tag(texts)`` returns character-offset spans
(end exclusive) with labels PERSON, PLACE, COMPANY, GOV, ORG.

``runtime`` (config key ``entities.backend_options.runtime``) chooses how the
``ner`` model's tok2vec runs when it predicts: ``onnx-int8`` (the default: an
ONNX graph built from the loaded weights by :mod:`pipeline.backends.ner_onnx`,
int8 dynamic quantisation; MSRA test F1 0.8933 against 0.8939, about 1.6x the
speed of the whole backend), ``onnx`` (the same graph in fp32: the same spans as
thinc) or ``thinc`` (spaCy's own layers).  ``threads``: ONNX Runtime intra-op
threads (1).  Training never goes through ONNX Runtime.

``head`` (config key ``entities.backend_options.head``) chooses what turns the token vectors
into entities: ``parser`` (the model's transition-based ``ner`` component) or ``tagger`` (a
per-character head distilled from that parser, ``ner/tagger_head.npz``, made by
``python -m pipeline.training.tagger_head MODEL_DIR``: a window of +-2 token vectors ->
ReLU layers -> BIO tags, run in the same ONNX graph as the tok2vec, decoded by a BIO-constrained
Viterbi; about 1.3x the parser's speed, MSRA test F1 0.883 against 0.893, so ``parser`` stays the
default).  The organisation-type step is the same for both.

A model whose ``ner`` component is a spaCy ``tagger`` over BIO tags (trained with ``ner.head:
tagger`` by :mod:`pipeline.training.ner`: ``spacy.Tagger.v2`` or :func:`window_tagger`) is run the
same way, its own output layer in the ONNX graph instead of a distilled head (``head`` is then
``tagger`` whatever the option says).  Such models were measured against the parser (issue 19,
``benchmarks/results/2026-11-29-ner-tagger-joint.md``): 1.5-1.6x its speed, less accurate; none is shipped.

The word features (``words = true``) are jieba's words (HMM on, jieba's own dictionary only).  For
speed (issue 19) :func:`word_features` takes jieba's route through its dictionary from ``rjieba``
(jieba-rs, a private ``rjieba.Jieba()``, so that ``rjieba.add_word`` elsewhere changes nothing) and
gives the runs of one-character steps to jieba's own HMM, as jieba does: the words of the 1 MB bench
corpus in 0.3 s instead of ``jieba.Tokenizer.tokenize``'s 2.1 s; ``word_features`` 1.96 -> 0.84 CPU s,
the backend +8 % characters per CPU second.  jieba-rs's HMM itself is not used: it splits
``2016-06``, ``7.90M`` ... differently and its tables are not jieba's to the last digit (near ties
go the other way).  A block holding a character that jieba-rs counts as Chinese and jieba does not
(CJK extensions, compatibility ideographs) is cut by jieba itself, and so is every text without
rjieba or with lone surrogates.
Parity: the same words as jieba on 22.7M characters (MSRA test, the 1 MB bench corpus, CLUENER,
Weibo, Resume, literature, icwb2, weibo-hot, xwlb and 20,000 random mixes;
``tests/test_word_features.py``, ``benchmarks/results/2026-11-30-rjieba.md``).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Iterable

import numpy
from spacy.attrs import DEP, IDX, IS_SPACE, LEMMA, LENGTH, NORM, TAG
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc

from pipeline.backends.base import ModelError, Span

MODEL_NAME = "ner-zh"
DEFAULT_RUNTIME = "onnx-int8"
HEADS = ("parser", "tagger")
DEFAULT_HEAD = "parser"
ORG_TYPES = ("COMPANY", "GOV", "ORG")

# ---------------------------------------------------------------------------
# character features (registered here so that loading the model only needs
# this module; the training code imports it too)
# ---------------------------------------------------------------------------
_DIGITS = re.compile(r"\d")


def _norm_char(ch: str) -> str:
    """NFKC (full-width -> half-width), lower case, every digit -> 0."""
    if not ch:
        return ch
    n = unicodedata.normalize("NFKC", ch).lower()
    n = _DIGITS.sub("0", n)
    return n or ch


_NORM_CACHE: dict[str, str] = {}


def _norm_chars(text: str) -> list[str]:
    """``[_norm_char(c) for c in text]``, with the normalised form of each character cached."""
    cache = _NORM_CACHE
    out = [cache.get(c) for c in text]
    if None in out:
        if len(cache) > 200_000:  # characters only: bounded, but not without limit
            cache.clear()
        for i, n in enumerate(out):
            if n is None:
                c = text[i]
                out[i] = cache[c] = _norm_char(c)
    return out


_RJIEBA = None


def _word_segmenter():
    """A private jieba tokenizer with jieba's own dictionary only, so that user
    dictionaries loaded elsewhere never change the model's input features; and
    the part-of-speech tag of every word in that dictionary (``nr``, ``ns``,
    ``nt`` ...).  Both are loaded once per process by :mod:`pipeline.segmenters`."""
    from pipeline.segmenters import shared_jieba, word_tags

    return shared_jieba(), word_tags()


def _rjieba():
    """A private ``rjieba.Jieba()`` (jieba-rs with its embedded copy of jieba's ``dict.txt``),
    never the module-level instance that ``rjieba.add_word`` changes; ``False`` when rjieba is
    not installed (then every text goes through jieba)."""
    global _RJIEBA
    if _RJIEBA is None:
        try:
            import rjieba
        except ImportError:  # pragma: no cover - a declared dependency
            _RJIEBA = False
        else:
            _RJIEBA = rjieba.Jieba()
    return _RJIEBA


# jieba's cut, with the dictionary part done by jieba-rs.  jieba (``Tokenizer.__cut_DAG``) cuts each
# block of ``re_han_default`` characters (CJK U+4E00-9FD5, ASCII letters and digits, ``+#&._%-``)
# along the most probable route through its dictionary's words, gathers the runs of one-character
# steps ("buffers") and gives each buffer of two or more characters that is not a dictionary word to
# its HMM (``jieba.finalseg.cut``).  jieba-rs with ``hmm=False`` gives that route (same dictionary,
# same arithmetic), except that it joins runs of one-character ASCII letter/digit steps into one word
# (jieba's dictionary has no word of two or more ASCII letters/digits, so such a word of jieba-rs is
# always a run of steps).  The buffers go to jieba's own HMM, not to jieba-rs's: jieba-rs's HMM tables
# are not jieba's to the last digit and it splits non-Chinese pieces differently (``2016-06`` against
# ``2016``,``-``,``06``).  jieba-rs's blocks also take CJK extension / compatibility ideographs (jieba:
# each one a word alone); a block holding one is cut by jieba itself (jieba-rs's blocks end where
# jieba's do and contain jieba's, so jieba gives the same words for the block alone as in place).
_JB_HAN = ("\u4e00", "\u9fd5")
_JB_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
# a superset of what jieba-rs's blocks add to jieba's: CJK extension A, U+9FD6-9FFF, compatibility
# ideographs, planes 2-3
_RS_ONLY = "\u3400-\u4DBF\u9FD6-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF"
_RS_BLOCK = re.compile(f"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\\-{_RS_ONLY}]+")
_RS_ONLY_CHAR = re.compile(f"[{_RS_ONLY}]")
_HMM_CACHE: dict[str, tuple[str, ...]] = {}  # buffer -> jieba.finalseg.cut(buffer)


def _jieba_words(text: str) -> list[tuple[str, int, int]]:
    """``(word, start, end)`` of jieba's cut of ``text`` (HMM on) with jieba's dictionary only."""
    return list(_word_segmenter()[0].tokenize(text, HMM=True))


def _words(text: str) -> list[tuple[str, int, int]]:
    """The same words as :func:`_jieba_words`, several times faster (see the module docstring)."""
    rs = _rjieba()
    if not rs:
        return _jieba_words(text)
    try:
        steps = rs.tokenize(text, hmm=False)
    except UnicodeEncodeError:  # lone surrogates
        return _jieba_words(text)
    tok = _word_segmenter()[0]
    freq = tok.FREQ
    jieba_blocks = []  # (start, end) of the blocks cut by jieba itself
    if _RS_ONLY_CHAR.search(text) is not None:
        jieba_blocks = [m.span() for m in _RS_BLOCK.finditer(text) if _RS_ONLY_CHAR.search(m.group())]
        jieba_blocks.reverse()
    from jieba import finalseg

    hmm_cut = finalseg.cut
    # (finalseg.cut(b) depends on b alone while jieba's global Force_Split_Words is empty, i.e. until
    # some code deletes a word from a jieba dictionary)
    cache = _HMM_CACHE if not finalseg.Force_Split_Words else {}
    han_lo, han_hi = _JB_HAN
    ascii_block = _JB_ASCII
    out: list[tuple[str, int, int]] = []
    append = out.append
    buf = -1  # start of the pending buffer of one-character steps
    skip_to = -1
    n = len(text)
    steps.append(("", n, n))  # flushes the last buffer
    for w, s, e in steps:
        if s < skip_to:
            continue
        if jieba_blocks and s >= jieba_blocks[-1][0]:
            # (the character before such a block is outside every block: no buffer is pending)
            a, skip_to = jieba_blocks.pop()
            out.extend((x, i + a, j + a) for x, i, j in tok.tokenize(text[a:skip_to], HMM=True))
            continue
        if e - s == 1:
            if han_lo <= w <= han_hi or w in ascii_block:
                if buf < 0:
                    buf = s
                continue
        elif w.isascii() and w.isalnum():  # one-character steps that jieba-rs joined
            if freq.get(w):  # or a dictionary word (jieba's dictionary has none): cannot tell
                return _jieba_words(text)
            if buf < 0:
                buf = s
            continue
        if buf >= 0:  # jieba's rules for a buffer (Tokenizer.__cut_DAG)
            if s - buf == 1:
                append((text[buf], buf, s))
            else:
                b = text[buf:s]
                if not freq.get(b):
                    xs = cache.get(b)
                    if xs is None:
                        if len(cache) >= 100_000:
                            cache.clear()
                        xs = cache[b] = tuple(hmm_cut(b))
                    for x in xs:
                        append((x, buf, buf + len(x)))
                        buf += len(x)
                else:
                    for i, c in enumerate(b, buf):
                        append((c, i, i + 1))
            buf = -1
        if e > s:
            append((w, s, e))
    return out


def word_features(text: str, normed: list[str] | None = None) -> tuple[list[str], list[str]]:
    """For every character of ``text``: ``P|word`` (its position B/M/E/S in the
    jieba word containing it + the normalised word) and ``P-tag`` (position +
    the word's dictionary part of speech, ``oov`` for words jieba's HMM found).
    ``normed``: ``_norm_chars(text)`` when the caller has it already."""
    tags = _word_segmenter()[1]
    if normed is None:
        normed = _norm_chars(text)
    words = ["S|" + c for c in normed]
    poss = ["S-x"] * len(text)
    for w, s, e in _words(text):
        n = e - s
        if n <= 0 or w.isspace():
            continue
        tag = tags.get(w, "oov")
        if n == 1:  # words[s] is "S|" + its character already
            poss[s] = "S-" + tag
            continue
        nw = "".join(normed[s:e])
        words[s], poss[s] = "B|" + nw, "B-" + tag
        if n > 2:
            mw, mp = "M|" + nw, "M-" + tag
            words[s + 1:e - 1] = [mw] * (n - 2)
            poss[s + 1:e - 1] = [mp] * (n - 2)
        words[e - 1], poss[e - 1] = "E|" + nw, "E-" + tag
    return words, poss


class CharFeatures:
    """Put the normalised character in ``token.lemma_`` and the normalised
    bigram (this character + the next one) in ``token.norm_`` so that the
    tok2vec's ``MultiHashEmbed`` can embed both.  With ``words=True`` also the
    jieba word around the character with the character's position in it
    (``tag_``) and that position + the word's dictionary part of speech
    (``dep_``): word-boundary and lexicon features for a character model."""

    def __init__(self, nlp: Language, name: str = "zh_char_features", words: bool = False):
        self.name = name
        self.words = bool(words)

    def __call__(self, doc: Doc) -> Doc:
        # hashes are written with ``Doc.from_array`` so that the StringStore
        # does not grow with every bigram ever seen (same ids as ``norm_ =``);
        # token offsets come from ``Doc.to_array`` (no Token objects made)
        n = len(doc)
        if not n:
            return doc
        text = doc.text
        normed = _norm_chars(text)
        if n == len(text):  # one character per token, none followed by whitespace
            starts = None
            # (every whitespace character is " " or not printable)
            norms = normed if text.isprintable() and " " not in text else \
                ["<sp>" if ch.isspace() else c for ch, c in zip(text, normed)]
        else:
            toks = doc.to_array([IDX, LENGTH, IS_SPACE]).tolist()
            starts = [i for i, _, _ in toks]
            norms = ["<sp>" if sp else normed[i] if ln == 1 else _norm_char(text[i:i + ln])
                     for i, ln, sp in toks]
        sid = get_string_id
        ids = [sid(c) for c in norms]
        ids2 = [sid(a + "|" + b) for a, b in zip(norms, norms[1:])]
        ids2.append(sid(norms[-1] + "|</s>"))
        if not self.words:
            doc.from_array([LEMMA, NORM], numpy.array([ids, ids2], dtype="uint64").T)
            return doc
        words, poss = word_features(text, normed)
        if starts is not None:
            words, poss = [words[i] for i in starts], [poss[i] for i in starts]
        ids3 = [sid(w) for w in words]
        ids4 = [sid(p) for p in poss]
        doc.from_array([LEMMA, NORM, TAG, DEP], numpy.array([ids, ids2, ids3, ids4], dtype="uint64").T)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128):
        for doc in docs:
            yield self(doc)

    # serialisation: no state
    def to_disk(self, path, exclude=tuple()):
        pass

    def from_disk(self, path, exclude=tuple()):
        return self

    def to_bytes(self, exclude=tuple()):
        return b""

    def from_bytes(self, data, exclude=tuple()):
        return self


if "zh_char_features" not in Language.factories:  # pragma: no branch

    @Language.factory("zh_char_features", default_config={"words": False})
    def _make_char_features(nlp: Language, name: str, words: bool):
        return CharFeatures(nlp, name, words)


def window_tagger(tok2vec, hidden_width: int = 128, window_size: int = 1, maxout_pieces: int = 2, nO=None):
    """``zh_extract.WindowTagger.v1``: a tagger whose output layer sees each token's vector with
    its ``window_size`` neighbours on each side (zero vectors beyond the document) through one
    Maxout + LayerNorm layer of ``hidden_width``, then a softmax (logits at prediction time, as
    ``spacy.Tagger.v2`` without ``normalize``).  Refs: ``tok2vec``, ``hidden``, ``softmax``."""
    from thinc.api import Maxout, Softmax_v2, chain, expand_window, with_array, zero_init

    width = tok2vec.get_dim("nO") if tok2vec.has_dim("nO") else None
    hidden = chain(expand_window(window_size=window_size),
                   Maxout(nO=hidden_width, nI=width * (2 * window_size + 1) if width else None,
                          nP=maxout_pieces, dropout=0.0, normalize=True))
    output_layer = Softmax_v2(nO, hidden_width, init_W=zero_init, normalize_outputs=False)
    model = chain(tok2vec, with_array(chain(hidden, output_layer), pad=window_size))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("hidden", hidden)
    model.set_ref("softmax", output_layer)
    model.set_ref("output_layer", output_layer)
    return model


def _register_architecture() -> None:
    from spacy.util import registry

    if "zh_extract.WindowTagger.v1" not in registry.architectures.get_all():
        registry.architectures.register("zh_extract.WindowTagger.v1", func=window_tagger)


_register_architecture()


def bio_token_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans ``(start, end, type)`` of a BIO tag sequence: a ``B-X`` (or an ``I-X``
    that does not continue an ``X``) and the ``I-X`` right after it."""
    spans: list[tuple[int, int, str]] = []
    start, kind = -1, ""
    for i, t in enumerate([*tags, "O"]):
        if t.startswith("I-") and t[2:] == kind:
            continue
        if kind:
            spans.append((start, i, kind))
        start, kind = (i, t[2:]) if t.startswith(("B-", "I-")) else (-1, "")
    return spans


def score_bio_ents(examples, **_) -> dict:
    """Strict span P/R/F1 (``ents_p`` / ``ents_r`` / ``ents_f`` / ``ents_per_type``, the keys of
    spaCy's NER scorer) of a ``tagger`` whose tags are BIO entity tags, against the reference's
    entities (char tokens: one tokenisation on both sides).  As spaCy's NER scorer does, a
    predicted span over characters whose annotation is missing is neither right nor wrong."""
    from spacy.scorer import PRFScore

    total, per_type = PRFScore(), {}
    for eg in examples:
        known = [t.ent_iob != 0 for t in eg.reference]
        pred = {(s, e, k) for s, e, k in bio_token_spans([t.tag_ for t in eg.predicted]) if all(known[s:e])}
        gold = {(e.start, e.end, e.label_) for e in eg.reference.ents}
        total.score_set(pred, gold)
        for kind in {k for _, _, k in pred | gold}:
            per_type.setdefault(kind, PRFScore()).score_set({x for x in pred if x[2] == kind},
                                                           {x for x in gold if x[2] == kind})
    return {"ents_p": total.precision, "ents_r": total.recall, "ents_f": total.fscore,
            "ents_per_type": {k: v.to_dict() for k, v in sorted(per_type.items())}}


def _register_scorer() -> None:
    from spacy.util import registry

    if "zh_extract.bio_ents_scorer.v1" not in registry.scorers.get_all():
        registry.scorers.register("zh_extract.bio_ents_scorer.v1", func=lambda: score_bio_ents)


_register_scorer()


# ---------------------------------------------------------------------------
# chunking of long texts
# ---------------------------------------------------------------------------
_SENT_END = re.compile(r"[。！？!?；;…\n\r]+[”’」』）)]*")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def split_chunks(text: str, max_chars: int = 300) -> list[tuple[int, str]]:
    """Split ``text`` into ``(offset, chunk)`` pieces of at most ``max_chars``
    characters, preferring sentence ends / newlines, then commas; whitespace-
    only pieces are dropped."""
    if len(text) <= max_chars:
        return [(0, text)] if text.strip() else []
    pieces: list[tuple[int, str]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        pieces.append((start, text[start:m.end()]))
        start = m.end()
    if start < len(text):
        pieces.append((start, text[start:]))
    # merge short sentences into chunks, hard-split over-long ones
    out: list[tuple[int, str]] = []
    cur_off, cur = 0, ""
    for off, piece in pieces:
        if len(piece) > max_chars:
            if cur:
                out.append((cur_off, cur))
                cur = ""
            out.extend(_hard_split(off, piece, max_chars))
            continue
        if not cur:
            cur_off, cur = off, piece
        elif len(cur) + len(piece) <= max_chars:
            cur += piece
        else:
            out.append((cur_off, cur))
            cur_off, cur = off, piece
    if cur:
        out.append((cur_off, cur))
    return [(o, c) for o, c in out if c.strip()]


def _hard_split(offset: int, text: str, max_chars: int) -> list[tuple[int, str]]:
    out = []
    i = 0
    while i < len(text):
        end = min(i + max_chars, len(text))
        if end < len(text):
            # prefer a comma / space in the second half of the window
            window = text[i:end]
            cut = max(window.rfind(c) for c in "，,、 \t：:")
            if cut > max_chars // 2:
                end = i + cut + 1
        out.append((offset + i, text[i:end]))
        i = end
    return out


# ---------------------------------------------------------------------------
# the backend
# ---------------------------------------------------------------------------
def default_model_path() -> Path:
    try:
        from importlib.resources import files

        p = files("pipeline") / "resources" / "models" / MODEL_NAME
        return Path(str(p))
    except Exception:  # pragma: no cover - importlib fallback
        return Path(__file__).resolve().parent.parent / "resources" / "models" / MODEL_NAME


def load_part(root: Path, part: str) -> Language:
    """The spaCy pipeline ``root/part`` (``ner`` or ``orgtype``); a part that is missing or does
    not load raises one :class:`ModelError` naming the model folder, the part and, where it can
    be told, the damaged file."""
    import spacy

    path = root / part
    if not (path / "config.cfg").is_file():
        raise ModelError(f"{root}: the model lacks its {part}/ part ({path / 'config.cfg'} not found; "
                         f"a model folder holds ner/ and orgtype/)")
    try:
        return spacy.load(path)
    except Exception as exc:  # noqa: BLE001 - spaCy, thinc and srsly raise many kinds for a bad file
        missing = getattr(exc, "filename", None)
        if isinstance(exc, FileNotFoundError) and missing and Path(missing).is_relative_to(root):
            what = f"{Path(missing).relative_to(root)} is missing"
        else:
            bad = _damaged_file(path)
            what = (f"{bad.relative_to(root)}: " if bad else "") + f"{type(exc).__name__}: " + " ".join(str(exc).split())[:300]
        raise ModelError(f"{root}: the {part}/ part of the model does not load ({what}); "
                         f"copy the model again or retrain it") from None


def _damaged_file(path: Path) -> Path | None:
    """The first file of a spaCy pipeline folder that does not parse: its weights
    (``<component>/model``, msgpack) or its JSON files (``meta.json``, ``cfg``, ``strings.json`` ...)."""
    import srsly

    files = [(f, srsly.msgpack_loads) for f in sorted(path.glob("*/model"))]
    files += [(f, srsly.json_loads) for f in sorted([*path.rglob("*.json"), *path.glob("*/cfg")])]
    for file, parse in files:
        try:
            parse(file.read_bytes())
        except Exception:  # noqa: BLE001 - any parse failure means a damaged file
            return file
    return None


def _load_tagger_head(root: Path):
    """The tagger head of the model folder ``root`` (``ner/tagger_head.npz``); a missing,
    unreadable or stale one (trained on other ``ner`` weights) raises :class:`ModelError`."""
    from pipeline.backends.ner_onnx import HEAD_FILE, TaggerHead, weights_hash

    path = root / "ner" / HEAD_FILE
    remake = f"make it with: python -m pipeline.training.tagger_head {root}"
    if not path.is_file():
        raise ModelError(f"{root}: head 'tagger' needs {path}, which is missing; {remake} (or use head 'parser')")
    try:
        head = TaggerHead.load(path)
    except Exception as exc:  # noqa: BLE001 - numpy/zip raise many kinds for a bad file
        raise ModelError(f"{path}: the tagger head does not load ({type(exc).__name__}: {exc}); {remake}") from None
    current = weights_hash(root / "ner" / "ner")
    if head.model_hash != current:
        raise ModelError(f"{path}: the tagger head was trained on other ner weights (hash {head.model_hash or '?'}, "
                         f"the model's is {current}); {remake}")
    return head


def tagger_logprobs(tagger, docs) -> numpy.ndarray:
    """Log-probabilities [total tokens, 7] of a BIO ``tagger`` component through thinc, columns in
    ``BIO_TAGS`` order (``spacy.Tagger.v2`` gives logits unless it normalises its outputs)."""
    from pipeline.backends.ner_onnx import BIO_TAGS

    out = numpy.concatenate([numpy.asarray(x, dtype="float32") for x in tagger.model.predict(docs)])
    out = out[:, [list(tagger.labels).index(t) for t in BIO_TAGS]]
    if tagger.model.get_ref("softmax").attrs.get("softmax_normalize"):
        return numpy.log(numpy.maximum(out, 1e-30))
    out = out - out.max(1, keepdims=True)
    return out - numpy.log(numpy.exp(out).sum(1, keepdims=True))


class SpacyNerBackend:
    """Character-level spaCy NER + organisation-type classifier."""

    name = "spacy"

    def __init__(self, model: str | Path | None = None, batch_size: int = 64,
                 max_chars: int = 300, runtime: str = DEFAULT_RUNTIME, threads: int = 1,
                 head: str = DEFAULT_HEAD, **_: object) -> None:
        from pipeline.backends.ner_onnx import RUNTIMES, UnsupportedModel, install

        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r} of the spacy NER backend; "
                             f"expected one of: {', '.join(RUNTIMES)}")
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r} of the spacy NER backend; expected one of: {', '.join(HEADS)}")
        root = Path(model) if model is not None else default_model_path()
        if not root.exists():
            raise FileNotFoundError(f"spaCy NER model not found: {root}")
        self.model_path = root
        self.batch_size = int(batch_size)
        self.max_chars = int(max_chars)
        self.runtime = runtime
        self.head = head
        self.nlp = load_part(root, "ner")
        self.orgtype = load_part(root, "orgtype")
        # a model whose ``ner`` is a spaCy tagger over BIO tags: that is its head
        self.bio_tagger = self.nlp.get_pipe_meta("ner").factory == "tagger"
        if self.bio_tagger:
            self.head = "tagger"
        self.tagger = _load_tagger_head(root) if head == "tagger" and not self.bio_tagger else None
        # the tok2vec through ONNX Runtime when predicting (built from the loaded weights); a
        # model of another architecture than ner_onnx converts keeps spaCy's own layers
        try:
            if self.bio_tagger:
                from pipeline.backends.ner_onnx import OnnxTok2Vec

                self.onnx = None if runtime == "thinc" else OnnxTok2Vec(
                    self.nlp.get_pipe("ner").model, quantized=runtime == "onnx-int8", threads=int(threads),
                    labels=tuple(self.nlp.get_pipe("ner").labels))
            elif self.tagger is None:
                self.onnx = install(self.nlp.get_pipe("ner"), runtime, threads=int(threads))
            elif runtime == "thinc":
                self.onnx = None
            else:  # the tok2vec and the head in one graph; the parser is never run
                from pipeline.backends.ner_onnx import OnnxTok2Vec

                self.onnx = OnnxTok2Vec(self.nlp.get_pipe("ner").model, quantized=runtime == "onnx-int8",
                                        threads=int(threads), head=self.tagger)
        except UnsupportedModel as exc:
            logging.getLogger(__name__).warning("%s: runtime %s not available (%s); using thinc", root, runtime, exc)
            self.runtime, self.onnx = "thinc", None

    # -- public API -------------------------------------------------------
    def tag(self, texts: list[str]) -> list[list[Span]]:
        results: list[list[Span]] = [[] for _ in texts]
        chunks: list[tuple[int, int, str]] = []  # (text index, offset, chunk)
        for ti, text in enumerate(texts):
            if not isinstance(text, str) or not text or text.isspace():
                continue
            clean = _SURROGATES.sub("\ufffd", text)  # same length, encodable
            for off, chunk in split_chunks(clean, self.max_chars):
                chunks.append((ti, off, chunk))
        if not chunks:
            return results
        org_refs: list[tuple[int, int]] = []  # (text index, position in results)
        org_texts: list[str] = []
        found = self._tagger_entities([c for _, _, c in chunks]) if self.head == "tagger" else \
            ([(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
             for doc in self.nlp.pipe((c for _, _, c in chunks), batch_size=self.batch_size))
        for (ti, off, chunk), ents in zip(chunks, found):
            for s, e, ent_label in ents:
                # trim whitespace at the edges
                while s < e and chunk[s].isspace():
                    s += 1
                while e > s and chunk[e - 1].isspace():
                    e -= 1
                if s >= e:
                    continue
                label = ent_label if ent_label in ("PERSON", "PLACE", "ORG") else "ORG"
                results[ti].append((s + off, e + off, label))
                if label == "ORG":
                    org_refs.append((ti, len(results[ti]) - 1))
                    org_texts.append(texts[ti][s + off:e + off])
        if org_texts:
            for (ti, k), label in zip(org_refs, self.classify_orgs(org_texts)):
                s, e, _ = results[ti][k]
                results[ti][k] = (s, e, label)
        for r in results:
            r.sort()
        return results

    def _tagger_entities(self, texts: list[str]):
        """Character spans ``(start, end, type)`` of each text by the tagger head: the model's
        features, the tok2vec + head (ONNX, or thinc + numpy), BIO-constrained Viterbi."""
        from pipeline.backends.ner_onnx import BIO_TAGS, bio_spans, bio_viterbi

        procs = [proc for name, proc in self.nlp.pipeline if name != "ner"]
        tags = self.onnx.tags if self.onnx is not None else BIO_TAGS if self.bio_tagger else self.tagger.tags
        for i in range(0, len(texts), self.batch_size):
            docs = [self.nlp.make_doc(t) for t in texts[i:i + self.batch_size]]
            for proc in procs:
                docs = [proc(d) for d in docs]
            lengths = [len(d) for d in docs]
            if self.onnx is not None:
                lp = self.onnx.logprobs(docs)
            elif self.bio_tagger:  # thinc: the tagger's softmax
                lp = tagger_logprobs(self.nlp.get_pipe("ner"), docs)
            else:
                vecs = self.nlp.get_pipe("ner").model.get_ref("tok2vec").predict(docs)
                lp = self.tagger.logprobs(numpy.asarray(vecs, dtype="float32"), lengths)
            for doc, spans in zip(docs, bio_spans(bio_viterbi(lp, lengths, tags), lengths, tags)):
                if not spans:
                    yield []
                    continue
                at = doc.to_array([IDX, LENGTH])
                yield [(int(at[s, 0]), int(at[e - 1, 0] + at[e - 1, 1]), label) for s, e, label in spans]

    def classify_orgs(self, mentions: list[str]) -> list[str]:
        """COMPANY / GOV / ORG for each organisation mention."""
        out = []
        safe = [_SURROGATES.sub("\ufffd", m) if m.strip() else "?" for m in mentions]
        for doc in self.orgtype.pipe(safe, batch_size=256):
            cats = doc.cats
            out.append(max(ORG_TYPES, key=lambda c: cats.get(c, 0.0)) if cats else "ORG")
        return out
