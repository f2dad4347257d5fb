"""Word segmenters and their user dictionaries."""
from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_PKUSEG_MODEL = RESOURCES / "models" / "pkuseg-zh"
DOMAIN_DICT = RESOURCES / "dicts" / "domain.txt"
SEGMENTERS = ("jieba", "pkuseg", "char")

Entry = tuple[str, "int | None", "str | None"]  # word, frequency, POS tag


# --------------------------------------------------------------------------- user dictionaries

_FREQ = re.compile(r"[0-9]+")
_POS = re.compile(r"[A-Za-z]+")


def load_user_dict(path: str | os.PathLike) -> list[Entry]:
    """Read a user dictionary in jieba format (``word [freq] [pos]``, space
    separated) or pkuseg format (``word[<TAB>tag]``).  Blank lines and lines
    starting with ``#`` are skipped.

    A line of any other shape (a frequency that is not a whole number, a word
    with a space in it, more fields) raises ``ValueError`` naming the file and
    the line number, as does a file that is not UTF-8 text."""
    entries: list[Entry] = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        problem = None
        if "\t" in line:
            word, tag, *more = [p.strip() for p in line.split("\t")]
            if more:
                problem = f"{len(more) + 2} tab-separated fields (expected `word<TAB>tag`)"
            elif len(word.split()) != 1:
                problem = f"word {word!r} has a space in it"
            elif tag and not _POS.fullmatch(tag):
                problem = f"POS tag {tag!r} is not a tag (letters only)"
            else:
                entries.append((word, None, tag or None))
        else:
            word, *rest = line.split()
            if len(rest) > 2:
                problem = f"{len(rest) + 1} fields (expected `word [freq] [pos]`; a word has no spaces)"
            elif len(rest) == 2 and not _FREQ.fullmatch(rest[0]):
                problem = f"frequency {rest[0]!r} is not a whole number (expected `word [freq] [pos]`)"
            elif len(rest) == 2 and not _POS.fullmatch(rest[1]):
                problem = f"POS tag {rest[1]!r} is not a tag (letters only)"
            elif len(rest) == 1 and not (_FREQ.fullmatch(rest[0]) or _POS.fullmatch(rest[0])):
                problem = (f"{rest[0]!r} is neither a frequency nor a POS tag "
                           f"(expected `word [freq] [pos]`; a word has no spaces)")
            else:
                freq = int(rest.pop(0)) if rest and _FREQ.fullmatch(rest[0]) else None
                entries.append((word, freq, rest[0] if rest else None))
        if problem:
            raise ValueError(f"{path}: line {number}: {problem}: {line!r}")
    return entries


def _entries(user_dicts: Iterable[str | os.PathLike]) -> list[Entry]:
    out: list[Entry] = []
    for d in user_dicts:
        out.extend(load_user_dict(d))
    return out


def add_to_jieba(tokenizer, entries: Iterable[Entry]) -> None:
    """Add entries to a ``jieba.Tokenizer`` (or the ``jieba`` module itself)."""
    for word, freq, tag in entries:
        tokenizer.add_word(word, freq, tag)


def add_to_pkuseg(seg, entries: Iterable[Entry]) -> None:
    """Add entries to a ``spacy_pkuseg.pkuseg`` instance's user dictionary (its
    forward-maximum-matching pre-processor: these words are never split)."""
    for word, _freq, tag in entries:
        seg.preprocesser.insert(word, tag or "")


def write_pkuseg_user_dict(entries: Iterable[Entry], path: str | os.PathLike) -> str:
    """Write entries in pkuseg's own format (one word per line, ``<TAB>tag`` if
    known) -- the file ``spacy_pkuseg.pkuseg(user_dict=...)`` and spaCy's
    ``initialize(pkuseg_user_dict=...)`` expect."""
    with open(path, "w", encoding="utf-8") as fh:
        for word, _freq, tag in entries:
            fh.write(f"{word}\t{tag}\n" if tag else f"{word}\n")
    return str(path)


def pkuseg_user_dict_file(user_dicts: Sequence[str | os.PathLike]) -> str:
    """Convert user dictionaries (any format) to one pkuseg-format file in the temp
    dir (named by content hash, so repeated calls reuse it); returns its path."""
    entries = _entries(user_dicts)
    body = "\n".join(f"{w}\t{t or ''}" for w, _f, t in entries).encode("utf-8")
    path = Path(tempfile.gettempdir()) / f"zh-extract-pkuseg-dict-{hashlib.sha1(body).hexdigest()[:12]}.txt"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        write_pkuseg_user_dict(entries, tmp)
        os.replace(tmp, path)
    return str(path)


