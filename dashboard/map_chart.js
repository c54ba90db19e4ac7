// A map that stays mounted across reruns (see map_chart.py): Streamlit calls this
// function on every run with the new data; the plot lives on in the same element.
const STATE = "__stitchboardMap";

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__stitchboardPlotly) {
    window.__stitchboardPlotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => {
        window.__stitchboardPlotly = null;
        reject(new Error("plotly.js did not load from " + url));
      };
      document.head.appendChild(s);
    });
  }
  return window.__stitchboardPlotly;
}

function selectionEvent(points) {
  // as st.plotly_chart reports it; customdata's first column is the sample id (typed arrays become plain lists)
  return { selection: { points: (points || []).map((p) => ({ customdata: Array.from(p.customdata || []) })) } };
}

// Panning: plotly.js redraws every point on each mouse move of a pan drag, too slow at 100k points in a browser
// without GPU (software WebGL) for the map to follow the mouse. Instead, while a pan drag lasts the picture already
// drawn is moved (a CSS translation, clipped to the plot area) and WebGL draws nothing; the points are drawn once,
// at the new ranges, on release.
// Points that come into view from outside are blank until then, as in plotly's own SVG maps.
function steadyPan(gd) {
  const held = { on: false, skipped: 0, drawn: 0, off: false, canvases: [] };
  gd.__stitchboardPan = held;  // read by the browser test; the benchmark sets off to time plotly.js' own pan
  const contexts = () => Array.from(gd.querySelectorAll(".gl-canvas"))
    .map((c) => [c, c.__data__ && c.__data__.regl && c.__data__.regl._gl]).filter(([, gl]) => gl);
  const hook = (gl) => {  // once per WebGL context: its draw and clear calls do nothing while a pan is held
    if (gl.__stitchboardHeld) return;
    gl.__stitchboardHeld = true;
    for (const f of ["drawArrays", "drawElements", "clear"]) {
      const orig = gl[f];
      gl[f] = function (...args) {
        if (held.on) { held.skipped += 1; return undefined; }
        held.drawn += 1;
        return orig.apply(this, args);
      };
    }
  };
  const move = (dx, dy) => {  // the picture by (dx, dy) px, clipped to the plot area in its own (moved) coordinates
    const L = gd._fullLayout, s = L && L._size;
    for (const c of held.canvases) {
      if (!(dx || dy) || !s) { c.style.transform = ""; c.style.clipPath = ""; continue; }
      const top = Math.max(0, s.t - dy), left = Math.max(0, s.l - dx);
      const right = Math.max(0, L.width - (s.l + s.w - dx)), bottom = Math.max(0, L.height - (s.t + s.h - dy));
      c.style.transform = `translate(${dx}px, ${dy}px)`;
      c.style.clipPath = `inset(${top}px ${right}px ${bottom}px ${left}px)`;
    }
  };
  const release = () => {
    if (!held.on) return;
    held.on = false;
    move(0, 0);
    const { skipped, drawn } = held;
    // plotly.js redraws at the new ranges when the drag ends; if nothing was drawn since (a rerun's update came
    // in mid-drag, or the drag was not plotly's), draw the current ranges
    setTimeout(() => {
      const L = gd._fullLayout;
      if (skipped && held.drawn === drawn && L && window.Plotly) {
        window.Plotly.relayout(gd, { "xaxis.range": L.xaxis.range.slice(), "yaxis.range": L.yaxis.range.slice() });
      }
    }, 0);
  };
  gd.addEventListener("pointerdown", (ev) => {  // capture: before plotly's own drag handler
    const L = gd._fullLayout;
    if (held.off || !L || L.dragmode !== "pan" || ev.button !== 0 || !ev.target.classList.contains("nsewdrag")) return;
    const ctx = contexts();
    if (!ctx.length) return;
    ctx.forEach(([, gl]) => hook(gl));
    Object.assign(held, { on: true, skipped: 0, canvases: ctx.map(([c]) => c).concat(Array.from(gd.querySelectorAll("svg.sb-marks"))), x: L.xaxis.range.slice(), y: L.yaxis.range.slice(), len: [L.xaxis._length, L.yaxis._length] });
  }, true);
  gd.on("plotly_relayouting", () => {
    if (!held.on) return;
    const x = gd._fullLayout.xaxis.range, y = gd._fullLayout.yaxis.range;
    const sx = held.x[1] - held.x[0], sy = held.y[1] - held.y[0];
    if (Math.abs((x[1] - x[0]) / sx - 1) > 1e-9 || Math.abs((y[1] - y[0]) / sy - 1) > 1e-9) { release(); return; }  // a zoom: redraw
    move(((held.x[0] - x[0]) / sx) * held.len[0], ((y[1] - held.y[1]) / sy) * held.len[1]);
  });
  const ends = ["pointerup", "pointercancel", "blur"];
  ends.forEach((t) => window.addEventListener(t, release, true));
  return () => ends.forEach((t) => window.removeEventListener(t, release, true));
}

