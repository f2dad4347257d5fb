"""Long documents: the same text as ONE single-line document and as articles, end to end.

    .venv/bin/python benchmarks/long_doc.py --size 20MB --config fast
    .venv/bin/python benchmarks/long_doc.py --size 20MB --config default    # spaCy NER: long

The text is the benchmark corpus of ``--size`` bytes (``benchmarks/make_corpus.py``,
built on first use): each of its pages with all white space removed is one article
(5-20 KB, one line); the articles written one after the other are the single document
(one line of about ``--size`` bytes).  Both are written under
``--work``/long-<size>/ (``single/long.txt`` and ``articles/NNNNN.txt``: the same
characters) and each is run end to end with ``pipeline.runner.run`` (what
``extract run`` calls; no cache, 1 worker) in a fresh process, as
``bench.py`` measures its e2e rows: seconds of the run (model loading included),
input chars/s, peak RSS.  The target (issue 18): the single document at least 0.5x the
throughput of the articles.

Results go to ``--work``/results/long-<size>-<config>-<UTC time>.{json,md}; the
Markdown is also printed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402
import make_corpus  # noqa: E402

TARGET = 0.5  # single-document throughput / articles throughput
FORMAT_VERSION = 1  # bump when the way the texts are made changes


def build(size: int, work: Path, seed: int = 0) -> dict:
    """The single document and the articles of the ``size`` corpus under ``work``/long-<size>/
    (reused when made from the same corpus); returns their manifest."""
    corpus = make_corpus.ensure(size, make_corpus.default_out(size), seed)
    out = work / f"long-{make_corpus.size_label(size)}"
    manifest = out / make_corpus.MANIFEST
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if m.get("corpus_sha256") == corpus["sha256"] and m.get("format_version") == FORMAT_VERSION:
            return m
    except (OSError, ValueError):
        pass
    if out.exists():
        shutil.rmtree(out)
    (out / "single").mkdir(parents=True)
    (out / "articles").mkdir()
    articles = []
    for path in sorted(make_corpus.default_out(size).glob("*.txt")):
        text = "".join(path.read_text(encoding="utf-8").split())
        if text:
            (out / "articles" / f"{len(articles):05d}.txt").write_text(text, encoding="utf-8")
            articles.append(text)
    single = "".join(articles)
    (out / "single" / "long.txt").write_text(single, encoding="utf-8")
    m = {"format_version": FORMAT_VERSION, "size_requested": size, "seed": seed, "corpus_sha256": corpus["sha256"],
         "articles": len(articles), "characters": len(single), "bytes": len(single.encode("utf-8")),
         "sha256": hashlib.sha256(single.encode("utf-8")).hexdigest(),
         "single": str(out / "single"), "articles_dir": str(out / "articles")}
    manifest.write_text(json.dumps(m, indent=2), encoding="utf-8")
    print(f"{out}: {len(articles)} articles and one document of {m['characters']:,} characters "
          f"({m['bytes']:,} bytes)", file=sys.stderr)
    return m


def markdown(res: dict) -> str:
    m, cfg = res["text"], res["config"]
    lines = [f"# Long document — {res['started']}", "",
             f"Config `{cfg}`, 1 worker, no cache.  Text: the {make_corpus.size_label(m['size_requested'])} benchmark "
             f"corpus without white space: {m['characters']:,} characters ({m['bytes']:,} bytes) as one single-line "
             f"document, and the same characters as {m['articles']:,} one-line articles.", ""]
    busy = [i for i in res["idle"] if i["training"] or i["other_cpu_percent"] > 20]
    lines.append("Machine idle during both measurements." if not busy else
                 "**Machine NOT idle** during: " + ", ".join(f"{i['id']} (other CPU {i['other_cpu_percent']} %)"
                                                              for i in busy) + ".")
    lines += ["", "| input | documents | seconds | input chars/s | peak RSS MB (process / tree) | stage seconds |",
              "|---|---:|---:|---:|---:|---|"]
    for key in ("single", "articles"):
        r = res["measurements"].get(key)
        if not r:
            lines.append(f"| {key} | – | failed | – | – | |")
            continue
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stage_seconds"].items())
        lines.append(f"| {key} | {r['documents']:,} | {r['seconds']:.1f} | {bench.fmt_rate(r['rate'])} | "
                     f"{r['peak_rss_mb']:,.0f} / {r['peak_rss_tree_mb']:,.0f} | {stages} |")
    if res.get("ratio") is not None:
        lines += ["", f"Single document / articles throughput: **{res['ratio']:.2f}x** (target >= {TARGET}): "
                      f"{'met' if res['ratio'] >= TARGET else '**NOT met**'}."]
    lines += ["", f"Command: `{res['command']}`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=make_corpus.parse_size, default=make_corpus.parse_size("20MB"),
                    help="size of the text (default 20MB; KB/MB are powers of 1000)")
    ap.add_argument("--config", default="fast", choices=sorted(bench.CONFIGS), help="config to run (default fast)")
    ap.add_argument("--work", default=str(make_corpus.DEFAULT_WORK), help="texts, scratch output and results")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    work = Path(args.work)
    (work / "results").mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"long-{make_corpus.size_label(args.size)}-{args.config}-{stamp}"
    log = work / "results" / f"{name}.log"
    text = build(args.size, work, args.seed)
    res = {"started": stamp, "command": " ".join([Path(sys.executable).name, *sys.argv]), "config": args.config,
           "machine": bench.machine(), "text": text, "measurements": {}, "idle": []}
    for key, corpus in (("single", text["single"]), ("articles", text["articles_dir"])):
        other = bench.other_cpu_percent()
        res["idle"].append({"id": key, "training": bool(bench.training_running()), "other_cpu_percent": other})
        print(f"{key}: {args.config} e2e (other CPU {other} %) ...", file=sys.stderr, flush=True)
        params = {"config": args.config, "corpus": corpus, "overrides": ["run.workers=1"],
                  "output": str(work / f"out-{name}-{key}")}
        try:
            r = bench.measure("run", params, log)
        except RuntimeError as exc:
            print(f"  failed: {exc}", file=sys.stderr)
            res["measurements"][key] = None
            continue
        r["rate"] = bench.rate(r["characters"], r["seconds"])
        res["measurements"][key] = r
        print(f"  {r['seconds']:.1f} s, {bench.fmt_rate(r['rate'])} chars/s, peak RSS {r['peak_rss_mb']:,.0f} MB",
              file=sys.stderr, flush=True)
    single, articles = res["measurements"].get("single"), res["measurements"].get("articles")
    res["ratio"] = single["rate"] / articles["rate"] if single and articles else None
    out_json = work / "results" / f"{name}.json"
    out_json.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    md = markdown(res)
    out_json.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"results: {out_json} and {out_json.with_suffix('.md')}; child logs: {log}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
