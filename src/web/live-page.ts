import { VERSION } from "../version.js";

/**
 * The live view at /: a page for people asking "is my accounting right". The HTML is a static frame, the
 * script (/live.js) fills it from /api/live (see live.ts) and never builds markup from data: every label,
 * comment and reason goes into the page as text (textContent), so a hostile comment stays text. Strict
 * Content-Security-Policy: nothing but this origin's script, style and JSON, no inline script or style.
 */
export const LIVE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every live view response (a web config's own headers of these names win). */
export const LIVE_HEADERS: Record<string, string> = {
  "Content-Security-Policy": LIVE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** livePage: the page's frame; the telemetry path and the version are the only values in it. */
export function livePage(telemetryPath: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>nfprom</title><link rel="stylesheet" href="live.css"><script src="live.js" defer></script></head>
<body>
<header><h1>nfprom ${escapeHtml(VERSION)}</h1>
<p>Prometheus exporter for nftables accounting counters. <a href="${escapeHtml(telemetryPath)}">Metrics</a></p>
<p id="status" class="status">Loading…</p>
<label class="pause"><input type="checkbox" id="pause"> pause</label></header>
<main>
<section><h2>Health</h2><dl id="health" class="health"></dl>
<table id="sources"><caption>Sources</caption><thead><tr><th>source</th><th>read</th><th>read time</th></tr></thead><tbody></tbody></table>
<table id="quotas"><caption>Quotas</caption><thead><tr><th>quota</th><th>mode</th><th>used</th><th>limit</th><th>share</th></tr></thead><tbody></tbody></table>
<table id="sets"><caption>Sets</caption><thead><tr><th>set</th><th>elements</th><th>size</th><th>left out</th><th>repeated</th></tr></thead><tbody></tbody></table>
</section>
<section><h2>Series of the last scrape</h2>
<form id="controls" class="controls">
<label>filter <input id="filter" type="search" placeholder='svc="web"' autocomplete="off"></label>
<label>kind <select id="kind"><option value="">all</option><option value="rule">rules</option><option value="counter">named counters</option><option value="set_element">set elements</option></select></label>
<button type="button" id="prev">◀ previous</button><span id="range"></span><button type="button" id="next">next ▶</button>
</form>
<table id="series"><thead><tr>
<th>kind</th><th><button type="button" data-sort="labels">labels</button></th>
<th><button type="button" data-sort="bytes">bytes</button></th><th><button type="button" data-sort="packets">packets</button></th>
<th><button type="button" data-sort="bps">bytes/s</button></th><th><button type="button" data-sort="pps">packets/s</button></th>
</tr></thead><tbody></tbody></table>
<p class="note">Rates are computed here from successive reads. Sorting by rate orders the rows of this page.</p>
</section>
<section><h2>Rules nfprom does not export as written</h2>
<p id="findings-summary"></p>
<table id="findings"><thead><tr><th>severity</th><th>rule or item</th><th>comment</th><th>problem</th></tr></thead><tbody></tbody></table>
<p><button type="button" id="findings-prev">◀ previous</button><span id="findings-range"></span><button type="button" id="findings-next">next ▶</button></p>
</section>
<section><details><summary>All of nfprom's own metrics</summary><table id="families"><thead><tr><th>metric</th><th>labels</th><th>value</th></tr></thead><tbody></tbody></table></details></section>
</main>
</body></html>
`;
}

export const LIVE_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 2em;color:#1d2329;background:#fff}
h1{font-size:1.4em;margin:.6em 0 .2em}h2{font-size:1.15em;margin:1.2em 0 .4em}
header{border-bottom:1px solid #d5dbe0;padding-bottom:.4em;position:relative}
.pause{position:absolute;right:0;top:1em}
.status{color:#4b5661}.status.bad{color:#b3261e;font-weight:600}
.health{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0 0 1em}
.health dt{color:#4b5661}.health dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;margin:.3em 0 1em;min-width:40em}
caption{text-align:left;font-weight:600;padding:.2em 0}
th,td{border-bottom:1px solid #e3e7eb;padding:.2em .6em;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}
th button.sorted::after{content:" ▲"}th button.sorted.desc::after{content:" ▼"}
.label{display:inline-block;background:#eef2f6;border-radius:3px;padding:0 .35em;margin:0 .25em .15em 0;white-space:pre-wrap;word-break:break-all}
.controls{display:flex;gap:1em;align-items:center;flex-wrap:wrap}
.error{color:#b3261e}.warning{color:#8a5300}.info{color:#4b5661}
.ok{color:#1b6e2a}.bad{color:#b3261e}
.note{color:#4b5661;font-size:.9em}
code,.mono{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
`;

/** The page's script, served as /live.js (plain browser JavaScript; the CSP allows no inline script). */
export const LIVE_SCRIPT = `"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { offset: 0, limit: 100, sort: "labels", desc: false, pageSort: "", filter: "", kind: "",
    findingsOffset: 0, paused: false, timer: 0 };
  // Last values seen per series key, and the rates computed from the two last reads that differed in time.
  const seen = new Map();
  let last;

  /** el makes an element holding text: data never becomes markup. */
  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) tr.append(c instanceof Node ? c : el("td", c));
    return tr;
  }
  function num(text, className) {
    return el("td", text, "num" + (className ? " " + className : ""));
  }
  function labelsCell(labels) {
    const td = el("td");
    for (const [k, v] of labels) td.append(el("span", k + "=" + JSON.stringify(v), "label"));
    return td;
  }
  function fill(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows);
    $(tableId).hidden = rows.length === 0;
  }
  function family(name) {
    return last.families.find((f) => f.name === last.namespace + "_" + name);
  }
  function value(name, match) {
    const f = family(name);
    const s = f && f.samples.find((x) => x.labels.every(([k, v]) => match === undefined || match[k] === undefined || match[k] === v));
    return s ? s.value : undefined;
  }
  function labelsOf(sample) {
    return Object.fromEntries(sample.labels);
  }
  const units = ["", "k", "M", "G", "T", "P", "E"];
  function human(n, unit) {
    if (n === undefined || n === null || Number.isNaN(n)) return "–";
    let i = 0;
    let x = Math.abs(n);
    while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
    return (n < 0 ? "-" : "") + (i === 0 ? String(Math.round(x * 100) / 100) : x.toFixed(x < 10 ? 2 : 1)) + " " + units[i] + unit;
  }
  function seconds(s) {
    if (s === undefined) return "–";
    const n = Number(s);
    return n < 1 ? Math.round(n * 1000) + " ms" : n.toFixed(2) + " s";
  }

  function renderHealth() {
    const up = value("up");
    const readAt = value("last_read_timestamp_seconds");
    const age = value("snapshot_age_seconds");
    const rules = (state) => value("rules", { state });
    const rejectedComments = (family("comments_rejected") || { samples: [] }).samples.reduce((n, s) => n + Number(s.value), 0);
    const items = [
      ["version", last.version],
      ["chain read", up === "1" ? "yes" : "NO (see the log)", up === "1" ? "ok" : "bad"],
      ["last successful read", readAt ? new Date(Number(readAt) * 1000).toLocaleString() : "never"],
      ["read time (last scrape)", seconds(value("scrape_duration_seconds"))],
      ["snapshot age", age === undefined ? "– (read for each scrape)" : seconds(age)],
      ["rules", ["exported", "ignored", "rejected"].map((s) => (rules(s) ?? "–") + " " + s).join(", "), Number(rules("rejected")) > 0 ? "bad" : ""],
      ["rejected item comments", String(rejectedComments), rejectedComments > 0 ? "bad" : ""],
      ["reader memory", human(Number(value("reader_resident_memory_bytes")), "B")],
      ["series", String(last.series.total)],
    ];
    const nodes = [];
    for (const [k, v, c] of items) nodes.push(el("dt", k), el("dd", v, c));
    $("health").replaceChildren(...nodes);

    const sources = (family("source_success") || { samples: [] }).samples.map((s) => {
      const name = labelsOf(s).source;
      const ok = s.value === "1";
      return row([name, el("td", ok ? "complete" : "FAILED", ok ? "ok" : "bad"), num(seconds(value("source_duration_seconds", { source: name })))]);
    });
    fill("sources", sources);
    const quotas = (family("quota_used_bytes") || { samples: [] }).samples.map((s) => {
      const l = labelsOf(s);
      const limit = value("quota_limit_bytes", l);
      const share = Number(limit) > 0 ? Number(s.value) / Number(limit) : undefined;
      return row([l.family + "/" + l.table + "/" + l.name, l.mode, num(human(Number(s.value), "B")), num(human(Number(limit), "B")),
        num(share === undefined ? "–" : (share * 100).toFixed(1) + " %", share !== undefined && share > 0.9 ? "bad" : "")]);
    });
    fill("quotas", quotas);
    const sets = (family("set_elements") || { samples: [] }).samples.map((s) => {
      const l = labelsOf(s);
      return row([l.family + "/" + l.table + "/" + l.set, num(s.value), num(value("set_elements_max", l) ?? "–"),
        num(value("set_elements_left_out", l) ?? "0"), num(value("set_elements_repeated", l) ?? "0")]);
    });
    fill("sets", sets);
    const all = [];
    for (const f of last.families) {
      for (const s of f.samples) all.push(row([el("td", f.name, "mono"), labelsCell(s.labels), num(s.value)]));
      if (f.more > 0) all.push(row([f.name, "… " + f.more + " more", ""]));
    }
    fill("families", all);
  }

  function rateOf(key, field) {
    const s = seen.get(key);
    return s && s.rates ? s.rates[field] : undefined;
  }
  function track(rows, at) {
    for (const r of rows) {
      const prev = seen.get(r.key);
      const now = { bytes: BigInt(r.bytes), packets: BigInt(r.packets), at, rates: prev && prev.rates };
      if (prev && at > prev.at) {
        const dt = (at - prev.at) / 1000;
        const rate = (field) => (now[field] >= prev[field] ? Number(now[field] - prev[field]) / dt : null);
        now.rates = { bytes: rate("bytes"), packets: rate("packets") };
      } else if (prev && at === prev.at) {
        continue;
      }
      seen.set(r.key, now);
    }
    if (seen.size > 4 * state.limit + 1000) {
      const keep = new Set(rows.map((r) => r.key));
      for (const k of seen.keys()) if (!keep.has(k)) seen.delete(k);
    }
  }
  function rateText(rate, unit) {
    if (rate === undefined) return "–";
    if (rate === null) return "reset";
    return human(rate, unit);
  }

  function renderSeries() {
    const s = last.series;
    let rows = s.rows.slice();
    if (state.pageSort) {
      const field = state.pageSort === "bps" ? "bytes" : "packets";
      const r = (x) => rateOf(x.key, field) ?? -1;
      rows.sort((a, b) => (r(a) - r(b)) * (state.desc ? -1 : 1));
    }
    const trs = rows.map((r) => {
      const tr = row([el("td", r.kind), labelsCell(r.labels), num(r.bytes, "bytes"), num(r.packets, "packets"),
        num(rateText(rateOf(r.key, "bytes"), "B/s"), "bps"), num(rateText(rateOf(r.key, "packets"), "p/s"), "pps")]);
      tr.dataset.key = r.key;
      tr.dataset.bps = String(rateOf(r.key, "bytes") ?? "");
      return tr;
    });
    $("series").tBodies[0].replaceChildren(...trs);
    const from = s.matched === 0 ? 0 : s.offset + 1;
    $("range").textContent = " " + from + "–" + (s.offset + s.rows.length) + " of " + s.matched +
      (s.matched !== s.total ? " (" + s.total + " in all)" : "") + " ";
    $("prev").disabled = s.offset === 0;
    $("next").disabled = s.offset + s.rows.length >= s.matched;
    for (const b of document.querySelectorAll("#series th button")) {
      const sorted = b.dataset.sort === (state.pageSort || state.sort);
      b.classList.toggle("sorted", sorted);
      b.classList.toggle("desc", sorted && state.desc);
    }
  }

  function renderFindings() {
    const f = last.findings;
    $("findings-summary").textContent = f.total === 0 ? "None: every rule with an nft(...) comment is exported as written." :
      f.severities.error + " errors (not exported), " + f.severities.warning + " warnings, " + f.severities.info +
      " notes (rules with a counter and no nft(...) comment, not exported) — what nfprom check says.";
    fill("findings", f.rows.map((x) => row([el("td", x.severity, x.severity), x.item ?? "handle " + x.handle,
      el("td", x.comment === undefined ? "(none)" : x.comment, "mono"), x.problem])));
    $("findings-range").textContent = " " + (f.total === 0 ? 0 : f.offset + 1) + "–" + (f.offset + f.rows.length) + " of " + f.total + " ";
    $("findings-prev").disabled = f.offset === 0;
    $("findings-next").disabled = f.offset + f.rows.length >= f.total;
  }

  function interval() {
    // A read costs the exporter what a scrape costs: poll less often when reads are slow.
    const read = Number(last && value("scrape_duration_seconds")) || 0;
    return Math.max(2000, Math.round(read * 10000));
  }

  async function poll() {
    clearTimeout(state.timer);
    const q = new URLSearchParams({ offset: state.offset, limit: state.limit, sort: state.sort,
      order: state.desc && !state.pageSort ? "desc" : "asc", filter: state.filter, kind: state.kind,
      findings_offset: state.findingsOffset });
    try {
      const res = await fetch("api/live?" + q, { cache: "no-store", headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error("HTTP " + res.status);
      last = await res.json();
      track(last.series.rows, last.scrapedAtMs);
      renderHealth();
      renderSeries();
      renderFindings();
      const status = $("status");
      status.textContent = "Last read " + new Date(last.scrapedAtMs).toLocaleTimeString() + "; refreshing every " +
        interval() / 1000 + " s.";
      status.className = "status";
      document.body.dataset.scrapedAt = String(last.scrapedAtMs);
    } catch (err) {
      $("status").textContent = "Cannot load the data: " + err.message;
      $("status").className = "status bad";
    }
    if (!state.paused) state.timer = setTimeout(poll, last ? interval() : 5000);
  }

  function init() {
    let typing = 0;
    $("filter").addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => { state.filter = $("filter").value; state.offset = 0; poll(); }, 300);
    });
    $("controls").addEventListener("submit", (e) => e.preventDefault());
    $("kind").addEventListener("change", () => { state.kind = $("kind").value; state.offset = 0; poll(); });
    $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); poll(); });
    $("next").addEventListener("click", () => { state.offset += state.limit; poll(); });
    $("findings-prev").addEventListener("click", () => { state.findingsOffset = Math.max(0, state.findingsOffset - 100); poll(); });
    $("findings-next").addEventListener("click", () => { state.findingsOffset += 100; poll(); });
    $("pause").addEventListener("change", () => { state.paused = $("pause").checked; if (!state.paused) poll(); else clearTimeout(state.timer); });
    for (const b of document.querySelectorAll("#series th button")) {
      b.addEventListener("click", () => {
        const key = b.dataset.sort;
        const current = state.pageSort || state.sort;
        state.desc = current === key ? !state.desc : key !== "labels";
        if (key === "bps" || key === "pps") {
          state.pageSort = key;
          renderSeries();
          return;
        }
        state.pageSort = "";
        state.sort = key;
        state.offset = 0;
        poll();
      });
    }
    poll();
  }
  init();
})();
`;