// A modebar button that shows the map alone on the screen (as st.plotly_chart's toolbar does), and back.
function fullscreenButton(root, gd, st) {
  const fit = () => {
    const on = document.fullscreenElement === root;
    root.style.background = on ? "white" : "";
    gd.style.height = (on ? window.innerHeight : st.height) + "px";
    if (window.Plotly && gd._fullLayout && gd.offsetParent) window.Plotly.Plots.resize(gd).catch(() => {});  // size from the element
  };
  document.addEventListener("fullscreenchange", fit);
  st.unfullscreen = () => document.removeEventListener("fullscreenchange", fit);
  return {
    name: "fullscreen",
    title: "Full screen (Esc to leave)",
    icon: { width: 1000, height: 1000, path: "M0 0H380V110H110V380H0ZM620 0H1000V380H890V110H620ZM1000 620V1000H620V890H890V620ZM0 620H110V890H380V1000H0Z" },
    click: () => (document.fullscreenElement ? document.exitFullscreen() : root.requestFullscreen()),
  };
}

// The category traces' looks while one category is isolated (by the page's shared legend): the others dimmed.
// Returns the trace indices and a Plotly.restyle update; with no isolated category, every trace's own look.
function isolation(traces, isolate, dimmed) {
  const idx = [], color = [], opacity = [], size = [];
  traces.forEach((t, i) => {
    if (t.legendgroup === undefined || !t.marker) return;  // a colour scale's trace: nothing to isolate
    const on = isolate === null || t.legendgroup === isolate;
    idx.push(i);
    color.push(on ? t.marker.color : dimmed.color);
    opacity.push(on ? t.marker.opacity : dimmed.opacity);
    size.push(on ? t.marker.size : t.marker.size * dimmed.size);
  });
  return { idx, update: { "marker.color": color, "marker.opacity": opacity, "marker.size": size } };
}

function isolated(traces, iso) {  // a copy of the traces with the isolation's looks, for newPlot / react
  const out = traces.slice();
  iso.idx.forEach((i, k) => {
    out[i] = { ...traces[i], marker: { ...traces[i].marker, color: iso.update["marker.color"][k],
      opacity: iso.update["marker.opacity"][k], size: iso.update["marker.size"][k] } };
  });
  return out;
}

// The stars (anchors) and rings (highlighted samples) of a map: one SVG path each, in an overlay above the WebGL
// points, redrawn from the axes after every plot, relayout and pan step. As plotly.js layout shapes (one SVG element
// per star, laid out and painted anew on each edit) they were a large share of an edit's browser work.
const SVGNS = "http://www.w3.org/2000/svg";

function markOffsets(path) {  // a shape's pixel path "M0,5L1.5,1.8...Z" (y up) as [[dx, dy], ...] on screen (y down)
  return Array.from(path.matchAll(/(-?[\d.]+),(-?[\d.]+)/g), (m) => [Number(m[1]), -Number(m[2])]);
}

