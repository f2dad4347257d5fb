"""Parity of the NER word features with plain jieba (issue 19, rjieba).

``pipeline.backends.spacy_ner._words`` (jieba-rs route + jieba's HMM) against
``_jieba_words`` (jieba's ``Tokenizer.tokenize``, HMM on) on public corpora and random mixes;
also how often rjieba alone (``rjieba.Jieba().tokenize(text, hmm=True)``) differs.

    .venv/bin/python benchmarks/word_features_parity.py [--quick]

Results: benchmarks/results/2026-11-30-rjieba.md.
"""
from __future__ import annotations

import argparse
import glob
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.backends import spacy_ner as sn  # noqa: E402
from pipeline.evaluation import corpora  # noqa: E402

D = ROOT.parent / "shared" / "datasets"
BENCH = Path("/tmp/zh-extract-bench/corpus-1MB")


def chunks_of(texts):
    for t in texts:
        for _, c in sn.split_chunks(t, 300):
            yield c


def lines(paths):
    return [ln.rstrip("\r\n") for p in paths for ln in open(p, encoding="utf-8") if ln.strip()]


def fuzz(pool: str, n: int, seed: int = 19) -> list[str]:
    rnd = random.Random(seed)
    extra = list("0123456789abcXYZ+#&._%-  \t\r\n，。、：“”（）-—ＡＢ１２３　😀👍🇨🇳") + ["\r\n"]
    extra += [chr(c) for c in (0x3400, 0x4DB5, 0x9FD6, 0x9FEF, 0xF900, 0x20000, 0x2A6D6, 0x30000, 0x3007, 0x2E80)]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 80)):
            k = rnd.randrange(len(pool) - 20)
            parts.append(rnd.choice(extra) if rnd.random() < 0.3 else pool[k:k + rnd.randint(1, 12)])
        out.append("".join(parts))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip weibo-hot and xwlb (17M chars)")
    args = ap.parse_args()
    bench = [p.read_text(encoding="utf-8") for p in sorted(BENCH.glob("*.txt"))]
    sets = {
        "bench corpus-1MB (backend chunks)": lambda: list(chunks_of(bench)),
        "MSRA test": lambda: [s.text for s in corpora.load("msra", D / "msra/test.bio")],
        "CLUENER train+dev": lambda: [s.text for f in ("train.json", "dev.json")
                                      for s in corpora.load("cluener", D / "cluener" / f)],
        "Weibo train+dev+test": lambda: [s.text for f in ("train", "dev", "test")
                                         for s in corpora.load("weibo", D / f"weibo/weiboNER_2nd_conll.{f}")],
        "Resume train": lambda: [s.text for s in corpora.load("resume", D / "resume/train.char.bmes")],
        "literature test": lambda: [s.text for s in corpora.load("literature", D / "literature/ner_test.txt")],
        "icwb2 pku+msr test (raw lines)": lambda: lines([D / "icwb2/testing/pku_test.utf8",
                                                         D / "icwb2/testing/msr_test.utf8"]),
        "raw weibo-hot titles": lambda: lines([D / "raw/weibo-hot/titles.tsv"]),
        "raw xwlb news (400 files, backend chunks)": lambda: list(chunks_of(
            Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob(str(D / "raw/xwlb/news/*")))[:400])),
        "random mixes (20,000)": lambda: fuzz("".join(bench), 20000),
    }
    if args.quick:
        sets = {k: v for k, v in sets.items() if not k.startswith("raw ")}
    rs = sn._rjieba()
    print("| texts | n | chars | jieba words | differ: rjieba alone | differ: `_words` | chars in blocks cut by jieba itself |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, load in sets.items():
        texts = load()
        t0 = time.time()
        nw = nd = nraw = fb = 0
        for t in texts:
            ref = sn._jieba_words(t)
            nw += len(ref)
            if [tuple(x) for x in sn._words(t)] != ref:
                nd += 1
            try:
                nraw += [tuple(x) for x in rs.tokenize(t, hmm=True)] != ref
            except UnicodeEncodeError:
                nraw += 1
            fb += sum(len(m.group()) for m in sn._RS_BLOCK.finditer(t) if sn._RS_ONLY_CHAR.search(m.group()))
        print(f"| {name} | {len(texts):,} | {sum(map(len, texts)):,} | {nw:,} | {nraw:,} | {nd:,} | {fb:,} |",
              f"<!-- {time.time() - t0:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
