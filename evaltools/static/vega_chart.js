// evaltools.charts.browser.VegaChart: a Vega-Lite spec drawn in the browser (SVG renderer).
// Vega and Vega-Lite are the vendored UMD builds that Python prepends to this module (they set
// globalThis.vega and globalThis.vegaLite once per page); nothing is fetched from the network.

function offlineLoader(vega) {
  const loader = vega.loader();
  const refuse = (uri) => Promise.reject(new Error(`evaltools charts are offline: ${uri}`));
  loader.load = refuse;
  loader.http = refuse;
  loader.file = refuse;
  return loader;
}

function render({ model, el }) {
  const vega = globalThis.vega;
  const vl = globalThis.vegaLite;
  const loader = offlineLoader(vega);
  let view = null;
  let seq = 0;
  el.classList.add("evaltools-vega-chart");

  async function draw() {
    const mine = ++seq;
    const spec = model.get("spec");
    const revision = model.get("revision");
    const t0 = performance.now();
    if (!spec || Object.keys(spec).length === 0) {
      if (view) view.finalize();
      view = null;
      el.replaceChildren();
    } else {
      const runtime = vega.parse(vl.compile(spec).spec);
      const box = document.createElement("div");
      const next = new vega.View(runtime, { renderer: "svg", container: box, loader, hover: true });
      await next.runAsync();
      if (mine !== seq) {  // a newer spec arrived meanwhile: it is drawn instead
        next.finalize();
        return;
      }
      if (view) view.finalize();
      view = next;
      el.replaceChildren(box);
    }
    el.dataset.revision = String(revision);  // what a test or benchmark waits for
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
  }

  model.on("change:revision", draw);
  draw();
  return () => {
    seq += 1;
    if (view) view.finalize();
  };
}

export default { render };
