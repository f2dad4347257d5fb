"""Build a benchmark corpus of a given size: article-like newspaper pages in txt files.

    .venv/bin/python benchmarks/make_corpus.py --size 5MB [--out /tmp/zh-extract-bench/corpus-5MB] [--seed 0]

The corpus is made of

* copies of the sample page ``data/raw/000_5072bf7ae566881d.txt`` (about 1 file in 8), and
* synthetic pages: sentences of the public corpora (MSRA train/test, PD1998
  dev/test, CLUENER dev/train, read with :mod:`pipeline.evaluation.corpora`) glued into
  paragraphs, under ``#`` headings, ``□本报记者 …`` bylines (names taken from
  the corpora's gold PERSON spans) and occasional ``本报4月28日讯`` datelines, so
  that the layout stage takes its newspaper path as on real pages.

Each file is 5-20 KB of UTF-8 (drawn uniformly); files are added until the total
reaches ``--size`` (``KB``/``MB``/``GB`` are powers of 1000, ``KiB``/``MiB``/``GiB``
powers of 1024).  The output is a pure function of ``--size``, ``--seed`` and the
input files: the same command gives byte-identical files.

The corpus text comes from the public datasets: never write it into the
repository (the default output folder is under /tmp).  ``manifest.json`` in the
output folder records the parameters, file count, bytes and characters.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.evaluation.corpora import load  # noqa: E402

SAMPLE = ROOT / "data" / "raw" / "000_5072bf7ae566881d.txt"
DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_WORK = Path("/tmp/zh-extract-bench")
MANIFEST = "manifest.json"
FORMAT_VERSION = 2  # bump when the generated text changes

# (dataset, file relative to the datasets folder, weight of its sentences in the mix)
SOURCES = [
    ("msra", "msra/train.bio", 3.0),
    ("msra", "msra/test.bio", 0.5),
    ("pd1998", "pd1998/example.dev", 1.5),
    ("pd1998", "pd1998/example.test", 1.5),
    ("cluener", "cluener/dev.json", 0.5),
    ("cluener", "cluener/train.json", 1.0),
]
PERSON_LABELS = {"PER", "name", "NAME", "PER.NAM"}
SAMPLE_SHARE = 1 / 8  # share of files that are copies of the sample page
MIN_FILE, MAX_FILE = 5_000, 20_000  # bytes
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}
_END = set("。！？!?…”’")


def parse_size(text: str) -> int:
    """``5MB`` -> 5_000_000, ``512KiB`` -> 524_288, ``1000`` -> 1000 (bytes)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS | {"": 1}:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 5MB, 200KB, 1GiB)")
    return int(float(m.group(1)) * _UNITS.get(m.group(2).lower(), 1))