# --------------------------------------------------------------------------- segmenters

_CONTEXT_CLASS = None


def _context_pkuseg_class():
    """``spacy_pkuseg.pkuseg`` subclass whose ``cut`` keeps sentence context.

    Stock pkuseg cuts the text at user-dictionary matches (forward maximum
    matching) and runs the CRF on each remaining fragment *in isolation*, which
    damages the words next to a dictionary word (e.g. ``服务行动暨`` between two
    dictionary words came out as ``服务行|动暨``).  This ``cut`` runs the CRF on
    the whole text, then enforces the same dictionary matches: boundaries inside
    a match are removed, boundaries at its two ends are added.  Dictionary words
    are therefore still single tokens; everything else keeps its context.
    """
    global _CONTEXT_CLASS
    if _CONTEXT_CLASS is None:
        import spacy_pkuseg

        class ContextPkuseg(spacy_pkuseg.pkuseg):
            def cut(self, txt):
                if self.postag or not self.preprocesser.trie.children:
                    return super().cut(txt)
                txt = txt.strip()
                user = self.preprocesser
                self.preprocesser = spacy_pkuseg.Preprocesser(None)
                try:
                    words = super().cut(txt)
                finally:
                    self.preprocesser = user
                cuts, pos = set(), 0
                for w in words:
                    start = txt.index(w, pos)
                    pos = start + len(w)
                    cuts.update((start, pos))
                forced = False
                for m in re.finditer(r"\S+", txt):
                    off = m.start()
                    for frag, is_word, _tag in zip(*user.solve(m.group())):
                        if is_word:
                            cuts.difference_update(range(off + 1, off + len(frag)))
                            cuts.update((off, off + len(frag)))
                            forced = True
                        off += len(frag)
                if not forced:
                    return words
                cuts = sorted(cuts)
                return [txt[a:b] for a, b in zip(cuts, cuts[1:]) if txt[a:b].strip()]

        _CONTEXT_CLASS = ContextPkuseg
    return _CONTEXT_CLASS


def use_context_dict(seg):
    """Switch a loaded ``spacy_pkuseg.pkuseg`` (e.g. ``nlp.tokenizer.pkuseg_seg``)
    to context-keeping user-dictionary handling; returns it."""
    seg.__class__ = _context_pkuseg_class()
    return seg


@functools.lru_cache(maxsize=4)
def _load_base_pkuseg(model_dir: str, postprocess: bool):
    """Loaded once per process; :func:`load_pkuseg` hands out shallow copies that
    share the (read-only) weights, features and post-processor."""
    import spacy_pkuseg

    return spacy_pkuseg.pkuseg(model_name=model_dir, user_dict="default" if postprocess else None)


def load_pkuseg(model: str | os.PathLike | None = None, user_dicts: Sequence[str | os.PathLike] = (),
                postprocess: bool = True, dict_mode: str = "context"):
    """A ``spacy_pkuseg.pkuseg`` for ``model`` (default: the shipped model).

    ``postprocess=True`` keeps spacy-pkuseg's standard behaviour (the bundled
    ``default.pkl`` lexicon merges adjacent pieces; this is also what spaCy's
    tokenizer does); ``False`` gives the bare CRF output plus user words.
    ``dict_mode``: ``"context"`` (default, see :func:`use_context_dict`) or
    ``"split"`` (stock pkuseg: CRF on the fragments between dictionary words)."""
    import copy

    import spacy_pkuseg

    seg = copy.copy(_load_base_pkuseg(str(Path(model or DEFAULT_PKUSEG_MODEL).resolve()), postprocess))
    seg.preprocesser = spacy_pkuseg.Preprocesser(None)
    add_to_pkuseg(seg, _entries(user_dicts))
    if dict_mode == "context":
        use_context_dict(seg)
    elif dict_mode != "split":
        raise ValueError(f"dict_mode must be 'context' or 'split', not {dict_mode!r}")
    return seg


