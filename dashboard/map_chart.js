// A large map that stays mounted across reruns (see map_chart.py): Streamlit calls this
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

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const gd = parentElement.querySelector(".sb-map");
  const st = gd[STATE] || (gd[STATE] = { sig: null, shapes: null, selected: false, hidden: {}, lastShapes: [], queue: Promise.resolve() });
  const visible = (shapes) => shapes.map((s) => (st.hidden[s.legendgroup] ? { ...s, visible: false } : s));
  const config = { displaylogo: false };
  // runs one after another: a second rerun waits until the previous draw is done
  st.queue = st.queue.then(() => loadPlotly(data.plotly)).then(async (Plotly) => {
    if (st.sig !== data.sig) {
      const fig = JSON.parse(data.fig);
      fig.layout.shapes = visible(data.shapes);
      gd.style.height = (fig.layout.height || 380) + "px";
      if (st.sig === null) {
        await Plotly.newPlot(gd, fig.data, fig.layout, config);
        gd.on("plotly_click", (ev) => setTriggerValue("selection", selectionEvent(ev && ev.points)));
        gd.on("plotly_selected", (ev) => {
          if (!ev || !ev.points || !ev.points.length) return;
          st.selected = true;
          setTriggerValue("selection", selectionEvent(ev.points));
        });
        // the legend entries of the anchors / highlighted samples show or hide their shapes
        gd.on("plotly_legendclick", (ev) => {
          const t = ev.data[ev.curveNumber];
          if (!t || t.meta !== "overlay") return true;
          st.hidden[t.legendgroup] = !st.hidden[t.legendgroup];
          Plotly.relayout(gd, { shapes: visible(st.lastShapes) });
          return false;
        });
        gd.on("plotly_legenddoubleclick", (ev) => { const t = ev.data[ev.curveNumber]; return !(t && t.meta === "overlay"); });
        new ResizeObserver(() => Plotly.Plots.resize(gd)).observe(gd);
      } else {
        await Plotly.react(gd, fig.data, fig.layout, config);
      }
      st.sig = data.sig;
      st.selected = false;
    } else if (st.shapes !== JSON.stringify(data.shapes) || st.selected) {
      // same points: only the anchors / highlighted samples moved (layout shapes, no WebGL redraw)
      if (st.selected) {  // clear the box / lasso of the selection just reported
        await Plotly.update(gd, { selectedpoints: [null] }, { shapes: visible(data.shapes), selections: [] });
        st.selected = false;
      } else {
        await Plotly.relayout(gd, { shapes: visible(data.shapes) });
      }
    }
    st.shapes = JSON.stringify(data.shapes);
    st.lastShapes = data.shapes;
    gd.dataset.sig = data.sig;
  }).catch((err) => {
    parentElement.textContent = "This map could not be drawn: " + err.message + ". Reload the page; if it persists, reinstall plotly.";
  });
  // when Streamlit removes the map: free its WebGL contexts (Chromium keeps 16; past that it drops the oldest)
  return () => { if (window.Plotly && gd.isConnected === false) window.Plotly.purge(gd); };
}
