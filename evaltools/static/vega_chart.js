// evaltools.charts.browser.VegaChart: a Vega-Lite spec drawn in the browser (SVG renderer).
// Vega and Vega-Lite are the vendored UMD builds that Python prepends to this module (they set
// globalThis.vega and globalThis.vegaLite once per page); nothing is fetched from the network.
//
// A new spec is compiled (Vega-Lite → Vega) and drawn in a new view. When only the rows of the
// spec's named datasets changed (the `data` trait), they go into the view already drawn
// (view.data + runAsync): no compile, no new view. Drawings asked for while one runs are
// coalesced: when it ends, the model's latest state is drawn once.

function offlineLoader(vega) {
  const loader = vega.loader();
  const refuse = (uri) => Promise.reject(new Error(`evaltools charts are offline: ${uri}`));
  loader.load = refuse;
  loader.http = refuse;
  loader.file = refuse;
  return loader;
}

function setRows(view, data) {
  for (const [name, rows] of Object.entries(data || {})) {
    try {
      view.data(name, rows);
    } catch (err) {  // a dataset the spec does not have: say so, draw the rest
      console.warn(`evaltools chart: ${err}`);
    }
  }
}

function render({ model, el }) {
  const vega = globalThis.vega;
  const vl = globalThis.vegaLite;
  const loader = offlineLoader(vega);
  let view = null;
  let drawnSpec = null;  // the spec object `view` was made from
  let busy = false;
  let again = false;
  let closed = false;
  let draws = 0;
  el.classList.add("evaltools-vega-chart");

  async function drawLatest() {
    const spec = model.get("spec");
    const data = model.get("data");
    const revision = model.get("revision");
    const t0 = performance.now();
    let kind = "spec";
    if (!spec || Object.keys(spec).length === 0) {
      if (view) view.finalize();
      view = null;
      drawnSpec = null;
      el.replaceChildren();
    } else if (view && spec === drawnSpec) {
      kind = "data";
      setRows(view, data);
      await view.runAsync();
    } else {
      const runtime = vega.parse(vl.compile(spec).spec);
      const box = document.createElement("div");
      const next = new vega.View(runtime, { renderer: "svg", container: box, loader, hover: true });
      setRows(next, data);
      await next.runAsync();
      if (closed) {
        next.finalize();
        return;
      }
      if (view) view.finalize();
      view = next;
      drawnSpec = spec;
      el.replaceChildren(box);
    }
    el.dataset.revision = String(revision);  // what a test or benchmark waits for
    el.dataset.drawKind = kind;
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
    el.dataset.draws = String(++draws);  // how many drawings (coalesced ones count once)
  }

  async function draw() {
    if (busy) {  // drawn when the running drawing ends, with the state of then
      again = true;
      return;
    }
    busy = true;
    do {
      again = false;
      try {
        await drawLatest();
      } catch (err) {
        console.error("evaltools chart", err);
      }
    } while (again && !closed);
    busy = false;
  }

  model.on("change:revision", draw);
  draw();
  return () => {
    closed = true;
    model.off("change:revision", draw);
    if (view) view.finalize();
  };
}

export default { render };
