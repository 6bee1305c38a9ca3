// Charts drawn as SVG polylines from /api/charts, refreshed every sampling interval. Written for this console.
"use strict";
(function () {
  const root = document.getElementById("charts");
  if (!root) return;
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f6fdb", "#23824a", "#c0392b", "#8e44ad", "#d68910", "#16a085", "#7f8c8d", "#2c3e50"];
  const group = root.dataset.group;
  const interval = Math.max(1, parseFloat(root.dataset.interval) || 10) * 1000;

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // series: [{name, points: [[t, v], ...]}]
  function draw(svg, legend, series) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    legend.textContent = "";
    const w = svg.clientWidth || 800, h = svg.clientHeight || 220, left = 56, bottom = 20;
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    let t0 = Infinity, t1 = -Infinity, vmax = 0;
    for (const s of series) for (const [t, v] of s.points) {
      t0 = Math.min(t0, t); t1 = Math.max(t1, t); vmax = Math.max(vmax, v);
    }
    if (!isFinite(t0)) { svg.appendChild(el("text", {x: left, y: h / 2, class: "muted"}, "no samples yet")); return; }
    if (t1 === t0) t1 = t0 + 1;
    vmax = vmax > 0 ? vmax * 1.1 : 1;
    const x = t => left + (t - t0) / (t1 - t0) * (w - left - 8);
    const y = v => (h - bottom) - v / vmax * (h - bottom - 8);
    for (let i = 0; i <= 4; i++) {
      const v = vmax * i / 4;
      svg.appendChild(el("line", {x1: left, x2: w - 8, y1: y(v), y2: y(v), stroke: "#eef1f6"}));
      svg.appendChild(el("text", {x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#6b7385"},
        v >= 100 ? Math.round(v).toString() : v.toFixed(1)));
    }
    for (const t of [t0, t1]) {
      svg.appendChild(el("text", {x: x(t), y: h - 4, "text-anchor": t === t0 ? "start" : "end", "font-size": 11,
        fill: "#6b7385"}, new Date(t * 1000).toLocaleTimeString()));
    }
    series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      const last = s.points.length ? s.points[s.points.length - 1][1] : 0;
      svg.appendChild(el("polyline", {points: pts, fill: "none", stroke: color, "stroke-width": 2,
        "data-series": s.name, "data-last": last}));
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = color;   // a CSSOM property, allowed by the page's style-src 'self'
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(`${s.name}: ${Number.isInteger(last) ? last : last.toFixed(1)}`));
      legend.appendChild(item);
    });
  }

  function render(data) {
    const err = document.getElementById("chart-error");
    err.hidden = !data.error;
    err.textContent = data.error ? `The cluster did not answer the last sample: ${data.error}` : "";
    const rates = [];
    for (const [name, pts] of Object.entries(data.brokers)) {
      rates.push({name: `${name} put`, points: pts.map(p => [p[0], p[1]])});
      rates.push({name: `${name} get`, points: pts.map(p => [p[0], p[2]])});
    }
    draw(document.getElementById("rates"), document.getElementById("rates-legend"), rates);
    const lags = Object.entries(data.groups).map(([g, pts]) => ({name: g, points: pts.map(p => [p[0], p[1]])}));
    draw(document.getElementById("lag"), document.getElementById("lag-legend"), lags);
    const rows = document.getElementById("lag-rows");
    rows.textContent = "";
    for (const [g, pts] of Object.entries(data.groups)) {
      const last = pts[pts.length - 1];
      const tr = document.createElement("tr");
      tr.dataset.testid = "lag-row";
      tr.dataset.group = g;
      for (const [text, cls] of [[g, ""], [String(last[1]), "n"], [last[2].toFixed(1), "n"],
                                 [new Date(last[0] * 1000).toLocaleTimeString(), ""]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      rows.appendChild(tr);
    }
    root.dataset.samples = data.samples;
  }

  async function refresh() {
    try {
      const r = await fetch("/api/charts" + (group ? "?group=" + encodeURIComponent(group) : ""),
                            {credentials: "same-origin"});
      render(await r.json());
    } catch (e) {
      const err = document.getElementById("chart-error");
      err.hidden = false;
      err.textContent = `The console did not answer: ${e}`;
    }
  }
  refresh();
  setInterval(refresh, interval);
})();
