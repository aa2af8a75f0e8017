// tradeplane console: the little JavaScript the server-rendered pages need.
// topology (cytoscape.js), live feeds (Server-Sent Events), incident actions and self-serve requests.
"use strict";
const tp = (() => {
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const num = (x, d = 0) => (x === null || x === undefined) ? "" : Number(x).toLocaleString("en-US", {maximumFractionDigits: d, minimumFractionDigits: d});

  async function api(path, opts = {}) {
    const resp = await fetch(path, {credentials: "same-origin", headers: {"Content-Type": "application/json"}, ...opts});
    let body = null;
    try { body = await resp.json(); } catch (e) { body = {detail: resp.statusText}; }
    return {ok: resp.ok, status: resp.status, body};
  }

  function topology() {
    const el = document.getElementById("cy");
    if (!el || typeof cytoscape === "undefined") return;
    api("/api/topology").then(({body}) => {
      const preset = body.counts.nodes > 300;  // large: no edge labels, textures while panning
      const cy = cytoscape({
        container: el, elements: {nodes: body.nodes, edges: body.edges}, wheelSensitivity: 0.3,
        textureOnViewport: preset, hideEdgesOnViewport: preset, minZoom: 0.02,
        layout: {name: "preset", fit: true, padding: 20},
        style: [
          // large graphs: leaf labels only once zoomed in (measuring 2,000 labels was about half the first render)
          {selector: "node", style: {"label": preset ? "" : "data(label)", "font-size": 9, "text-valign": "center", "background-color": "#4e79a7", "color": "#222", "text-wrap": "wrap", "text-max-width": 120}},
          {selector: ":parent", style: {"label": "data(label)", "text-valign": "top", "background-opacity": 0.06, "border-color": "#888", "border-width": 1, "font-weight": "bold"}},
          {selector: "node[kind = 'subnet']", style: {"background-color": "#9fc5e8", "shape": "round-rectangle", "font-size": 7}},
          {selector: "node[kind = 'site']", style: {"background-color": "#f28e2b", "shape": "diamond"}},
          {selector: "node[kind = 'venue']", style: {"background-color": "#e15759", "shape": "star"}},
          {selector: "node[kind = 'tgw']", style: {"background-color": "#59a14f", "shape": "hexagon"}},
          {selector: "node[kind = 'restricted']", style: {"background-color": "#999", "shape": "octagon"}},
          {selector: "edge", style: {"width": 1.5, "line-color": "#aaa", "curve-style": "bezier", "label": preset ? "" : "data(label)", "font-size": 7, "color": "#666"}},
          {selector: ".found", style: {"border-width": 4, "border-color": "#f2b447"}},
        ],
      });
      window.tpCy = cy;
      if (preset) {
        let labelled = false;
        cy.on("zoom", () => {
          const want = cy.zoom() >= 0.6;
          if (want === labelled) return;
          labelled = want;
          cy.style().selector("node:childless").style("label", want ? "data(label)" : "").update();
        });
      }
      el.dataset.ready = String(cy.nodes().length);
      cy.on("tap", "node", (ev) => {
        const d = ev.target.data();
        document.getElementById("topo-info").textContent = [d.kind, d.label, d.desk && ("desk " + d.desk), d.cidrs, d.workloads !== undefined ? d.workloads + " workloads" : ""].filter(Boolean).join(" · ");
      });
      cy.on("dbltap", "node[?expandable]", async (ev) => {
        const n = ev.target, name = n.id().slice(4);
        if (n.data("expanded")) return;
        const {ok, body: sub} = await api("/api/topology?expand=" + encodeURIComponent(name));
        if (!ok) return;
        n.data("expanded", true);
        const p = n.position();
        cy.add(sub.nodes.map((x, i) => ({...x, position: {x: p.x + (i % 6) * 70, y: p.y + 40 + Math.floor(i / 6) * 30}})));
      });
      const search = document.getElementById("topo-search");
      if (search) search.addEventListener("change", () => {
        cy.$(".found").removeClass("found");
        const q = search.value.trim().toLowerCase();
        if (!q) return;
        const hit = cy.nodes().filter((n) => String(n.data("label")).toLowerCase().includes(q));
        hit.addClass("found");
        if (hit.length) cy.fit(hit, 80);
      });
    });
  }

  function feeds() {
    const status = document.getElementById("feeds-status");
    const legs = document.querySelector("#legs tbody"), streams = document.querySelector("#streams tbody");
    const previous = {};
    function row(tbody, key, cells, state) {
      let tr = tbody.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
      const html = cells.map((c, i) => `<td class="${i >= 3 ? "n" : ""}">${c}</td>`).join("");
      if (!tr) { tr = document.createElement("tr"); tr.dataset.key = key; tbody.appendChild(tr); }
      if (previous[key] !== undefined && previous[key] !== state) { tr.classList.add("changed"); setTimeout(() => tr.classList.remove("changed"), 3000); }
      previous[key] = state;
      tr.dataset.state = state;
      tr.innerHTML = html;
    }
    function paint(p) {
      status.textContent = p.connected ? `live from ${p.gateway} · update ${p.seq} · ${new Date(p.at * 1000).toLocaleTimeString()}` : `not connected: ${p.error}`;
      status.className = p.connected ? "muted" : "notice bad";
      for (const l of p.legs) {
        row(legs, l.leg, [esc(l.venue), esc(l.leg), `<span class="state-${esc(l.state)}">${esc(l.state)}</span>`, num(l.msgs_per_s, 1), num(l.messages), num(l.wins), num(l.reconnects),
          l.silent_ms === null ? "" : num(l.silent_ms), num(l.stale_bound_ms), l.staleness === null ? "" : num(l.staleness, 2)], l.state);
      }
      for (const s of p.streams) {
        row(streams, s.stream, [esc(s.venue), esc(s.stream), `<span class="state-${esc(s.state)}">${esc(s.state)}</span>`, esc(s.mode), num(s.events_per_s, 1), num(s.delivered), num(s.gaps), num(s.resyncs), esc(s.best_bid), esc(s.best_ask)], s.state);
      }
      document.body.dataset.feedSeq = String(p.seq || 0);
    }
    const source = new EventSource("/api/feeds/stream");
    source.addEventListener("status", (ev) => paint(JSON.parse(ev.data)));
    source.onerror = () => { status.textContent = "stream interrupted; reconnecting…"; };
  }

  function incidentActions() {
    for (const b of document.querySelectorAll("button.inc-act")) {
      b.addEventListener("click", async () => {
        const {ok, body} = await api(`/api/incidents/${b.dataset.id}/${b.dataset.act}`, {method: "POST", body: JSON.stringify({text: ""})});
        document.getElementById("act-result").textContent = ok ? `${b.dataset.act}: timeline entry ${body.seq}` : `refused: ${body.detail}`;
        if (ok) setTimeout(() => location.reload(), 500);
      });
    }
  }

  function showOutcome(o) {
    const parts = [];
    const verdict = o.verdict || (o.refused ? "refused" : "");
    parts.push(`<p class="verdict ${/refus|reject|den/.test(verdict) ? "bad" : "ok"}" id="req-verdict">${esc(o.id || "")} ${esc(verdict)}${o.summary ? ": " + esc(o.summary) : ""}</p>`);
    for (const r of (o.reasons || [])) parts.push(`<p class="notice bad">${esc(r)}</p>`);
    if (o.changes && o.changes.length) parts.push(`<h3>Estate changes</h3><ul>${o.changes.map((c) => `<li>${esc(c)}</li>`).join("")}</ul>`);
    const f = o.findings || {};
    const newF = Array.isArray(f) ? f : (f.new || []);
    if (newF.length) parts.push(`<h3>New findings</h3><ul>${newF.map((x) => `<li><b>${esc(x.severity)}</b> ${esc(x.title)} <code>${esc(x.location || "")}</code>${(x.traces || []).map((t) => `<pre>${esc(typeof t === "string" ? t : JSON.stringify(t, null, 1))}</pre>`).join("")}</li>`).join("")}</ul>`);
    if (o.trace) parts.push(`<h3>Trace</h3><pre id="req-trace">${esc(typeof o.trace === "string" ? o.trace : JSON.stringify(o.trace, null, 2))}</pre>`);
    if (o.terraform && Object.keys(o.terraform).length) parts.push(`<h3>Terraform diff</h3><pre id="req-terraform">${Object.entries(o.terraform).map(([k, v]) => `${esc(k)}:\n${(Array.isArray(v) ? v : [v]).map((x) => "  " + esc(x)).join("\n")}`).join("\n")}</pre>`);
    if (o.cost && Object.keys(o.cost).length) parts.push(`<h3>Cost delta</h3><pre id="req-cost">${esc(JSON.stringify(o.cost, null, 2))}</pre>`);
    if (o.estate_diff) parts.push(`<h3>Estate patch</h3><pre>${esc(o.estate_diff)}</pre>`);
    if (o.hidden) parts.push(`<p class="muted" id="req-hidden">${esc(o.hidden)} details on the crypto desk's side are hidden (shown to the crypto and platform roles)</p>`);
    return parts.join("");
  }

  // An error body as a person reads it: the self-serve router's [{field, reason, hint}] or a plain detail.
  function problemText(body) {
    const d = body && body.detail;
    if (Array.isArray(d)) return d.map((p) => `${p.field ? p.field + ": " : ""}${p.reason || ""}${p.hint ? " (hint: " + p.hint + ")" : ""}`).join("; ");
    return typeof d === "object" ? JSON.stringify(d) : String(d ?? "");
  }

  async function approve(id) {
    const out = document.getElementById("request-approval");
    out.innerHTML = "<p class='muted'>approving…</p>";
    const {ok, status, body} = await api(`/api/requests/${encodeURIComponent(id)}/approve`, {method: "POST", body: "{}"});
    out.innerHTML = ok ? `<p class="notice ok" id="req-approved">approved ${esc(body.id)}: patch ${esc(body.patch)}</p>`
      : `<p class="notice bad" id="req-approve-error">${status}: ${esc(problemText(body))}</p>`;
    listRequests();
  }

  async function listRequests() {
    const el = document.getElementById("request-list");
    const {ok, body} = await api("/api/requests");
    if (!ok) { el.textContent = problemText(body) || "cannot list requests"; return; }
    const rows = Array.isArray(body) ? body : (body.requests || []);
    const approver = el.dataset.approve === "1";
    el.innerHTML = rows.length ? `<table><tr><th>id</th><th>kind</th><th>verdict</th><th>status</th><th>by</th><th>summary</th>${approver ? "<th></th>" : ""}</tr>${rows.map((r) => `<tr data-id="${esc(r.id)}"><td>${esc(r.id)}</td><td>${esc(r.kind)}</td><td>${esc(r.verdict || "")}</td><td>${esc(r.status || "")}</td><td>${esc((r.requested_by || {}).name || "")}</td><td>${esc(r.summary || "")}</td>${approver ? `<td>${r.status === "pending" ? `<button type="button" class="req-approve" data-id="${esc(r.id)}">Approve</button>` : ""}</td>` : ""}</tr>`).join("")}</table>` : "none yet";
    for (const b of el.querySelectorAll("button.req-approve")) b.addEventListener("click", () => approve(b.dataset.id));
  }

  function requests() {
    const form = document.getElementById("request-form");
    const kind = document.getElementById("req-kind");
    const show = () => {
      for (const fs of form.querySelectorAll("fieldset")) {
        const on = fs.dataset.kind === kind.value;
        fs.style.display = on ? "" : "none";
        for (const i of fs.querySelectorAll("input,select")) i.disabled = !on;
      }
    };
    kind.addEventListener("change", show);
    show();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = {kind: kind.value};
      for (const i of form.querySelectorAll("fieldset input:enabled, fieldset select:enabled")) {
        const v = i.value.trim();
        if (v === "") continue;
        if (i.dataset.list) data[i.name] = v.split(",").map((x) => x.trim()).filter(Boolean);
        else if (i.type === "number") data[i.name] = Number(v);
        else data[i.name] = v;
      }
      const out = document.getElementById("request-result");
      out.innerHTML = "<p class='muted'>planning the patched estate…</p>";
      const {ok, status, body} = await api("/api/requests", {method: "POST", body: JSON.stringify(data)});
      out.innerHTML = ok ? showOutcome(body) : `<p class="notice bad" id="req-error">${status}: ${esc(problemText(body))}${body.field && !Array.isArray(body.detail) ? " (field " + esc(body.field) + ")" : ""}</p>`;
      listRequests();
    });
    listRequests();
  }

  return {api, topology, feeds, incidentActions, requests};
})();
