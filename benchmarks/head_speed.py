"""Throughput of the spaCy NER backend's ``.tag`` for several models (or heads) in one process:
each loaded once, then timed in interleaved rounds over one corpus, CPU time, best of three.
Separate runs on a VM whose speed drifts cannot order two models 10 % apart; this can.

    python benchmarks/head_speed.py CORPUS_DIR MODEL[:HEAD] ...

``CORPUS_DIR``: a folder of ``*.txt`` files (``benchmarks/make_corpus.py --size 1MB`` makes
``/tmp/zh-extract-bench/corpus-1MB``); ``MODEL``: a model folder (``ner-zh`` = the shipped one),
``:tagger`` for the distilled tagger head.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from pipeline.backends.spacy_ner import SpacyNerBackend, default_model_path


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    texts = [p.read_text(encoding="utf-8") for p in sorted(Path(argv[0]).glob("*.txt"))]
    chars = sum(map(len, texts))
    backends = {}
    for spec in argv[1:]:
        model, _, head = spec.partition(":")
        path = default_model_path() if model == "ner-zh" else Path(model)
        backends[spec] = SpacyNerBackend(path, **({"head": head} if head else {}))
        backends[spec].tag(["预热一下：张伟在上海。"])
    seconds: dict[str, list[float]] = {spec: [] for spec in backends}
    for _ in range(3):
        for spec, backend in backends.items():
            t0 = time.process_time()
            for i in range(0, len(texts), 32):
                backend.tag(texts[i:i + 32])
            seconds[spec].append(time.process_time() - t0)
    base = min(seconds[argv[1]])
    for spec, s in seconds.items():
        print(f"{spec}: {chars:,} chars; CPU s per round {[round(x, 2) for x in s]}; "
              f"best {chars / min(s):,.0f} chars per CPU s ({base / min(s):.2f} x {argv[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