def size_label(n: int) -> str:
    for unit, f in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= f and n % (f // 10 or 1) == 0:
            v = n / f
            return f"{v:g}{unit}"
    return f"{n}B"


def read_sources(datasets: Path) -> tuple[list[list[str]], list[float], list[str], list[str]]:
    """Sentences of each source, the sources' weights, person names, and the sources used."""
    pools, weights, names, used = [], [], set(), []
    for dataset, rel, weight in SOURCES:
        path = datasets / rel
        if not path.is_file():
            print(f"make_corpus: {path} not found, skipped", file=sys.stderr)
            continue
        sents = []
        for s in load(dataset, path):
            text = s.text.strip()
            if len(text) < 6 or "\n" in text:
                continue
            if text[-1] in "，,；;：:、":
                text = text[:-1] + "。"
            elif text[-1] not in _END:
                text += "。"
            sents.append(text)
            for a, b, label in s.spans:
                if label in PERSON_LABELS and 2 <= b - a <= 3:
                    names.add(s.text[a:b])
        if sents:
            pools.append(sents)
            weights.append(weight)
            used.append(rel)
    if not pools:
        raise SystemExit(f"make_corpus: no corpus sentences found under {datasets}")
    return pools, weights, sorted(names) or ["周晓峰"], used


def _heading(rng: random.Random, sentence: str) -> str:
    head = re.split(r"[，。！？；：,;:!?]", sentence)[0].strip()
    if len(head) < 6:
        head = sentence.rstrip("。！？!?")
    return head[: rng.randint(10, 26)]


def make_page(rng: random.Random, pools: list[list[str]], weights: list[float], names: list[str],
              target_bytes: int) -> str:
    """One newspaper-like page of about ``target_bytes`` UTF-8 bytes."""
    parts: list[str] = []
    size = 0
    while size < target_bytes:
        pool = rng.choices(pools, weights)[0]
        article = [f"# {_heading(rng, rng.choice(pool))}", ""]
        if rng.random() < 0.3:
            article += [f"## ——{_heading(rng, rng.choice(pool))}", ""]
        reporters = " ".join(rng.sample(names, k=min(len(names), rng.randint(1, 2))))
        byline = rng.choice(["□本报记者 ", "□青岛日报/观海新闻记者 ", "□新华社记者 "]) + reporters
        if rng.random() < 0.3:
            byline += " 通讯员 " + rng.choice(names)
        article += [byline, ""]
        for p in range(rng.randint(3, 9)):
            sents = [rng.choice(pool) for _ in range(rng.randint(1, 5))]
            para = "".join(sents)
            if p == 0 and rng.random() < 0.4:
                para = f"本报{rng.randint(1, 12)}月{rng.randint(1, 28)}日讯 " + para
            article += [para, ""]
        text = "\n".join(article) + "\n"
        nbytes = len(text.encode("utf-8"))
        if parts and size + nbytes > MAX_FILE:
            break  # keep files within the 5-20 KB range
        parts.append(text)
        size += nbytes
    return "\n\n".join(parts)


def build(size: int, out: Path, seed: int = 0, datasets: Path = DATASETS, quiet: bool = False) -> dict:
    """Write the corpus into ``out`` (replacing a corpus made by this script there); returns its manifest."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise SystemExit(f"make_corpus: {out} exists and is not a corpus folder made by this script; refusing to replace it")
    rng = random.Random(seed)
    pools, weights, names, used = read_sources(datasets)
    sample = SAMPLE.read_text(encoding="utf-8")
    sample_bytes = len(sample.encode("utf-8"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    total = chars = 0
    files = 0
    n_sample = 0
    digest = hashlib.sha256()
    while total < size:
        if rng.random() < SAMPLE_SHARE and total + sample_bytes <= max(size, sample_bytes):
            text, kind = sample, "sample"
            n_sample += 1
        else:
            target = min(rng.randint(MIN_FILE, MAX_FILE), max(size - total, MIN_FILE))
            text, kind = make_page(rng, pools, weights, names, target), "synthetic"
        data = text.encode("utf-8")
        name = f"{files:05d}_{kind}.txt"
        (out / name).write_bytes(data)
        digest.update(data)
        total += len(data)
        chars += len(text)
        files += 1
    manifest = {
        "format_version": FORMAT_VERSION,
        "size_requested": size,
        "seed": seed,
        "files": files,
        "sample_copies": n_sample,
        "bytes": total,
        "characters": chars,
        "sha256": digest.hexdigest(),
        "sources": ["data/raw/" + SAMPLE.name] + used,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    if not quiet:
        print(f"{out}: {files} files ({n_sample} copies of the sample page), {total:,} bytes, {chars:,} characters")
    return manifest


def ensure(size: int, out: Path, seed: int = 0, datasets: Path = DATASETS) -> dict:
    """The manifest of the corpus in ``out``, building it first unless it matches ``size`` and ``seed``."""
    try:
        m = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
        if m.get("size_requested") == size and m.get("seed") == seed and m.get("format_version") == FORMAT_VERSION:
            return m
    except (OSError, ValueError):
        pass
    return build(size, out, seed, datasets)


def default_out(size: int) -> Path:
    return DEFAULT_WORK / f"corpus-{size_label(size)}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, default=parse_size("5MB"), help="total size, e.g. 5MB, 50MB, 200KB")
    ap.add_argument("--out", type=Path, help="output folder (default /tmp/zh-extract-bench/corpus-<size>)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--datasets", type=Path, default=DATASETS, help="folder of the public corpora")
    args = ap.parse_args(argv)
    out = args.out or default_out(args.size)
    if out.resolve().is_relative_to(ROOT):
        ap.error(f"{out}: generated corpora contain public-corpus text and must live outside the repository")
    build(args.size, out, args.seed, args.datasets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
