"""The HTML review page (pipeline.report), checked in a real headless Chromium.

A session fixture runs the default config on the bundled sample into a temporary
folder and writes the page.  The browser test starts Debian's ``chromium``
headless with a fresh profile and ``--remote-debugging-port``, drives it over the
DevTools protocol (``websocket-client``), and checks:

- no uncaught exception, no console error, no error log entry, no network request
  (the page is self-contained: only the ``file://`` page itself is loaded);
- the page's script ran; every entity and fact row of the run has a highlight;
  each highlight's text is exactly its record's text (offsets placed exactly);
- known spans of the sample are highlighted: 青岛市 (PLACE), 海信集团 (COMPANY)
  and the fact 6835家;
- a real mouse click on a highlight fills the side panel with its fields;
- the article text is drawn with a CJK font (when fonts-noto-cjk is installed);
- a screenshot is written to ``reports/review.png`` for people to look at.

Skipped, with the reason, only when no chromium binary is installed
(``make test`` installs it with scripts/install-chromium.sh).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

import pipeline
from pipeline.api import load_tables
from pipeline.report import build_report, render_snippet, write_report

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "default.yaml"
SCREENSHOT = ROOT / "reports" / "review.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """The default config run on the bundled sample, into a temporary output folder."""
    out = tmp_path_factory.mktemp("report-run") / "out"
    summary = pipeline.run(CONFIG, output=out, progress=False)
    assert summary.documents > 0
    return out


@pytest.fixture(scope="session")
def report_page(sample_run) -> Path:
    return write_report(sample_run, sample_run.parent / "review.html")


# --------------------------------------------------------------------------- without a browser

def test_page_is_self_contained(report_page):
    page = report_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    low = page.lower()
    for needle in ("http://", "https://", "<link", "@import", "url(", "src="):
        assert needle not in low, f"page refers to an external resource: {needle}"
    assert '"Noto Sans CJK SC"' in page


def test_report_counts_match_tables(sample_run, report_page):
    page = report_page.read_text(encoding="utf-8")
    tables = load_tables(sample_run)
    for name in ("documents", "entities", "officials", "facts"):
        assert f'data-table="{name}" data-rows="{len(tables[name])}"' in page
    assert page.count('data-kind="entity"') >= len(tables["entities"])
    assert page.count('data-kind="fact"') >= len(tables["facts"])


def test_report_escapes_text(tmp_path):
    """Record text is escaped everywhere: a hostile string cannot inject markup or script."""
    html = render_snippet('<b>青岛市</b>"&', [dict(start=3, end=6, text="青岛市", label="PLACE", canonical='<x y="1">',
                                                       doc_id="d", method="m")], [])
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert 'data-canonical="&lt;x y=&quot;1&quot;&gt;"' in html


def test_report_failed_documents_and_empty_tables(tmp_path):
    """A run whose documents all failed still gives a page, listing them with their errors."""
    from pipeline.runner import run

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_bytes(b"\x00\x01binary")
    (src / "b.jsonl").write_text('{"text": "青岛市政府召开会议。"}\nnot json\n', encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("stages: [layout, segment]\ninput:\n  paths: [in]\noutput:\n  dir: out\n", encoding="utf-8")
    run(cfg, progress=False)
    path = write_report(tmp_path / "out", tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    assert 'id="zx-failed"' in page
    assert "binary content" in page and "malformed JSON" in page
    assert "青岛市政府召开会议。" in page  # the good record is rendered from its source (the jsonl field)


def test_report_falls_back_when_source_moved(sample_run, tmp_path):
    """With the source file gone the page still renders, from documents.text, and says so."""
    moved = tmp_path / "out"
    shutil.copytree(sample_run, moved)
    manifest = json.loads((moved / "manifest.json").read_text(encoding="utf-8"))
    manifest["config_path"] = str(tmp_path / "nowhere" / "c.yaml")
    manifest["base_dir"] = str(tmp_path / "nowhere")
    for item in manifest.get("inputs", []):
        item["sha256"] = "0" * 64  # no file matches
    (moved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    page = build_report(moved)
    assert "source file not found" in page
    assert 'data-kind="entity"' in page


# --------------------------------------------------------------------------- the browser

def _browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """A headless Chromium and a DevTools-protocol session on its first page."""

    def __init__(self, binary: str, width: int = 1280, height: int = 2000):
        import websocket  # websocket-client

        self.profile = tempfile.mkdtemp(prefix="zx-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio",
             "--hide-scrollbars", f"--window-size={width},{height}", f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            port = self._port()
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
            page = next(t for t in targets if t.get("type") == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        except BaseException:
            self.close()
            raise
        self.next_id = 0
        self.events: list[dict] = []

    def _port(self, timeout: float = 60.0) -> int:
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"chromium exited with {self.proc.returncode}: {err[-2000:]}")
            if port_file.is_file():
                first = port_file.read_text().split("\n", 1)[0].strip()
                if first.isdigit():
                    return int(first)
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 60 s")

    def send(self, method: str, **params):
        """Call a DevTools method and return its result; events seen meanwhile are kept."""
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 60.0) -> dict:
        for msg in self.events:
            if msg["method"] == event:
                return msg
        deadline = time.monotonic() + timeout
        self.ws.settimeout(timeout)
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == event:
                    return msg
        raise TimeoutError(event)

    def evaluate(self, expression: str):
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"in-page error: {res['exceptionDetails']}")
        return res["result"].get("value")

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors, error log entries and network requests seen so far."""
        out = []
        for msg in self.events:
            m, p = msg["method"], msg.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(f"exception: {d.get('text')} {d.get('exception', {}).get('description', '')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                out.append(f"console.{p.get('type')}: {args}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                e = p["entry"]
                out.append(f"log {e.get('level')} ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    out.append(f"network request: {url}")
        return out

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001
                pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


_HIGHLIGHTS_JS = """
Array.from(document.querySelectorAll('.zx-hl')).map(function (el) {
  return {kind: el.dataset.kind, label: el.dataset.label, text: el.dataset.text, shown: el.textContent,
          rid: el.dataset.rid, part: el.dataset.part || null, factKind: el.dataset.factKind || null,
          doc: el.dataset.doc};
})
"""

_CLICK_POINT_JS = """
(function (sel) {
  var el = document.querySelector(sel);
  if (!el) return null;
  el.scrollIntoView({block: 'center'});
  var r = el.getClientRects()[0];
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
})(%s)
"""


def _cjk_families() -> set[str]:
    fc = shutil.which("fc-list")
    if not fc:
        return set()
    out = subprocess.run([fc, ":lang=zh", "family"], capture_output=True, text=True, timeout=60).stdout
    return {f.strip() for line in out.splitlines() for f in line.split(",") if f.strip()}


@pytest.mark.slow
def test_review_page_in_chromium(sample_run, report_page):
    binary = _browser()
    if binary is None:
        pytest.skip("no chromium binary on PATH (install it with scripts/install-chromium.sh, as `make test` does)")
    pytest.importorskip("websocket", reason="websocket-client is needed to drive chromium (pip install -e '.[test]')")
    tables = load_tables(sample_run)
    browser = DevTools(binary)
    try:
        for domain in ("Runtime", "Log", "Page", "Network", "DOM", "CSS"):
            browser.send(f"{domain}.enable")
        browser.send("Emulation.setDeviceMetricsOverride", width=1280, height=2000, deviceScaleFactor=1, mobile=False)
        browser.send("Page.navigate", url=report_page.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        assert browser.evaluate("document.documentElement.getAttribute('data-ready')") == "1", \
            "the page's script did not run to its end"

        # -- highlights: one per entity / fact row, each showing exactly its record's text
        hls = browser.evaluate(_HIGHLIGHTS_JS)
        ent_rids = {h["rid"] for h in hls if h["kind"] == "entity"}
        fact_rids = {h["rid"] for h in hls if h["kind"] == "fact"}
        assert len(ent_rids) == len(tables["entities"])
        assert len(fact_rids) == len(tables["facts"])
        whole = [h for h in hls if h["part"] is None and not any(o["rid"] == h["rid"] and o["part"] for o in hls)]
        wrong = [h for h in whole if h["shown"] != h["text"]]
        assert not wrong, f"highlights whose text differs from their record: {wrong[:5]}"
        ents = {(h["text"], h["label"]) for h in hls if h["kind"] == "entity"}
        assert ("青岛市", "PLACE") in ents
        assert ("海信集团", "COMPANY") in ents
        assert any(h["kind"] == "fact" and h["text"] == "6835家" for h in hls)

        # -- a real click on 海信集团 shows its record in the side panel
        point = browser.evaluate(_CLICK_POINT_JS % json.dumps('.zx-hl[data-kind="entity"][data-text="海信集团"]'))
        assert point, "no 海信集团 highlight to click"
        for kind in ("mousePressed", "mouseReleased"):
            browser.send("Input.dispatchMouseEvent", type=kind, x=point["x"], y=point["y"], button="left", clickCount=1)
        panel = browser.evaluate("document.getElementById('zx-panel-body').innerText")
        assert "海信集团" in panel and "COMPANY" in panel and "method" in panel, panel
        # ... and a fact: value, unit, kind
        point = browser.evaluate(_CLICK_POINT_JS % json.dumps('.zx-hl[data-kind="fact"][data-text="6835家"]'))
        for kind in ("mousePressed", "mouseReleased"):
            browser.send("Input.dispatchMouseEvent", type=kind, x=point["x"], y=point["y"], button="left", clickCount=1)
        panel = browser.evaluate("document.getElementById('zx-panel-body').innerText")
        assert "6,835" in panel and "count" in panel and "unit" in panel, panel

        # -- the article text is drawn with a CJK font
        families = _cjk_families()
        if families:
            doc = browser.send("DOM.getDocument", depth=0)
            node = browser.send("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector=".zx-text")
            fonts = browser.send("CSS.getPlatformFontsForNode", nodeId=node["nodeId"])["fonts"]
            used = {f["familyName"] for f in fonts}
            assert used & families, f"article text drawn with {used}, none of them a CJK font ({sorted(families)[:5]})"

        # -- the screenshot, from the top of the page
        browser.evaluate("window.scrollTo(0, 0); document.querySelectorAll('.zx-sel').forEach("
                         "function (e) { e.classList.remove('zx-sel'); }); true")
        shot = browser.send("Page.captureScreenshot", format="png")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
        assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert SCREENSHOT.stat().st_size > 20_000

        problems = browser.problems()
        assert not problems, "\n".join(problems)
    finally:
        browser.close()
    assert os.path.getsize(SCREENSHOT) > 0