def load_jieba(user_dicts: Sequence[str | os.PathLike] = ()):
    """A private ``jieba.Tokenizer`` (the global jieba dictionary is untouched)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    add_to_jieba(tok, _entries(user_dicts))
    return tok


@functools.lru_cache(maxsize=1)
def shared_jieba():
    """One private ``jieba.Tokenizer`` with jieba's own dictionary only, loaded once per process
    for the readers that only cut with it (the entity rules, the NER model's word features).
    Never add words to it: :func:`load_jieba` makes one that may change."""
    return load_jieba()


@functools.lru_cache(maxsize=1)
def pos_tokenizer():
    """``jieba.posseg`` on :func:`shared_jieba`.  Its word-tag table (the part of speech of
    every word of jieba's own dictionary, about 50 MB) is the one importing ``jieba.posseg``
    builds for ``jieba.posseg.dt`` from the same dictionary file: one copy per process rather
    than one per reader (the NER word features, the facts, :func:`posseg`).  Never add words
    to it, nor to ``jieba.posseg.dt``."""
    import jieba.posseg

    pt = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    pt.tokenizer, pt.word_tag_tab = shared_jieba(), jieba.posseg.dt.word_tag_tab
    return pt


def word_tags() -> dict[str, str]:
    """Word -> part of speech (``nr``, ``ns``, ``v`` ...) for jieba's own dictionary."""
    return pos_tokenizer().word_tag_tab


def posseg(text: str) -> list[tuple[str, str]]:
    """``(word, part of speech)`` pairs of ``text`` by ``jieba.posseg`` (HMM on) with jieba's own
    dictionary only (:func:`shared_jieba`), for the readers that look at a phrase's grammar
    (the facts' subjects and entities, place names in the entity stage)."""
    return list(_posseg_pairs(text))


@functools.lru_cache(maxsize=8192)
def _posseg_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """:func:`posseg` of ``text``, kept for texts seen again (a third of the facts' phrases)."""
    return tuple((w.word, w.flag) for w in pos_tokenizer().cut(text))


def jieba_dictionary() -> Iterator[tuple[str, int, str]]:
    """``(word, frequency, tag)`` of every line of jieba's own dictionary (``dict.txt``), read
    without importing jieba; nothing when jieba is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return
    with open(Path(list(spec.submodule_search_locations)[0]) / "dict.txt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            yield parts[0], int(parts[1]) if len(parts) >= 2 else 0, parts[2].strip() if len(parts) >= 3 else ""


def make_segmenter(name: str, model: str | os.PathLike | None = None,
                   user_dicts: Sequence[str | os.PathLike] = (), **kwargs) -> Callable[[str], list[str]]:
    """``text -> words`` for ``jieba`` (HMM on), ``pkuseg`` or ``char``."""
    if name == "jieba":
        tok = load_jieba(user_dicts)
        return lambda text: [w for w in tok.cut(text, HMM=True) if w]
    if name == "pkuseg":
        seg = load_pkuseg(model, user_dicts, **kwargs)
        return seg.cut
    if name == "char":
        return lambda text: [c for c in text if not c.isspace()]
    raise ValueError(f"unknown segmenter {name!r}; expected one of: {', '.join(SEGMENTERS)}")


def make_spacy_zh(segmenter: str = "pkuseg", model: str | os.PathLike | None = None,
                  user_dicts: Sequence[str | os.PathLike] = (DOMAIN_DICT,), dict_mode: str = "context"):
    """A blank spaCy Chinese pipeline whose tokenizer uses ``segmenter``.

    For pkuseg the shipped model (or ``model``) and the user dictionaries
    (converted to pkuseg format) go through ``nlp.tokenizer.initialize``; with
    ``dict_mode="context"`` the tokenizer's segmenter is then switched to
    context-keeping dictionary handling (:func:`use_context_dict`).  For
    jieba the words are added to the global ``jieba`` dictionary, which is the
    one spaCy's tokenizer uses.
    """
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": segmenter}}})
    if segmenter == "pkuseg":
        user = pkuseg_user_dict_file(user_dicts) if user_dicts else "default"
        nlp.tokenizer.initialize(pkuseg_model=str(model or DEFAULT_PKUSEG_MODEL), pkuseg_user_dict=user)
        if dict_mode == "context":
            use_context_dict(nlp.tokenizer.pkuseg_seg)
    elif segmenter == "jieba" and user_dicts:
        import jieba

        add_to_jieba(jieba, _entries(user_dicts))
    return nlp

