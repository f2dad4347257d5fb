/* The review page's behaviour (pipeline/report.py, inlined into the page): the side panel
   shows the fields of the hovered or clicked highlight (records in #zx-records), legend
   checkboxes hide a label, fact-table rows scroll to their highlight, the kind filter. */
(function(){
  "use strict";
  var data = JSON.parse(document.getElementById("zx-records").textContent);
  var panel = document.getElementById("zx-panel-body");
  var pinned = null;
  var ENT = data.entity_fields, FACT = data.fact_fields;
  function fmt(k, v){
    if (v === null || v === undefined || v === "") return null;
    if (Array.isArray(v)) return v.filter(function(x){return x!==null;}).join("；");
    if (typeof v === "number" && /^(value|value_low|value_high|base_value)$/.test(k)) {
      return Number.isInteger(v) ? v.toLocaleString("en-US") : String(v);
    }
    return String(v);
  }
  function record(el){
    var rid = el.getAttribute("data-rid") || "";
    var kind = rid.charAt(0), i = parseInt(rid.slice(2), 10);
    var rec = (kind === "e" ? data.entities : data.facts)[i];
    return rec ? {kind: kind, rec: rec} : null;
  }
  function block(item){
    var div = document.createElement("div");
    div.className = "zx-rec";
    var h = document.createElement("div");
    h.className = "zx-rec-h";
    var sw = document.createElement("span");
    if (item.kind === "e") {
      sw.className = "zx-swatch zx-" + (item.rec.label || "OTHER");
      sw.textContent = item.rec.label || "?";
    } else {
      sw.className = "zx-swatch zx-fact";
      sw.textContent = "FACT " + (item.rec.kind || "");
    }
    h.appendChild(sw);
    h.appendChild(document.createTextNode(" " + (item.rec.text || "")));
    div.appendChild(h);
    var dl = document.createElement("dl");
    dl.className = "zx-kv";
    var fields = item.kind === "e" ? ENT : FACT;
    fields.forEach(function(k){
      if (k === "text") return;
      var v = fmt(k, item.rec[k]);
      if (k === "time_start" && (item.rec.time_start || item.rec.time_end)) {
        v = (item.rec.time_start || "…") + " – " + (item.rec.time_end || "…"); k = "time range";
      } else if (k === "time_end") return;
      if (k === "start") { v = "[" + item.rec.start + ", " + item.rec.end + ")"; k = "source offsets"; }
      else if (k === "end") return;
      if (v === null) return;
      var dt = document.createElement("dt"); dt.textContent = k;
      var dd = document.createElement("dd"); dd.textContent = v;
      dl.appendChild(dt); dl.appendChild(dd);
    });
    div.appendChild(dl);
    return div;
  }
  function show(el){
    var items = [], cur = el;
    while (cur && cur.classList) {
      if (cur.classList.contains("zx-hl")) { var r = record(cur); if (r) items.push(r); }
      cur = cur.parentNode;
    }
    panel.textContent = "";
    panel.className = "";
    if (!items.length) { panel.textContent = "—"; return; }
    items.forEach(function(it){ panel.appendChild(block(it)); });
    var doc = data.docs[el.getAttribute("data-doc")];
    if (doc) {
      var p = document.createElement("div");
      p.className = "zx-empty";
      p.textContent = "article: " + doc;
      panel.appendChild(p);
    }
  }
  document.addEventListener("mouseover", function(ev){
    var el = ev.target.closest ? ev.target.closest(".zx-hl") : null;
    if (el && !pinned) show(el);
  });
  document.addEventListener("click", function(ev){
    var el = ev.target.closest ? ev.target.closest(".zx-hl") : null;
    if (el) {
      if (pinned) pinned.classList.remove("zx-sel");
      if (pinned === el) { pinned = null; return; }
      pinned = el; el.classList.add("zx-sel"); show(el);
      return;
    }
    var row = ev.target.closest ? ev.target.closest("[data-target]") : null;
    if (row) {
      var target = document.querySelector('[data-rid="' + row.getAttribute("data-target") + '"]');
      if (target) {
        target.scrollIntoView({block: "center"});
        target.classList.remove("zx-flash"); void target.offsetWidth; target.classList.add("zx-flash");
        if (pinned) pinned.classList.remove("zx-sel");
        pinned = target; target.classList.add("zx-sel"); show(target);
      }
    }
  });
  document.querySelectorAll("input[data-toggle]").forEach(function(box){
    box.addEventListener("change", function(){
      document.body.classList.toggle("zx-hide-" + box.getAttribute("data-toggle"), !box.checked);
    });
  });
  var sel = document.getElementById("zx-fact-kind");
  if (sel) sel.addEventListener("change", function(){
    var k = sel.value;
    document.querySelectorAll("#zx-facts tbody").forEach(function(tb){
      tb.style.display = (!k || tb.getAttribute("data-fact-kind") === k) ? "" : "none";
    });
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