function marksLayer(gd) {
  let svg = gd.querySelector("svg.sb-marks");
  if (svg) return svg;
  svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("class", "sb-marks");
  svg.style.cssText = "position:absolute;top:0;left:0;pointer-events:none;overflow:hidden";
  const clip = document.createElementNS(SVGNS, "clipPath");
  clip.id = "sbclip" + Math.random().toString(36).slice(2);
  clip.appendChild(document.createElementNS(SVGNS, "rect"));
  const g = document.createElementNS(SVGNS, "g");
  g.setAttribute("clip-path", `url(#${clip.id})`);
  for (const name of ["highlighted", "anchors"]) {  // stars above the rings: rings round a whole class must not dim them
    const p = document.createElementNS(SVGNS, "path");
    p.setAttribute("class", "sb-" + name);
    g.appendChild(p);
  }
  svg.append(clip, g);
  const glc = gd.querySelector(".gl-container");  // above the WebGL points, below plotly's hover labels
  if (glc) glc.after(svg); else gd.querySelector(".svg-container").appendChild(svg);
  return svg;
}

function drawMarks(gd, marks) {
  const L = gd._fullLayout;
  if (!L || !L._size || !L.xaxis || !L.xaxis.l2p) return;
  const svg = marksLayer(gd), s = L._size, xa = L.xaxis, ya = L.yaxis;
  svg.setAttribute("width", L.width);
  svg.setAttribute("height", L.height);
  const rect = svg.querySelector("rect");
  rect.setAttribute("x", s.l); rect.setAttribute("y", s.t); rect.setAttribute("width", s.w); rect.setAttribute("height", s.h);
  const at = [];
  for (const name of ["highlighted", "anchors"]) {
    const path = svg.querySelector(".sb-" + name), group = (marks || []).filter((m) => m.legendgroup === name);
    let d = "";
    for (const m of group) {
      const x = xa._offset + xa.l2p(m.xanchor), y = ya._offset + ya.l2p(m.yanchor);
      at.push({ group: name, x: m.xanchor, y: m.yanchor });
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (m.type === "circle") {
        const r = (m.x1 - m.x0) / 2;
        d += `M${(x - r).toFixed(1)},${y.toFixed(1)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
      } else {
        const off = m.__off || (m.__off = markOffsets(m.path));
        d += off.map(([dx, dy], i) => `${i ? "L" : "M"}${(x + dx).toFixed(1)},${(y + dy).toFixed(1)}`).join("") + "Z";
      }
    }
    const look = group[0];
    path.setAttribute("d", d);
    if (look) {
      path.setAttribute("fill", look.type === "circle" ? "none" : look.fillcolor);
      path.setAttribute("opacity", look.opacity === undefined ? 1 : look.opacity);
      path.setAttribute("stroke", (look.line && look.line.color) || "none");
      path.setAttribute("stroke-width", (look.line && look.line.width) || 0);
    }
  }
  gd.__stitchboardMarks = at;  // read by the browser tests: which samples carry a star / ring
}

// The points of each map come in an element of their own (map_chart.show_map), by the map's key: unchanged, Streamlit
// sends that element as a reference to the copy the browser has, so an anchor edit sends the stars alone.
const POINTS = (window.__stitchboardPoints = window.__stitchboardPoints || new Map());

function pointsFor(key, sig) {
  const have = POINTS.get(key);
  if (have && have.sig === sig) return Promise.resolve(have.fig);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { window.removeEventListener("sb-points", on); reject(new Error("the points of this map did not arrive")); }, 120000);
    function on() {
      const got = POINTS.get(key);
      if (got && got.sig === sig) {
        clearTimeout(timer);
        window.removeEventListener("sb-points", on);
        resolve(got.fig);
      }
    }
    window.addEventListener("sb-points", on);
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (data.preload) {  // map_chart.preload: only fetch and evaluate plotly.js, while the page waits for its maps
    loadPlotly(data.plotly).catch(() => {});  // a map drawn later tells the error
    return undefined;
  }
  if (data.points) {  // the points of the map data.key (no element of its own to draw)
    POINTS.set(data.key, { sig: data.sig, fig: data.points });
    window.dispatchEvent(new Event("sb-points"));
    return undefined;
  }
  const gd = parentElement.querySelector(".sb-map");
  const st = gd[STATE] || (gd[STATE] = { sig: null, shapes: null, selected: false, isolate: null, traces: [], queue: Promise.resolve() });
  // the app's one plotly config (figures.PLOTLY_CONFIG: no logo, no "Share chart"), plus: WebGL canvases at the
  // screen's pixel ratio (plotly.js defaults to 2, which on a 1x screen draws 4x the pixels) and a full-screen button
  st.config = st.config || { ...(data.config || {}), plotGlPixelRatio: Math.min(4, Math.max(1, window.devicePixelRatio || 1)),
    modeBarButtonsToAdd: [fullscreenButton(parentElement, gd, st)] };
  const config = st.config;
  const isolate = data.isolate === undefined ? null : data.isolate;
  const shapesText = JSON.stringify(data.shapes);  // compared with the last run's: did the stars move?
  // runs one after another: a second rerun waits until the previous draw is done
  st.queue = st.queue.then(() => loadPlotly(data.plotly)).then(async (Plotly) => {
    if (st.sig !== data.sig) {
      const fig = JSON.parse(data.fig === undefined ? await pointsFor(data.key, data.sig) : data.fig);
      st.traces = fig.data;  // their own looks, to restore after an isolation
      fig.data = isolated(fig.data, isolation(fig.data, isolate, data.dimmed));
      st.marks = data.shapes;
      st.height = fig.layout.height || 380;
      if (document.fullscreenElement === parentElement) fig.layout.height = window.innerHeight;
      gd.style.height = fig.layout.height + "px";
      if (st.sig === null) {
        await Plotly.newPlot(gd, fig.data, fig.layout, config);
        gd.on("plotly_click", (ev) => setTriggerValue("selection", selectionEvent(ev && ev.points)));
        gd.on("plotly_selected", (ev) => {
          if (!ev || !ev.points || !ev.points.length) return;
          st.selected = true;
          setTriggerValue("selection", selectionEvent(ev.points));
        });
        // hidden (a stale element, a page change): plotly.js rejects the resize, and the next size change redoes it
        new ResizeObserver(() => { if (gd.isConnected && gd.offsetParent) Plotly.Plots.resize(gd).catch(() => {}); })
          .observe(gd);
        const redraw = () => drawMarks(gd, st.marks);
        gd.on("plotly_afterplot", redraw);
        gd.on("plotly_relayout", redraw);
        gd.on("plotly_relayouting", () => { if (!(gd.__stitchboardPan && gd.__stitchboardPan.on)) redraw(); });
        st.unpan = steadyPan(gd);
      } else {
        await Plotly.react(gd, fig.data, fig.layout, config);
      }
      drawMarks(gd, st.marks);
      st.sig = data.sig;
      st.selected = false;
    } else {
      if (st.isolate !== isolate) {  // same points, another isolated category: their colours only
        const iso = isolation(st.traces, isolate, data.dimmed);
        if (iso.idx.length) await Plotly.restyle(gd, iso.update, iso.idx);
      }
      if (st.shapes !== shapesText) {  // same points: only the anchors / highlighted samples moved (no WebGL redraw)
        st.marks = data.shapes;
        drawMarks(gd, st.marks);
      }
      if (st.selected) {  // clear the box / lasso of the selection just reported
        await Plotly.update(gd, { selectedpoints: [null] }, { selections: [] });
        st.selected = false;
      }
    }
    st.isolate = isolate;
    st.shapes = shapesText;
  }).catch((err) => {
    parentElement.textContent = "This map could not be drawn: " + err.message + ". Reload the page; if it persists, reinstall plotly.";
  });
  // when Streamlit removes the map: free its WebGL contexts (Chromium keeps 16; past that it drops the oldest)
  return () => {
    if (window.Plotly && gd.isConnected === false) {
      window.Plotly.purge(gd);
      if (st.unpan) st.unpan();
      if (st.unfullscreen) st.unfullscreen();
    }
  };
}
