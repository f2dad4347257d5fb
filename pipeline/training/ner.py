"""Train the project's character-level spaCy NER model and its organisation-type
classifier, measure them, and write a model card.

Usage (what ``extract train ner`` calls)::

    from pipeline.training.ner import train_ner
    scores = train_ner("configs/train-ner.yaml", "pipeline/resources/models/ner-zh")

or ``python -m pipeline.training.ner configs/train-ner.yaml OUTPUT_DIR``.

The output directory gets ``ner/`` (spaCy pipeline: zh char tokenizer,
``zh_char_features``, ``ner`` with PERSON/PLACE/ORG), ``orgtype/`` (spaCy
``textcat``: COMPANY/GOV/ORG for an organisation mention), ``scores.json`` and
``MODEL_CARD.md``.  Corpus text is only used inside a temporary directory.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeline.evaluation import corpora

NER_LABELS = ("PERSON", "PLACE", "ORG")
ORG_TYPES = ("COMPANY", "GOV", "ORG")

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "train": [],
    "eval": [],
    "dev": {"msra": 2000, "cluener": 500},
    "ner": {
        "width": 128, "depth": 6, "window_size": 1, "maxout_pieces": 3,
        "rows": [8000, 40000], "attrs": ["LEMMA", "NORM"],
        "hidden_width": 64, "dropout": 0.15, "learn_rate": 0.001,
        "max_epochs": 10, "max_steps": 0, "patience": 4000, "eval_frequency": 1000,
        "batch_start": 200, "batch_stop": 2000, "max_minutes": 0, "words": False,
    },
    "orgtype": {"ngram_size": 3, "dropout": 0.1, "max_epochs": 20, "patience": 2000,
                "eval_frequency": 200, "dev": 400},
}


# ---------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------
def load_config(config_path: str | Path) -> dict[str, Any]:
    config_path = Path(config_path).resolve()
    with open(config_path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    cfg = json.loads(json.dumps(DEFAULTS))
    for key, val in raw.items():
        if isinstance(val, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(val)
        else:
            cfg[key] = val

    def resolve(path: str) -> str:  # a model directory, relative to the config's folder
        return str((config_path.parent / path).resolve())

    if cfg["ner"].get("source"):
        cfg["ner"]["source"] = resolve(cfg["ner"]["source"])
    if cfg["ner"].get("average"):
        cfg["ner"]["average"] = [resolve(m) for m in cfg["ner"]["average"]]
    for part in ("train", "eval"):
        for item in cfg[part]:
            p = Path(item["path"]).expanduser()
            item["path"] = str(p if p.is_absolute() else (config_path.parent / p).resolve())
            if item.get("missing_predicted"):
                item["missing_predicted"] = resolve(item["missing_predicted"])
    cfg["_config_path"] = str(config_path)
    return cfg


def _used_for(item: dict[str, Any], model: str) -> bool:
    """Whether a ``train`` corpus feeds ``model`` ("ner" / "orgtype"); ``use`` limits it."""
    return model in item.get("use", ("ner", "orgtype"))


def _ner_label(dataset: str, label: str) -> str | None:
    m = corpora.map_label(dataset, label)
    if m is None:
        return None
    return "ORG" if m in ORG_TYPES else m


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def _make_doc(nlp, text: str, spans: list[tuple[int, int, str]],
              unknown: list[tuple[int, int]] = (), unlabelled: str = "outside"):
    """A training doc with ``spans`` as entities. Characters in ``unknown`` spans, and with
    ``unlabelled="missing"`` every character outside an entity, get no annotation at all
    (spaCy's missing IOB): the model is neither rewarded nor penalised there."""
    from spacy.util import filter_spans

    doc = nlp.make_doc(text)
    ents = []
    for s, e, lab in spans:
        sp = doc.char_span(s, e, label=lab, alignment_mode="strict")
        if sp is not None:
            ents.append(sp)
    kept = filter_spans(ents)
    taken = {i for sp in kept for i in range(sp.start, sp.end)}
    missing = [sp for s, e in unknown
               if (sp := doc.char_span(s, e, alignment_mode="expand")) is not None
               and not taken.intersection(range(sp.start, sp.end))]
    doc.set_ents(kept, missing=missing, default=unlabelled)
    return doc, len(ents) - len(kept)


def build_ner_data(cfg: dict[str, Any], nlp) -> tuple[list, list, dict]:
    rng = random.Random(cfg["seed"])
    train, dev = [], []
    stats: dict[str, Any] = {}
    for item in cfg["train"]:
        ds = item["dataset"]
        if not _used_for(item, "ner"):
            continue
        if ds == "silver":
            docs = silver_sample(item["path"], nlp, int(item.get("limit") or 0),
                                 f"{cfg['seed']}-silver-{Path(item['path']).name}")
            train.extend(docs)  # never in the dev set: its labels are another model's guesses
            stats[f"silver:{Path(item['path']).name}"] = {
                "path": item["path"], "sentences": len(docs), "dev_sentences": 0,
                "train_sentences": len(docs), "chars": sum(len(d.text) for d in docs),
                "train_entities": dict(Counter(ent.label_ for d in docs for ent in d.ents)),
                "missing_chars": sum(t.ent_iob == 0 for d in docs for t in d),
                "overlapping_dropped": 0}
            continue
        sents = list(corpora.load(ds, item["path"]))
        if item.get("limit"):
            sents = sents[:int(item["limit"])]
        idx = list(range(len(sents)))
        rng.shuffle(idx)
        n_dev = int(cfg["dev"].get(ds, 0))
        dev_idx = set(idx[:n_dev])
        counts: Counter = Counter()
        persons: set[str] = set()
        dropped = 0
        unlabelled = item.get("unlabelled", "outside")
        if unlabelled not in ("outside", "missing"):
            raise ValueError(f"{cfg['_config_path']}: train item {ds}: unlabelled must be "
                             f"'outside' or 'missing', not {unlabelled!r}")
        unknown_labels = set(item.get("missing_labels", ()))
        repeat = int(item.get("repeat", 1))
        if repeat < 1:
            raise ValueError(f"{cfg['_config_path']}: train item {ds}: repeat must be a whole "
                             f"number >= 1, not {item['repeat']!r}")
        predicted = (_predicted_spans(item["missing_predicted"], [s.text for s in sents])
                     if item.get("missing_predicted") else [[] for _ in sents])
        n_predicted_missing = 0
        for i, sent in enumerate(sents):
            spans = [(s, e, lab) for s, e, olab in sent.spans
                     if olab not in unknown_labels and (lab := _ner_label(ds, olab))]
            unknown = [(s, e) for s, e, olab in sent.spans if olab in unknown_labels]
            # another model's entities where this corpus has none: not taught as O
            extra = [(s, e) for s, e, _ in predicted[i]
                     if not any(s < ge and gs < e for gs, ge, _ in sent.spans)]
            n_predicted_missing += len(extra)
            unknown += extra
            doc, n_drop = _make_doc(nlp, sent.text, spans, unknown, unlabelled)
            dropped += n_drop
            if i in dev_idx:
                dev.append(doc)
            else:
                train.extend([doc] * repeat)
                counts.update(ent.label_ for ent in doc.ents)
                persons.update(ent.text for ent in doc.ents if ent.label_ == "PERSON")
        stats[ds] = {"path": item["path"], "sentences": len(sents), "dev_sentences": n_dev,
                     "train_sentences": len(sents) - n_dev,
                     "chars": sum(len(s.text) for s in sents),
                     "train_entities": dict(counts), "overlapping_dropped": dropped}
        if repeat > 1:
            stats[ds]["repeat"] = repeat
        if item.get("missing_predicted"):
            stats[ds]["missing_predicted"] = {"model": item["missing_predicted"],
                                              "spans": n_predicted_missing}
        if item.get("name_lists"):
            lists = name_lists(sorted(persons), int(item["name_lists"]),
                               f"{cfg['seed']}-{ds}-name-lists")
            train.extend(_make_doc(nlp, text, spans)[0] for text, spans in lists)
            stats[ds]["name_lists"] = {"sentences": len(lists), "names_drawn_from": len(persons),
                                       "persons": sum(len(sp) for _, sp in lists)}
    return train, dev, stats


def bio_tags(doc) -> None:
    """Write a training doc's entities as BIO tags into ``token.tag_`` (what a ``tagger``
    learns): ``B-X`` / ``I-X`` / ``O``, and no tag (missing: neither rewarded nor penalised)
    where the entity annotation is missing."""
    for tok in doc:
        tok.tag_ = ("" if tok.ent_iob == 0 else "O" if tok.ent_iob == 2
                    else f"{'B' if tok.ent_iob == 3 else 'I'}-{tok.ent_type_}")


def silver_sample(folder: str | Path, nlp, limit: int, seed: str) -> list:
    """The docs of a folder of ready ``DocBin`` shards (``*.spacy``, e.g. the silver labels
    of ``pipeline.training.silver``), all of them or a seeded random sample of ``limit``,
    in shard order. Their annotation is kept as it is, missing values included."""
    from spacy.tokens import DocBin

    shards = sorted(Path(folder).glob("*.spacy"))
    if not shards:
        raise FileNotFoundError(f"no DocBin shards (*.spacy) in {folder}")
    bins = [DocBin().from_disk(p) for p in shards]
    total = sum(len(b) for b in bins)
    keep = (set(random.Random(seed).sample(range(total), limit))
            if 0 < limit < total else set(range(total)))
    docs, n = [], 0
    for b in bins:
        for doc in b.get_docs(nlp.vocab):
            if n in keep:
                docs.append(doc)
            n += 1
    return docs


def _predicted_spans(model_dir: str, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """Entity spans a trained model (a ``train_ner`` output directory) finds in ``texts``, on
    thinc's own layers (the exact spans, as when the shipped models were trained: the ONNX
    int8 runtime changes 0.24 % of MSRA test spans, and training data must not depend on it)."""
    from pipeline.backends.spacy_ner import SpacyNerBackend

    return SpacyNerBackend(model_dir, runtime="thinc").tag(texts)


# frames and separators of the synthetic name lists (see name_lists)
_LIST_FRAMES = [("", ""), ("", "。"), ("出席会议的有", "。"), ("主席团成员：", ""),
                ("他们是", "。"), ("参加活动的还有", "等。"), ("", "等出席。"), ("名单：", "")]
_LIST_SEPARATORS = ["", "", "", "、", "、", "，"]


def name_lists(names: list[str], n: int, seed: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``n`` synthetic sentences listing 3-15 people from ``names`` (a training corpus's own
    PERSON mentions), as official news prints attendance and committee lists, often with no
    separator between the names ("宋平薄一波宋任穷") and some marked "（女）". Real training
    data has few such lists, and a model that never saw one merges neighbouring names."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pre, post = rng.choice(_LIST_FRAMES)
        sep = rng.choice(_LIST_SEPARATORS)
        text, spans = pre, []
        for j, name in enumerate(rng.sample(names, min(len(names), rng.randint(3, 15)))):
            if j:
                text += sep
            spans.append((len(text), len(text) + len(name), "PERSON"))
            text += name + ("（女）" if rng.random() < 0.08 else "")
        out.append((text + post, spans))
    return out


def build_orgtype_data(cfg: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict]:
    """(mention, label) pairs from every training corpus with fine org types
    (CLUENER company / government / organization)."""
    rng = random.Random(cfg["seed"] + 1)
    pairs: Counter = Counter()
    for item in cfg["train"]:
        ds = item["dataset"]
        if ds == "silver" or ds in corpora.COARSE_ORG or not _used_for(item, "orgtype"):
            continue
        for n, sent in enumerate(corpora.load(ds, item["path"])):
            if item.get("limit") and n >= int(item["limit"]):
                break
            for s, e, olab in sent.spans:
                lab = corpora.map_label(ds, olab)
                if lab in ORG_TYPES:
                    pairs[(sent.text[s:e], lab)] += 1
    items = sorted(pairs)
    rng.shuffle(items)
    n_dev = int(cfg["orgtype"].get("dev", 0))
    dev, train = items[:n_dev], items[n_dev:]
    stats = {"unique_mentions": len(items), "train": len(train), "dev": len(dev),
             "labels": dict(Counter(lab for _, lab in train))}
    return train, dev, stats


def _save_docbin(docs: Iterable, path: Path) -> None:
    from spacy.tokens import DocBin

    db = DocBin(store_user_data=False)
    for d in docs:
        db.add(d)
    db.to_disk(path)


# ---------------------------------------------------------------------------
# spaCy configs
# ---------------------------------------------------------------------------
def _paths_section(seed: int, train_path: Path, dev_path: Path) -> str:
    return f"""[paths]
train = "{train_path}"
dev = "{dev_path}"

[system]
seed = {seed}
gpu_allocator = null
"""


def _corpora_section() -> str:
    return "[corpora]\n" + "".join(f"""
[corpora.{part}]
@readers = "spacy.Corpus.v1"
path = ${{paths.{part}}}
max_length = 0
gold_preproc = false
limit = 0
""" for part in ("train", "dev"))


_INITIALIZE_SECTION = """[pretraining]

[initialize]
vectors = null
init_tok2vec = null
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
pkuseg_model = null
pkuseg_user_dict = "default"
"""


def _source_factory(src: Path) -> str:
    """The factory of the ``ner`` component of the spaCy pipeline ``src`` (``ner`` or ``tagger``)."""
    from spacy.util import load_config as spacy_load_config

    return spacy_load_config(src / "config.cfg")["components"]["ner"]["factory"]


def _tagger_component(src: Path, h: dict[str, Any]) -> str:
    """A new per-character tagger as the ``ner`` component (``head: tagger``): spaCy's
    ``tagger`` over BIO tags with the tok2vec of the source model (its network from the
    source's config; its weights copied in by ``zh_extract.copy_tok2vec.v1`` after
    initialisation) and a new output layer: a softmax (``spacy.Tagger.v2``), or with
    ``tagger_hidden_width`` a window of +-``tagger_window`` token vectors -> Maxout + LayerNorm
    -> softmax (``zh_extract.WindowTagger.v1``)."""
    from spacy.util import load_config as spacy_load_config

    t2v = spacy_load_config(src / "config.cfg")["components"]["ner"]["model"]["tok2vec"]
    embed, encode = t2v["embed"], t2v["encode"]
    model = ('@architectures = "spacy.Tagger.v2"\nnO = null\nnormalize = false'
             if not h.get("tagger_hidden_width") else
             f'@architectures = "zh_extract.WindowTagger.v1"\nnO = null\n'
             f'hidden_width = {int(h["tagger_hidden_width"])}\nwindow_size = {int(h.get("tagger_window", 1))}\n'
             f'maxout_pieces = {int(h.get("tagger_maxout_pieces", 2))}')
    return f"""[components.ner]
factory = "tagger"
overwrite = true
neg_prefix = "!"
label_smoothing = 0.0
scorer = {{"@scorers":"zh_extract.bio_ents_scorer.v1"}}

[components.ner.model]
{model}

[components.ner.model.tok2vec]
@architectures = "{t2v["@architectures"]}"

[components.ner.model.tok2vec.embed]
@architectures = "{embed["@architectures"]}"
width = {int(embed["width"])}
attrs = {json.dumps(list(embed["attrs"]))}
rows = {json.dumps([int(r) for r in embed["rows"]])}
include_static_vectors = false

[components.ner.model.tok2vec.encode]
@architectures = "{encode["@architectures"]}"
width = {int(encode["width"])}
depth = {int(encode["depth"])}
window_size = {int(encode["window_size"])}
maxout_pieces = {int(encode["maxout_pieces"])}
"""


def _ner_component(h: dict[str, Any]) -> str:
    """The ``[components.ner]`` sections: a new model, or (``source``) one copied from an
    earlier model directory to train further; with ``head: tagger`` and a source whose ``ner``
    is the transition-based parser, a new tagger on the source's tok2vec."""
    if h.get("source"):  # the features too, so they are the ones the model learnt with
        src = Path(h["source"]) / "ner"
        features = f'[components.zh_char_features]\nsource = "{src}"\n\n'
        if h.get("head") == "tagger" and _source_factory(src) != "tagger":
            return features + _tagger_component(src, h)
        return features + f'[components.ner]\nsource = "{src}"\n'
    if h.get("head") == "tagger":
        raise ValueError("head: tagger needs a source model (ner.source) to take the tok2vec from")
    attrs = json.dumps(list(h["attrs"]))
    rows = json.dumps([int(r) for r in h["rows"]])
    return f"""[components.zh_char_features]
factory = "zh_char_features"
words = {"true" if h.get("words") else "false"}

[components.ner]
factory = "ner"
moves = null
update_with_oracle_cut_size = 100
incorrect_spans_key = null
scorer = {{"@scorers":"spacy.ner_scorer.v1"}}

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = {int(h["hidden_width"])}
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[components.ner.model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = {int(h["width"])}
attrs = {attrs}
rows = {rows}
include_static_vectors = false

[components.ner.model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {int(h["width"])}
depth = {int(h["depth"])}
window_size = {int(h["window_size"])}
maxout_pieces = {int(h["maxout_pieces"])}
"""


def _learn_rate(h: dict[str, Any]) -> str:
    """Constant, or with ``decay_steps`` a linear warm-up (``warmup_steps``) then a linear
    decline to zero at ``decay_steps``."""
    if not h.get("decay_steps"):
        return f"learn_rate = {float(h['learn_rate'])}\n"
    return f"""
[training.optimizer.learn_rate]
@schedules = "warmup_linear.v1"
initial_rate = {float(h["learn_rate"])}
warmup_steps = {int(h.get("warmup_steps") or 0)}
total_steps = {int(h["decay_steps"])}
"""


def ner_spacy_config(h: dict[str, Any], seed: int, train_path: Path, dev_path: Path) -> str:
    return f"""
{_paths_section(seed, train_path, dev_path)}

[nlp]
lang = "zh"
pipeline = ["zh_char_features","ner"]
batch_size = 256

[nlp.tokenizer]
@tokenizers = "spacy.zh.ChineseTokenizer"
segmenter = "char"

[components]

{_ner_component(h)}
{_corpora_section()}

[training]
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = {float(h["dropout"])}
accumulate_gradient = 1
patience = {int(h["patience"])}
max_epochs = {int(h["max_epochs"])}
max_steps = {int(h["max_steps"])}
eval_frequency = {int(h["eval_frequency"])}
frozen_components = []
annotating_components = ["zh_char_features"]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
before_to_disk = null
before_update = {{"@callbacks":"zh_extract.time_limit.v1","max_minutes":{float(h.get("max_minutes") or 0)}}}

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = {int(h["batch_start"])}
stop = {int(h["batch_stop"])}
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
{_learn_rate(h)}
[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

{_initialize_section(h)}"""


def _initialize_section(h: dict[str, Any]) -> str:
    """spaCy's ``[initialize]``; for a new tagger on a source model's tok2vec also the BIO
    labels and the callback that copies the source's tok2vec weights in."""
    src = Path(h["source"]) / "ner" if h.get("source") else None
    if not (h.get("head") == "tagger" and src is not None and _source_factory(src) != "tagger"):
        return _INITIALIZE_SECTION
    labels = json.dumps(["O", *[f"{p}-{t}" for t in NER_LABELS for p in "BI"]])
    return (_INITIALIZE_SECTION.replace("after_init = null\n", "")
            + f"""
[initialize.components.ner]
labels = {labels}

[initialize.after_init]
@callbacks = "zh_extract.copy_tok2vec.v1"
source = "{src}"
""")


def orgtype_spacy_config(h: dict[str, Any], seed: int, train_path: Path, dev_path: Path) -> str:
    return f"""
{_paths_section(seed, train_path, dev_path)}

[nlp]
lang = "zh"
pipeline = ["textcat"]
batch_size = 1000

[nlp.tokenizer]
@tokenizers = "spacy.zh.ChineseTokenizer"
segmenter = "char"

[components]

[components.textcat]
factory = "textcat"
threshold = 0.0
scorer = {{"@scorers":"spacy.textcat_scorer.v2"}}

[components.textcat.model]
@architectures = "spacy.TextCatBOW.v3"
exclusive_classes = true
ngram_size = {int(h["ngram_size"])}
no_output_layer = false
length = 262144
nO = null

{_corpora_section()}

[training]
seed = ${{system.seed}}
gpu_allocator = null
dropout = {float(h["dropout"])}
accumulate_gradient = 1
patience = {int(h["patience"])}
max_epochs = {int(h["max_epochs"])}
max_steps = 0
eval_frequency = {int(h["eval_frequency"])}
frozen_components = []
annotating_components = []
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
before_to_disk = null
before_update = null

[training.batcher]
@batchers = "spacy.batch_by_sequence.v1"
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 16
stop = 128
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = false
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]
cats_score = 1.0

{_INITIALIZE_SECTION}"""


class _TimeUp(Exception):
    pass


def _register_callbacks() -> None:
    from spacy.util import registry

    if "zh_extract.time_limit.v1" in registry.callbacks.get_all():
        return

    @registry.callbacks("zh_extract.time_limit.v1")
    def time_limit(max_minutes: float = 0.0):
        start = time.monotonic()

        def before_update(nlp, info):
            if max_minutes and time.monotonic() - start > max_minutes * 60:
                raise _TimeUp(f"time limit of {max_minutes} min reached at step {info['step']}")

        return before_update

    @registry.callbacks("zh_extract.copy_tok2vec.v1")
    def copy_tok2vec(source: str):
        """After initialisation: the tok2vec weights of the ``ner`` (transition-based parser) of
        the spaCy pipeline ``source`` into this pipeline's ``ner`` (a tagger on the same network)."""

        def after_init(nlp):
            import spacy

            src = spacy.load(source).get_pipe("ner").model.get_ref("tok2vec")
            if [ly.name for ly in src.layers[1:]] != ["list2array", "linear"]:
                raise ValueError(f"{source}: the ner model's tok2vec is not tok2vec >> list2array >> linear")
            nlp.get_pipe("ner").model.get_ref("tok2vec").from_bytes(src.layers[0].to_bytes())
            print(f"[train_ner] tok2vec weights copied from {source}", flush=True)
            return nlp

        return after_init


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------
def _spacy_train(cfg_text: str, work: Path, out: Path, log_name: str,
                 dev_path: Path | None = None, score_key: str = "") -> tuple[Path, str]:
    """Run spaCy's own training; return the best model directory."""
    from spacy.cli.train import train as spacy_train

    cfg_path = work / f"{log_name}.cfg"
    cfg_path.write_text(cfg_text, encoding="utf-8")
    stopped = ""
    try:
        spacy_train(cfg_path, out, use_gpu=-1)
    except _TimeUp as exc:  # model-best is already on disk
        stopped = str(exc)
        print(f"[train_ner] {stopped}", flush=True)
    best = out / "model-best"
    if not (best / "config.cfg").exists():
        best = out / "model-last"
    elif stopped and dev_path is not None and score_key:
        # the time limit usually hits between two evaluations: model-last then
        # holds more training than model-best, so compare them on dev
        best = _pick_better(out, dev_path, score_key)
    return best, stopped


def _dev_scores(model_dir: Path, dev_path: Path) -> dict[str, Any]:
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    import pipeline.backends.spacy_ner  # noqa: F401  registers zh_char_features

    nlp = spacy.load(model_dir)
    docs = list(DocBin().from_disk(dev_path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(d.text), d) for d in docs]
    return nlp.evaluate(examples)


def _pick_better(out: Path, dev_path: Path, score_key: str) -> Path:
    last, best = out / "model-last", out / "model-best"
    scores_last = _dev_scores(last, dev_path)
    s_last = float(scores_last.get(score_key) or 0.0)
    s_best = float(_read_meta(best).get("performance", {}).get(score_key) or 0.0)
    print(f"[train_ner] dev {score_key}: model-best {s_best:.4f}, model-last {s_last:.4f}", flush=True)
    if s_last > s_best:
        _update_meta(last, performance={
            **_read_meta(last).get("performance", {}),
            **{k: v for k, v in scores_last.items()
               if isinstance(v, float) and k.startswith(score_key.split("_")[0])}})
        return last
    return best


def _record(model_dir: str) -> dict[str, Any]:
    """What a model directory was made from and how (its ``scores.json``), recursively."""
    path = Path(model_dir) / "scores.json"
    if not path.exists():
        return {"model": model_dir}
    prev = json.loads(path.read_text(encoding="utf-8"))
    return {"model": model_dir, **{k: prev.get(k) for k in
            ("config", "settings", "data", "training_minutes", "stopped_early", "ner_dev",
             "continued_from", "averaged_from")}}


def _lineage(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """For a model trained further from ``ner.source``: that source model's record, for the
    model card."""
    src = cfg["ner"].get("source")
    return _record(src) if src else None


def _config_rel(cfg: dict[str, Any]) -> str:
    """The training config's path relative to the project root (configs/ lives there)."""
    return os.path.relpath(cfg["_config_path"], Path(cfg["_config_path"]).parent.parent)


def _earlier_stages(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """Every model this one was made from (``continued_from`` / ``averaged_from``, see
    ``_record``), each once, a model after the ones it was made from."""
    stages: list[dict[str, Any]] = []

    def visit(rec: dict[str, Any]) -> None:
        parents = [rec["continued_from"]] if rec.get("continued_from") else []
        for parent in parents + list(rec.get("averaged_from") or []):
            if all(st["model"] != parent["model"] for st in stages):
                visit(parent)
                stages.append(parent)

    visit(scores)
    return stages


def _reproduce_earlier_stages(scores: dict[str, Any], root: Path) -> list[str]:
    """Commands for the stages before this one (each writes a model that a later stage
    trains further from or averages)."""
    cmds = [f"OMP_NUM_THREADS=1 python -m pipeline.training.ner "
            f"{st.get('config') or '<its config>'} {os.path.relpath(st['model'], root)}"
            for st in _earlier_stages(scores)]
    return [f"# stage {i}\n{c}" for i, c in enumerate(cmds, 1)] + (
        [f"# stage {len(cmds) + 1}"] if cmds else [])


def _copy_over(src: Path, dst: Path) -> None:
    """Copy the directory ``src`` to ``dst``, replacing what was there."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def train_ner(config_path: str | Path, output_dir: str | Path) -> dict[str, Any]:
    """Train NER + org-type classifier from a YAML config into ``output_dir``
    (``ner/``, ``orgtype/``, ``scores.json``, ``MODEL_CARD.md``); returns the scores."""
    import spacy
    from spacy.tokens import DocBin  # noqa: F401  (import check)

    import pipeline.backends.spacy_ner  # noqa: F401  registers zh_char_features

    _register_callbacks()
    cfg = load_config(config_path)
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    if cfg["ner"].get("average"):
        return average_ner(cfg, output_dir)
    seed = int(cfg["seed"])
    random.seed(seed)
    t_all = time.time()

    with tempfile.TemporaryDirectory(prefix="zh-ner-") as tmp:
        work = Path(tmp)
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
        # ---- NER ----------------------------------------------------------
        train_docs, dev_docs, data_stats = build_ner_data(cfg, nlp)
        rnd = random.Random(seed)
        rnd.shuffle(train_docs)
        if cfg["ner"].get("head") == "tagger":  # the tagger learns the entities as BIO tags
            for doc in (*train_docs, *dev_docs):
                bio_tags(doc)
        _save_docbin(train_docs, work / "ner-train.spacy")
        _save_docbin(dev_docs, work / "ner-dev.spacy")
        print(f"[train_ner] NER data: {len(train_docs)} train / {len(dev_docs)} dev docs", flush=True)
        del train_docs, dev_docs
        t0 = time.time()
        best, stopped = _spacy_train(
            ner_spacy_config(cfg["ner"], seed, work / "ner-train.spacy", work / "ner-dev.spacy"),
            work, work / "ner-out", "ner", work / "ner-dev.spacy", "ents_f")
        ner_minutes = (time.time() - t0) / 60
        ner_meta = _read_meta(best)
        _copy_over(best, output_dir / "ner")

        # ---- org type classifier -----------------------------------------
        org_train, org_dev, org_stats = build_orgtype_data(cfg)
        for name, pairs in (("org-train", org_train), ("org-dev", org_dev)):
            docs = []
            for text, lab in pairs:
                d = nlp.make_doc(text)
                d.cats = {c: float(c == lab) for c in ORG_TYPES}
                docs.append(d)
            _save_docbin(docs, work / f"{name}.spacy")
        t0 = time.time()
        obest, _ = _spacy_train(
            orgtype_spacy_config(cfg["orgtype"], seed, work / "org-train.spacy", work / "org-dev.spacy"),
            work, work / "org-out", "orgtype")
        org_minutes = (time.time() - t0) / 60
        org_meta = _read_meta(obest)
        _copy_over(obest, output_dir / "orgtype")

    for sub in ("ner", "orgtype"):
        _tidy_meta(output_dir / sub, sub)
    prune_strings(output_dir / "ner")

    # ---- measurement -------------------------------------------------------
    from pipeline.backends.spacy_ner import SpacyNerBackend

    evaluation = _measure(SpacyNerBackend(output_dir), cfg, "train_ner")
    scores = {
        "config": _config_rel(cfg),
        "evaluation": evaluation,
        "ner_dev": ner_meta.get("performance", {}),
        "orgtype_dev": org_meta.get("performance", {}),
        "data": data_stats,
        "orgtype_data": org_stats,
        "settings": {"seed": seed, "ner": cfg["ner"], "orgtype": cfg["orgtype"],
                     "dev": cfg["dev"], "train": cfg["train"]},
        "training_minutes": {"ner": round(ner_minutes, 1), "orgtype": round(org_minutes, 1),
                             "total": round((time.time() - t_all) / 60, 1)},
        "stopped_early": stopped,
        "spacy_version": spacy.__version__,
    }
    _save_scores(output_dir, scores, cfg)
    return scores


def average_weights(models: list[str | Path], weights: list[float], output_dir: Path) -> None:
    """Write to ``output_dir/ner`` the NER whose weights are the weighted mean of the given
    models' (a "model soup"). It makes sense for models trained further from one common
    model; the networks and labels must be identical."""
    import spacy

    import pipeline.backends.spacy_ner  # noqa: F401  registers zh_char_features

    nlps = [spacy.load(Path(m) / "ner") for m in models]
    pipes = [nlp.get_pipe("ner") for nlp in nlps]
    for m, pipe in zip(models[1:], pipes[1:]):
        if (pipe.move_names != pipes[0].move_names
                or _architecture(Path(m) / "ner") != _architecture(Path(models[0]) / "ner")):
            raise ValueError(f"cannot average {m} with {models[0]}: different network or labels")
    total = float(sum(weights))
    for nodes in zip(*(pipe.model.walk() for pipe in pipes)):
        for name in nodes[0].param_names:
            if all(node.has_param(name) for node in nodes):
                nodes[0].set_param(name, sum(w / total * node.get_param(name)
                                             for node, w in zip(nodes, weights)))
    if (output_dir / "ner").exists():
        shutil.rmtree(output_dir / "ner")
    nlps[0].to_disk(output_dir / "ner")


def average_ner(cfg: dict[str, Any], output_dir: Path) -> dict[str, Any]:
    """The ``ner.average`` kind of stage: average the NER weights of already trained models
    (``ner.weights``, equal by default), take the org-type classifier of the first, score
    the result and each model on the held-out dev sentences of the ``train`` corpora and
    measure it on the ``eval`` sets; writes the same files as ``train_ner``."""
    import spacy

    from pipeline.backends.spacy_ner import SpacyNerBackend

    t_all = time.time()
    models = cfg["ner"]["average"]
    weights = cfg["ner"].get("weights") or [1.0] * len(models)
    if len(models) < 2 or len(weights) != len(models) or min(weights) <= 0:
        raise ValueError(f"{cfg['_config_path']}: ner.average needs two or more models and "
                         "ner.weights (if given) one positive weight per model")
    for m in models:
        if not (Path(m) / "ner" / "config.cfg").exists():
            raise FileNotFoundError(f"{cfg['_config_path']}: ner.average: no trained model in {m}")
    average_weights(models, weights, output_dir)
    _copy_over(Path(models[0]) / "orgtype", output_dir / "orgtype")
    with tempfile.TemporaryDirectory(prefix="zh-ner-") as tmp:
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
        _, dev_docs, data_stats = build_ner_data(cfg, nlp)
        dev_path = Path(tmp) / "ner-dev.spacy"
        _save_docbin(dev_docs, dev_path)
        ner_dev = _dev_scores(output_dir / "ner", dev_path)
        parts_dev = {m: round(float(_dev_scores(Path(m) / "ner", dev_path)["ents_f"]), 4)
                     for m in models}
    print(f"[train_ner] dev ents_f: average {ner_dev['ents_f']:.4f}, models {parts_dev}", flush=True)
    ner_dev = {k: v for k, v in ner_dev.items() if k.startswith("ents_")}
    _update_meta(output_dir / "ner", performance=ner_dev)  # was the first model's
    prune_strings(output_dir / "ner")
    first = json.loads((Path(models[0]) / "scores.json").read_text(encoding="utf-8"))
    scores = {
        "config": _config_rel(cfg),
        "evaluation": _measure(SpacyNerBackend(output_dir), cfg, "train_ner"),
        "ner_dev": ner_dev,
        "averaged_dev_ents_f": parts_dev,
        "orgtype_dev": first.get("orgtype_dev", {}),
        "data": data_stats,
        "orgtype_data": first.get("orgtype_data", {}),
        "settings": {"seed": cfg["seed"], "ner": cfg["ner"], "orgtype": first["settings"]["orgtype"],
                     "dev": cfg["dev"], "train": cfg["train"]},
        "training_minutes": {"ner": 0.0, "orgtype": 0.0,
                             "total": round((time.time() - t_all) / 60, 1)},
        "stopped_early": "",
        "spacy_version": spacy.__version__,
        "averaged_from": [_record(m) for m in models],
    }
    _save_scores(output_dir, scores, cfg)
    return scores


def _measure(backend, cfg: dict[str, Any], tag: str) -> dict[str, Any]:
    """Score ``backend`` on every ``eval`` set of the training config."""
    evaluation = {}
    for item in cfg["eval"]:
        key = f"{item['dataset']}:{Path(item['path']).name}"
        evaluation[key] = evaluate_backend_on(backend, item["dataset"], item["path"],
                                              limit=int(item.get("limit") or 0))
        print(f"[{tag}] {key}: {json.dumps(evaluation[key]['micro'])}", flush=True)
    return evaluation


def _save_scores(output_dir: Path, scores: dict[str, Any], cfg: dict[str, Any]) -> None:
    """Add the lineage and size, write ``scores.json`` and the model card."""
    scores["continued_from"] = _lineage(cfg)
    scores["size_bytes"] = _dir_size(output_dir / "ner") + _dir_size(output_dir / "orgtype")
    (output_dir / "scores.json").write_text(json.dumps(scores, indent=2, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    write_model_card(output_dir, scores, cfg)


def rescore(config_path: str | Path, output_dir: str | Path, notes: str = "") -> dict[str, Any]:
    """Re-measure an already trained model directory (e.g. after swapping in
    another checkpoint): updates ``scores.json`` and ``MODEL_CARD.md``."""
    import pipeline.backends.spacy_ner as sn

    cfg = load_config(config_path)
    output_dir = Path(output_dir).resolve()
    scores = json.loads((output_dir / "scores.json").read_text(encoding="utf-8"))
    scores["ner_dev"] = _read_meta(output_dir / "ner").get("performance", {})
    if notes:
        scores["notes"] = notes
    scores["evaluation"].update(_measure(sn.SpacyNerBackend(output_dir), cfg, "rescore"))
    _save_scores(output_dir, scores, cfg)
    return scores


def prune_strings(model_dir: str | Path) -> int:
    """Drop character-bigram feature strings (``a|b``) from a pipeline's
    ``vocab/strings.json``: features are looked up by hash, the strings are
    never needed and were the bulk of the file.  Returns strings kept."""
    path = Path(model_dir) / "vocab" / "strings.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    kept = [x for x in strings if "|" not in x or len(x) > 12]
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    return len(kept)


def _read_meta(model_dir: Path) -> dict[str, Any]:
    """A spaCy pipeline directory's ``meta.json``."""
    return json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))


def _update_meta(model_dir: Path, **fields: Any) -> None:
    """Set top-level ``fields`` in a spaCy pipeline directory's ``meta.json``."""
    meta = {**_read_meta(model_dir), **fields}
    (model_dir / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")


def _tidy_meta(path: Path, sub: str) -> None:
    _update_meta(path, name=f"ner_zh_{sub}", version="0.1.0",
                 description=("zh-extract character-level NER" if sub == "ner"
                              else "zh-extract organisation type classifier (COMPANY/GOV/ORG)"),
                 license="research use (trained on MSRA / CLUENER2020, see MODEL_CARD.md)",
                 author="zh-extract")


# ---------------------------------------------------------------------------
# measurement
# ---------------------------------------------------------------------------
def evaluate_backend_on(backend, dataset: str, path: str | Path, batch: int = 256,
                        limit: int = 0) -> dict[str, Any]:
    """Strict span P/R/F1 of ``backend.tag`` on a corpus, scored as ``extract eval-ner``
    scores it (:func:`pipeline.evaluation.ner.evaluate_tagger`), in the form ``scores.json``
    keeps: for corpora with a coarse ORG (MSRA, PD1998, ...) COMPANY/GOV/ORG predictions
    all count as ORG; CLUENER's five types are scored as they are, plus ``org_any``
    (organisation spans regardless of type)."""
    from pipeline.evaluation.ner import evaluate_tagger

    report = evaluate_tagger(dataset, path, backend, limit=limit or None, batch_size=batch)
    out = {"dataset": dataset, "sentences": report.sentences, "chars": report.characters,
           "micro": report.micro.as_dict(),
           "per_type": {k: v.as_dict() for k, v in sorted(report.per_type.items())},
           "seconds": round(report.seconds, 2),
           "chars_per_second": round(report.chars_per_second) if report.seconds else None}
    if report.fine:
        out["org_any"] = report.coarse_per_type["ORG"].as_dict()
    return out


# ---------------------------------------------------------------------------
# model card
# ---------------------------------------------------------------------------
def _table(ev: dict[str, Any], labels: list[str]) -> str:
    rows = ["| type | P | R | F1 | gold | predicted |", "|---|---|---|---|---|---|"]
    for lab in labels:
        d = ev["per_type"].get(lab) if lab != "ORG (any type)" else ev.get("org_any")
        if d is None:
            continue
        rows.append(f"| {lab} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | "
                    f"{d['tp'] + d['fn']} | {d['tp'] + d['fp']} |")
    m = ev["micro"]
    rows.append(f"| **micro** | {m['precision']:.3f} | {m['recall']:.3f} | **{m['f1']:.3f}** | "
                f"{m['tp'] + m['fn']} | {m['tp'] + m['fp']} |")
    return "\n".join(rows)


def _architecture(ner_dir: Path) -> dict[str, Any]:
    """The NER network as saved in the model's own ``config.cfg`` (a model trained further
    from another keeps that one's network, whatever the training config says)."""
    from spacy.util import load_config as spacy_load_config

    c = spacy_load_config(ner_dir / "config.cfg")["components"]
    model = c["ner"]["model"]
    embed, encode = model["tok2vec"]["embed"], model["tok2vec"]["encode"]
    return {"attrs": list(embed["attrs"]), "rows": list(embed["rows"]), "width": embed["width"],
            "depth": encode["depth"], "window_size": encode["window_size"],
            "maxout_pieces": encode["maxout_pieces"], "head": c["ner"]["factory"],
            "head_architecture": model["@architectures"], "hidden_width": model.get("hidden_width"),
            "words": bool(c.get("zh_char_features", {}).get("words"))}


def _annotation_notes(train: list[dict[str, Any]]) -> list[str]:
    notes = []
    for item in train:
        parts = []
        if item.get("missing_labels"):
            parts.append(f"its {', '.join(item['missing_labels'])} spans are left unannotated "
                         "(spaCy's missing value: neither entity nor O)")
        if item.get("unlabelled") == "missing":
            parts.append("characters outside its entities are unannotated too, not O, so the "
                         "corpus teaches what its entities are but never that something is not one")
        if item["dataset"] == "silver":
            parts.append(f"{item.get('limit') or 'all'} sentences drawn at random from the "
                         f"DocBins in `{Path(item['path']).name}` (silver labels of "
                         "`pipeline.training.silver`, their missing values kept), none held out "
                         "as dev")
        if item.get("missing_predicted"):
            parts.append(f"entities that the model `{Path(item['missing_predicted']).name}` finds "
                         "where the corpus marks none are unannotated, not O (the corpus's own "
                         "conventions are not taught against the other corpora's)")
        if parts:
            notes.append(f"{item['dataset']}: " + "; ".join(parts) + ".")
    return [" ".join(notes)] if notes else []


def _stage_line(rec: dict[str, Any], numbers: dict[str, int]) -> str:
    """One training stage, from its scores (``rec``: a ``_record`` or this model's scores)."""
    settings, h = rec["settings"], rec["settings"]["ner"]
    if h.get("average"):
        weights = h.get("weights") or [1] * len(h["average"])
        return ("average of the NER weights of "
                + ", ".join(f"stage {numbers.get(m, '?')} (weight {w})"
                            for m, w in zip(h["average"], weights))
                + f"; org-type classifier from stage {numbers.get(h['average'][0], '?')}")
    lr = (f"lr {h['learn_rate']} warm-up {h.get('warmup_steps') or 0} steps then linear decay to 0 "
          f"at step {h['decay_steps']}" if h.get("decay_steps") else f"constant lr {h['learn_rate']}")
    corp = ", ".join(f"{ds} {st['train_sentences']} sentences" for ds, st in (rec["data"] or {}).items())
    parent = (rec.get("continued_from") or {}).get("model")
    start = f"continued from stage {numbers.get(parent, '?')}: " if parent else "from scratch: "
    stopped = rec.get("stopped_early") or ""
    return (f"{start}{corp}; Adam {lr}, dropout {h['dropout']}, batch by words {h['batch_start']}->"
            f"{h['batch_stop']}, max epochs {h['max_epochs']}, eval every {h['eval_frequency']} "
            f"steps, patience {h['patience']}, "
            + (f"time limit {h['max_minutes']} min" if h.get("max_minutes") else "no time limit")
            + f", seed {settings['seed']}; NER {rec['training_minutes']['ner']} min"
            + (f" ({stopped})" if stopped else ""))


def _training_lines(scores: dict[str, Any]) -> list[str]:
    """One line per training stage, oldest first."""
    # a source model without scores.json (only ever the oldest) has nothing to show
    stages = [st for st in _earlier_stages(scores) if st.get("settings")]
    numbers = {st["model"]: i for i, st in enumerate(stages, 1)}
    lines = [f"* Training: spaCy {scores['spacy_version']} `spacy.cli.train.train`, one CPU thread"
             + (f", in {len(stages) + 1} stages:" if stages else ":")]
    for i, st in enumerate(stages, 1):
        lines.append(f"  {i}. `{Path(st['model']).name}`, " + _stage_line(st, numbers))
    lines.append(f"  {len(stages) + 1}. " + ("this model, " if stages else "")
                 + _stage_line(scores, numbers))
    for i, st in enumerate(stages, 1):
        notes = _annotation_notes(st["settings"].get("train") or [])
        if notes:
            lines.append(f"* Stage {i} annotation: {notes[0]}")
    minutes = scores["training_minutes"]
    lines.append(f"* {'Last stage' if stages else 'Total'} incl. data prep, org type "
                 f"({minutes['orgtype']} min) and evaluation: {minutes['total']} min "
                 "(2 shared CPU cores).")
    return lines


def write_model_card(output_dir: Path, scores: dict[str, Any], cfg: dict[str, Any]) -> None:
    o = scores["settings"]["orgtype"]
    arch = _architecture(output_dir / "ner")
    lines = [
        "# ner-zh: zh-extract character-level NER + organisation-type classifier",
        "",
        "Backend `spacy` (`pipeline.backends.spacy_ner.SpacyNerBackend`). Labels: PERSON, PLACE, "
        "COMPANY, GOV, ORG. Two spaCy pipelines:",
        "",
        "* `ner/` -- spaCy `zh` with `segmenter: char` (one token per character), a "
        "`zh_char_features` component (normalised character -> `LEMMA`, normalised right "
        "character bigram -> `NORM`; NFKC, lower case, digits -> 0"
        + ("; with `words = true` also the jieba word around the character with the character's "
           "position in it B/M/E/S -> `TAG` and the position + the word's part of speech in jieba's "
           "own dictionary (`oov` for words its HMM found) -> `DEP`, from a private jieba "
           "tokenizer that user dictionaries do not change" if arch["words"] else "")
        + (f") and a `ner` component that is a spaCy `tagger` (`{arch['head_architecture']}`) over the BIO "
           "tags of PERSON / PLACE / ORG for every character (decoded by the backend under the BIO constraint)."
           if arch["head"] == "tagger" else ") and a transition-based `ner` predicting PERSON / PLACE / ORG."),
        "* `orgtype/` -- spaCy `textcat` (bag of character n-grams) that labels the text of "
        "every ORG mention COMPANY, GOV or ORG.",
        "",
        "Loading needs `import pipeline.backends.spacy_ner` (it registers the `zh_char_features` "
        "factory); the backend does this itself.",
        "",
        "## Training data",
        "",
        "| corpus | file | sentences | held out as dev (early stopping) | train entities |",
        "|---|---|---|---|---|",
    ]
    for ds, st in scores["data"].items():
        ents = ", ".join(f"{k} {v}" for k, v in sorted(st["train_entities"].items()))
        lines.append(f"| {ds} | {Path(st['path']).name} | {st['sentences']} | {st['dev_sentences']} | {ents} |")
    od = scores["orgtype_data"]
    lines += [
        "",
        "Label mapping: MSRA PER/LOC/ORG -> PERSON/PLACE/ORG; CLUENER name -> PERSON, address -> "
        "PLACE, company/government/organization -> ORG (other CLUENER types are not entities). "
        "Overlapping gold spans are resolved with `spacy.util.filter_spans` (longest first).",
        *_annotation_notes(scores["settings"].get("train") or cfg["train"]),
        *[f"{ds}: plus {st['name_lists']['sentences']} synthetic name lists (`name_lists`, see "
          f"`pipeline.training.ner.name_lists`) with {st['name_lists']['persons']} PERSON mentions "
          f"drawn from the {st['name_lists']['names_drawn_from']} distinct PERSON names of its "
          "train part (none from its dev part)."
          for ds, st in scores["data"].items() if st.get("name_lists")],
        "",
        f"Org-type classifier: unique (mention, type) pairs from CLUENER train company/government/"
        f"organization mentions: {od['unique_mentions']} ({od['train']} train, {od['dev']} dev); "
        f"train labels {od['labels']} (COMPANY = company, GOV = government, ORG = organization).",
        "",
        "MSRA test and CLUENER dev were not used for training or checkpoint selection "
        "(any choice between whole models is stated in the note below).",
        "",
        "## Settings",
        "",
        f"* NER tok2vec: `MultiHashEmbed` attrs {arch['attrs']} rows {arch['rows']}, width "
        f"{arch['width']}; `MaxoutWindowEncoder` depth {arch['depth']}, window {arch['window_size']}, "
        f"maxout pieces {arch['maxout_pieces']}; "
        + (f"parser hidden width {arch['hidden_width']}." if arch["head"] == "ner" else
           f"tagger head `{arch['head_architecture']}`"
           + (f", hidden width {arch['hidden_width']}." if arch["hidden_width"] else ".")),
        *_training_lines(scores),
        f"* Org type: `TextCatBOW.v3` n-grams 1..{o['ngram_size']}, exclusive classes, dropout "
        f"{o['dropout']}, max epochs {o['max_epochs']}.",
        *([f"* Internal dev ents_f of the averaged models (same dev sentences): "
           + ", ".join(f"`{Path(m).name}` {v}" for m, v in scores["averaged_dev_ents_f"].items())]
          if scores.get("averaged_dev_ents_f") else []),
        f"* Internal dev scores{' (last stage)' if _earlier_stages(scores) else ''}: NER {json.dumps({k: round(v, 4) for k, v in scores['ner_dev'].items() if isinstance(v, float)})}; "
        f"org type {json.dumps({k: round(v, 4) for k, v in scores['orgtype_dev'].items() if isinstance(v, float)})}.",
        "",
        *([f"* Note: {scores['notes']}"] if scores.get("notes") else []),
        "",
        "## Scores (strict spans: exact start, end and type)",
        "",
    ]
    for key, ev in scores["evaluation"].items():
        ds = ev["dataset"]
        if ds in corpora.COARSE_ORG:
            labels = ["PERSON", "PLACE", "ORG"]
            note = "COMPANY/GOV/ORG predictions all count as ORG."
        else:
            labels = ["PERSON", "PLACE", "COMPANY", "GOV", "ORG", "ORG (any type)"]
            note = ("Micro over PERSON/PLACE/COMPANY/GOV/ORG with the fine org type; "
                    "`ORG (any type)` scores organisation spans ignoring the type.")
        lines += [f"### {key} ({ev['sentences']} sentences, {ev['chars']} chars)", "", note, "",
                  _table(ev, labels), "",
                  f"Throughput of `SpacyNerBackend.tag` (one thread, batches of 256 texts): "
                  f"{ev['chars_per_second']} chars/s.", ""]
    size_mb = scores["size_bytes"] / 1e6
    rel = _config_rel(cfg)
    lines += [
        "## Size",
        "",
        f"{size_mb:.1f} MB on disk (`ner/` + `orgtype/`).",
        "",
        "## Reproduce",
        "",
        "```",
        *_reproduce_earlier_stages(scores, Path(cfg["_config_path"]).parent.parent),
        f"OMP_NUM_THREADS=1 python -m pipeline.training.ner {rel} pipeline/resources/models/ner-zh",
        f"# or: extract train ner --config {rel} --output pipeline/resources/models/ner-zh",
        "```",
        "",
        "Corpora: /work/shared/datasets/{msra,cluener} (see their SOURCE.md; research use). "
        "No corpus text is stored in this directory.",
        "",
    ]
    (output_dir / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m pipeline.training.ner CONFIG.yaml OUTPUT_DIR", file=sys.stderr)
        return 2
    scores = train_ner(argv[0], argv[1])
    print(json.dumps({k: v["micro"] for k, v in scores["evaluation"].items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
