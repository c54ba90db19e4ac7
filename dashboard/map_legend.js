// The shared legend of Explore's maps (see map_legend.py). Every string is set as text: class names are the user's.
const STAR = "M0,-5L1.5,-1.8L5,-1.6L2.3,0.8L3.1,4.2L0,2.3L-3.1,4.2L-2.3,0.8L-5,-1.6L-1.5,-1.8Z";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgMark(kind, color, opacity) {  // a star (anchors) or a ring (highlighted), as the maps draw them
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("viewBox", "-7 -7 14 14");
  const shape = document.createElementNS(ns, kind === "anchors" ? "path" : "circle");
  if (kind === "anchors") {
    shape.setAttribute("d", STAR);
    shape.setAttribute("fill", color);
    shape.setAttribute("stroke", "#ffffff");
    shape.setAttribute("stroke-width", "0.8");
  } else {
    shape.setAttribute("r", "5.5");
    shape.setAttribute("fill", "none");
    shape.setAttribute("stroke", color);
    shape.setAttribute("stroke-width", "2");
  }
  svg.setAttribute("opacity", String(opacity));
  svg.appendChild(shape);
  return svg;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".sb-legend");
  let current = data.isolate === undefined ? null : data.isolate;
  const pick = (value) => {
    current = value;
    render();
    setTriggerValue("pick", { isolate: value });  // the state wanted, not a toggle: a repeated event changes nothing
  };
  function render() {
    root.replaceChildren();
    root.appendChild(el("span", "sb-title", data.title + ":"));
    for (const e of data.entries) {
      const on = current === e.key;
      const item = el("button", "sb-item" + (current === null ? "" : on ? " sb-on" : " sb-off"));
      item.type = "button";
      item.title = on ? "Click (or double-click) to show every class again" : "Click to isolate this class on the four maps";
      item.dataset.key = e.key;
      const dot = el("span", "sb-dot");
      dot.style.background = e.color;
      item.append(dot, el("span", "", e.key));
      item.addEventListener("click", () => pick(current === e.key ? null : e.key));
      item.addEventListener("dblclick", () => pick(null));
      root.appendChild(item);
    }
    for (const s of data.scales) {
      const box = el("span", "sb-scale");
      const bar = el("span", "sb-bar");
      bar.style.background = "linear-gradient(to right, " + s.stops.join(", ") + ")";
      // one scale is named by the legend's title already: its name is not written twice
      if (s.title !== data.title) box.append(el("span", "", s.title));
      box.append(el("span", "", s.lo), bar, el("span", "", s.hi));
      root.appendChild(box);
    }
    if (data.overlays.length) root.appendChild(el("span", "sb-sep"));
    for (const o of data.overlays) {
      const box = el("span", "sb-overlay");
      box.dataset.kind = o.kind;
      box.append(svgMark(o.kind, o.color, o.opacity), el("span", "", o.label));
      root.appendChild(box);
    }
    if (data.entries.length) {
      root.appendChild(el("span", "sb-hint", current === null ? "click a class to isolate it" : "click it again to show all"));
    }
  }
  render();
}
