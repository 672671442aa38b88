"""Saved price maps in a real headless Chromium with every network request blocked.

Needs Debian's ``chromium`` at /usr/bin/chromium and the ``playwright`` pip
package (``.ci/browser-setup.sh`` installs both); skipped otherwise. The
browser is never downloaded: playwright drives the system Chromium.

Set ``NETPRICE_SCREENSHOTS=maps`` to keep the screenshots (e.g. in the
repository's ``maps/`` folder) instead of a temporary directory.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from netprice.maps import link_groups, price_map

try:
    from test_maps import N_LINKS, N_NODES, N_SATURATED, annotated_graph
except ImportError:  # tests/ imported as a package
    from tests.test_maps import N_LINKS, N_NODES, N_SATURATED, annotated_graph

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 800}

# The Leaflet map object, whatever variable name folium gave it.
_MAP_JS = "Object.values(window).find(v => window.L && v instanceof L.Map)"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser test needs Debian's chromium at /usr/bin/chromium "
                    "(bash .ci/browser-setup.sh, or apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="browser test needs the playwright pip package (pip install playwright; "
               "never 'playwright install': the system chromium is used)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots(tmp_path):
    out = os.environ.get("NETPRICE_SCREENSHOTS")
    path = Path(out) if out else tmp_path
    if not path.is_absolute():
        path = ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


class Offline:
    """A page whose only reachable URLs are file:// and data:."""

    def __init__(self, browser, html_path, viewport=VIEWPORT):
        self.blocked: list[tuple[str, str]] = []
        self.console: list[str] = []
        self.page = browser.new_page(viewport=viewport)
        self.page.route("**/*", self._route)
        self.page.on("console", lambda msg: msg.type == "error" and self.console.append(msg.text))
        self.page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        self.page.goto(Path(html_path).resolve().as_uri())
        self.page.wait_for_function(f"!!({_MAP_JS})", timeout=10_000)
        self.page.wait_for_timeout(300)  # let Leaflet finish fitBounds and draw

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            self.blocked.append((route.request.resource_type, url))
            route.abort()

    def count(self, selector):
        return self.page.evaluate(f"document.querySelectorAll({selector!r}).length")

    def hover_saturated_link(self):
        """Move the mouse onto a visible, uncovered point of a saturated link.

        Returns the text of the tooltip that opens.
        """
        point = self.page.evaluate(
            """() => {
              const map = %s;
              const box = map.getContainer().getBoundingClientRect();
              const links = [];
              map.eachLayer(l => {
                if (l instanceof L.Polyline && /np-saturated/.test(l.options.className || ''))
                  links.push(l);
              });
              for (const l of links) {
                const pts = l.getLatLngs().map(ll => map.latLngToContainerPoint(ll));
                for (const f of [0.5, 0.35, 0.65, 0.2, 0.8]) {
                  // walk a fraction f of the way along the drawn polyline
                  const seg = pts.slice(1).map((p, i) => p.distanceTo(pts[i]));
                  let left = f * seg.reduce((a, b) => a + b, 0), i = 0;
                  while (i < seg.length - 1 && left > seg[i]) { left -= seg[i]; i++; }
                  const t = seg[i] > 0 ? left / seg[i] : 0;
                  const x = box.left + pts[i].x + t * (pts[i + 1].x - pts[i].x);
                  const y = box.top + pts[i].y + t * (pts[i + 1].y - pts[i].y);
                  if (document.elementFromPoint(x, y) === l.getElement()) return {x, y};
                }
              }
              return null;
            }""" % _MAP_JS)
        assert point is not None, "no saturated link is visible and uncovered"
        self.page.mouse.move(point["x"] - 3, point["y"] - 3)
        self.page.mouse.move(point["x"], point["y"], steps=3)
        tooltip = self.page.locator(".leaflet-tooltip")
        tooltip.first.wait_for(state="visible", timeout=3_000)
        return tooltip.first.inner_text()


def _check_page(view, n_nodes, n_links, n_saturated, shots, name):
    page = view.page
    assert page.evaluate("typeof window.L") == "object", "Leaflet did not load"
    assert page.evaluate("L.version").startswith("1.9")
    # every script and stylesheet came from the page itself
    assert [r for r in view.blocked if r[0] not in ("image",)] == []
    assert view.count("path.np-node") == n_nodes
    assert view.count("path.np-link") == n_links
    assert view.count("path.np-saturated") == n_saturated
    assert view.count("path.np-halo") == n_saturated
    legend = page.locator(".np-legend")
    assert legend.is_visible()
    assert "$/Mtok" in legend.inner_text()
    assert page.locator(".leaflet-control-layers").is_visible()
    # the outlines draw without any tile server
    assert view.count(".leaflet-np-boundaries-pane path") > 10
    page.screenshot(path=str(shots / f"{name}-screenshot.png"))


def test_offline_map_without_tiles_loads_and_draws_everything(browser, tmp_path, shots):
    H = annotated_graph()
    path = tmp_path / "example.html"
    price_map(H, workload="chat", tiles=None).save(str(path))
    view = Offline(browser, path)
    try:
        assert view.blocked == []  # not a single request left the file
        assert view.console == []
        _check_page(view, N_NODES, N_LINKS, N_SATURATED, shots, "example")

        text = view.hover_saturated_link()
        assert "saturated" in text
        assert (("rent 40.00 $/h per Gbit/s" in text and "L4" in text)
                or ("rent 25.00 $/h per Gbit/s" in text and "D1" in text))

        # switching the layer switches the price scale in the legend
        scale = view.page.locator(".np-price-scale[data-workload='image']")
        assert not scale.is_visible()
        view.page.get_by_text("image (transfer)").click()
        assert scale.is_visible()
        assert not view.page.locator(".np-price-scale[data-workload='chat']").is_visible()
        assert view.count("path.np-node") == N_NODES
        assert view.console == []
    finally:
        view.page.close()


def test_offline_map_with_tiles_only_misses_the_tiles(browser, tmp_path, shots):
    H = annotated_graph()
    path = tmp_path / "tiles.html"
    price_map(H, tiles="auto").save(str(path))
    view = Offline(browser, path)
    try:
        _check_page(view, N_NODES, N_LINKS, N_SATURATED, shots, "example-tiles-blocked")
        assert view.blocked, "the OpenStreetMap layer should have asked for tiles"
        assert all(kind == "image" and "tile.openstreetmap.org" in url
                   for kind, url in view.blocked)
        # the only errors are the blocked tile images, nothing from the page's code
        assert all(msg.startswith("Failed to load resource") for msg in view.console)
        assert len(view.console) <= len(view.blocked)
    finally:
        view.page.close()


def test_us5_case_map(browser, tmp_path, shots, us5):
    import netprice as npx

    G = us5
    res = npx.clear_market(G, mode="transfer")
    H = npx.annotate(G, res)
    groups = link_groups(H)
    saturated = [k for k, arcs in groups if any(d.get("saturated") for _, _, d in arcs)]
    path = tmp_path / "us5.html"
    # the baseline result rides along as extra layers; the transfer layer shows first
    baseline = npx.annotate(G, npx.clear_market(G, mode="baseline"))
    price_map(H, compare=baseline).save(str(path))
    view = Offline(browser, path)
    try:
        _check_page(view, H.number_of_nodes(), len(groups), len(saturated), shots, "us5")
        assert all(kind == "image" for kind, _ in view.blocked)
        assert all(msg.startswith("Failed to load resource") for msg in view.console)
        if saturated:
            text = view.hover_saturated_link()
            assert "$/h per Gbit/s" in text and "saturated" in text
            rents = [d.get("rent") for k, arcs in groups if k in saturated for _, _, d in arcs
                     if d.get("saturated") and d.get("rent") is not None
                     and math.isfinite(d["rent"])]
            shown = [float(v.replace(",", "")) for v in
                     re.findall(r"rent ([\d,.]+) \$/h per Gbit/s", text)]
            assert shown and all(any(math.isclose(v, r, rel_tol=1e-3, abs_tol=1e-6)
                                     for r in rents) for v in shown)
    finally:
        view.page.close()



# -- readable at any size ------------------------------------------------------------------------

LAPTOP = {"width": 1280, "height": 720}

# Every node's marker box against every control's box (zoom, layers, legend,
# scale, attribution), in page pixels; also whether each node is on screen.
_UNDER_CONTROLS_JS = """() => {
  const map = %s;
  const box = map.getContainer().getBoundingClientRect();
  const controls = [...map.getContainer().querySelectorAll('.leaflet-control')]
    .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height);
  const nodes = [];
  map.eachLayer(l => {
    if (l instanceof L.CircleMarker && (l.options.npNode !== undefined ||
        /np-node/.test(l.options.className || ''))) {
      const p = map.latLngToContainerPoint(l.getLatLng()), r = l.getRadius() + 2;
      nodes.push({left: box.left + p.x - r, right: box.left + p.x + r,
                  top: box.top + p.y - r, bottom: box.top + p.y + r});
    }
  });
  const hidden = [], off = [];
  nodes.forEach((n, i) => {
    if (n.left < box.left || n.right > box.right || n.top < box.top || n.bottom > box.bottom)
      off.push(i);
    controls.forEach((c, j) => {
      if (n.right > c.left && n.left < c.right && n.bottom > c.top && n.top < c.bottom)
        hidden.push([i, j]);
    });
  });
  return {nodes: nodes.length, controls: controls.length, hidden: hidden, off: off};
}""" % _MAP_JS


@pytest.mark.parametrize("name", ["us5", "us20"])
def test_no_node_under_a_control_or_the_legend_on_a_laptop_screen(browser, tmp_path, shots, name):
    import netprice as npx

    G = npx.read_geojson(npx.dataset_path(name))
    transfer = npx.annotate(G, npx.clear_market(G, mode="transfer"))
    baseline = npx.annotate(G, npx.clear_market(G, mode="baseline"))
    path = tmp_path / f"{name}.html"
    # as `netprice clear --mode both --map` draws it: eight layers in the layer list
    price_map(transfer, compare=baseline).save(str(path))
    view = Offline(browser, path, viewport=LAPTOP)
    try:
        found = view.page.evaluate(_UNDER_CONTROLS_JS)
        assert found["nodes"] == G.number_of_nodes() and found["controls"] >= 5
        assert found["hidden"] == [] and found["off"] == [], found
        view.page.screenshot(path=str(shots / f"{name}-1280x720.png"))
    finally:
        view.page.close()


def test_node_names_layer_toggles(browser, tmp_path):
    path = tmp_path / "names.html"
    price_map(annotated_graph(), tiles=None).save(str(path))
    view = Offline(browser, path, viewport=LAPTOP)
    try:
        labels = view.page.locator(".np-label")
        assert sorted(labels.all_inner_texts()) == sorted(
            ["Seattle", "San Francisco", "Chicago", "Dallas", "New York"])
        view.page.get_by_text("Node names").click()
        assert labels.count() == 0
        view.page.get_by_text("Node names").click()
        assert labels.count() == N_NODES
        assert view.console == []
    finally:
        view.page.close()


def test_legend_ticks_do_not_touch_on_a_narrow_price_range(browser, tmp_path):
    H = annotated_graph()
    for _, d in H.nodes(data=True):
        d["price"]["chat"] = 0.21078 + 0.0005 * (d["lon"] + 122.42) / 48.41
    path = tmp_path / "narrow.html"
    price_map(H, tiles=None).save(str(path))
    view = Offline(browser, path, viewport=LAPTOP)
    try:
        boxes = view.page.evaluate("""() => [...document.querySelectorAll(
            ".np-price-scale[data-workload='chat'] text")].map(t => {
              const r = t.getBoundingClientRect(); return [r.left, r.right, t.textContent]; })""")
        assert len(boxes) >= 2
        for (_, right, a), (left, _, b) in zip(boxes, boxes[1:]):
            assert right + 2 <= left, (a, b)
    finally:
        view.page.close()


def _grid(n):
    """An n x n annotated grid with made-up results: a network too large for SVG."""
    import networkx as nx

    H = nx.DiGraph(workloads={"chat": {"latency_ms": None}, "image": {"latency_ms": None}},
                   result={"mode": "transfer", "objective": 1.0})
    for i in range(n):
        for j in range(n):
            site = (i * n + j) % 17 == 0
            H.add_node(f"g{i}-{j}", lon=-100 + 0.2 * j, lat=40 - 0.2 * i,
                       capacity=1e6 if site else 0.0, compute_used=5e5 if site else 0.0,
                       utilisation=0.5 if site else math.nan, scarcity=0.0,
                       price={"chat": 1.0 + 0.01 * (i + j), "image": 20.0 + j},
                       price_parts={w: {p: 0.1 for p in ("processing", "scarcity", "transport",
                                                          "congestion", "unserved")}
                                    for w in ("chat", "image")},
                       demand={"chat": 10.0}, served={"chat": 10.0})
    for i in range(n):
        for j in range(n):
            for a, b in (((i, j), (i, j + 1)), ((i, j), (i + 1, j))):
                if b[0] < n and b[1] < n:
                    u, v = f"g{a[0]}-{a[1]}", f"g{b[0]}-{b[1]}"
                    for x, y in ((u, v), (v, u)):
                        sat = (i + j) % 23 == 0 and x == u
                        H.add_edge(x, y, link=f"{u}-{v}", bandwidth_gbps=10.0,
                                   flow_gbps=10.0 if sat else 2.0, utilisation=1.0 if sat else 0.2,
                                   saturated=sat, rent=4.0 if sat else 0.0,
                                   flow_tokens={"chat": 5.0})
    return H


def test_a_large_network_draws_on_canvas_with_tooltips(browser, tmp_path, shots):
    H = _grid(24)
    path = tmp_path / "grid.html"
    price_map(H, canvas=True, tiles=None).save(str(path))
    view = Offline(browser, path, viewport=LAPTOP)
    try:
        page = view.page
        page.wait_for_function(f"!!({_MAP_JS}).npCanvas")
        counts = page.evaluate(f"({_MAP_JS}).npCanvas.groups.map(g => g.getLayers().length)")
        links = len(link_groups(H))
        halos = sum(1 for _, arcs in link_groups(H) if any(d["saturated"] for *_, d in arcs))
        assert counts == [H.number_of_nodes() + links + halos, 0]  # the hidden layer waits
        assert view.count("path.np-node") == 0  # no SVG element per node
        found = page.evaluate(_UNDER_CONTROLS_JS)
        assert found["nodes"] == H.number_of_nodes() and found["hidden"] == []
        point = page.evaluate(f"""() => {{
          const map = {_MAP_JS}, box = map.getContainer().getBoundingClientRect();
          const node = map.npCanvas.groups[0].getLayers().find(l => l.options.npNode === 0);
          const p = map.latLngToContainerPoint(node.getLatLng());
          return {{x: box.left + p.x, y: box.top + p.y}}; }}""")
        page.mouse.move(point["x"] - 4, point["y"] - 4)
        page.mouse.move(point["x"], point["y"], steps=3)
        tip = page.locator(".leaflet-tooltip").first
        tip.wait_for(state="visible", timeout=3_000)
        assert "g0-0" in tip.inner_text() and "chat price 1.00 $/Mtok" in tip.inner_text()
        page.mouse.click(point["x"], point["y"])
        popup = page.locator(".leaflet-popup-content").first
        popup.wait_for(state="visible", timeout=3_000)
        assert "compute used 500,000 of 1,000,000 reference tokens/s (50.0 %)" \
            in popup.inner_text()
        page.get_by_text("image (transfer)").click()
        counts = page.evaluate(f"({_MAP_JS}).npCanvas.groups.map(g => g.getLayers().length)")
        assert counts[1] == counts[0]
        assert view.console == []
        page.screenshot(path=str(shots / "grid-canvas.png"))
    finally:
        view.page.close()


def test_period_map_steps_through_the_periods_offline(browser, tmp_path, shots):
    import netprice as npx
    from netprice.period_maps import period_map

    # Site A's cost triples in the second period, and with it every price.
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    G.graph["periods"] = ["2026-07-01T00:00Z", "2026-07-01T01:00Z", "2026-07-01T02:00Z"]
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=[10.0, 30.0, 20.0],
                 demand={"chat": 1e5})
    npx.add_site(G, "B", -90.0, 42.0, demand={"chat": [1e5, 2e5, 1e5]})
    npx.add_link(G, "A", "B", bandwidth_gbps=100.0)
    res = npx.clear_market(G)
    graphs = {p: npx.annotate(G, res, period=p) for p in res.periods}
    path = tmp_path / "periods.html"
    period_map(graphs, "chat", tiles=None).save(str(path))
    view = Offline(browser, path)
    page = view.page
    fill = ("() => { const m = %s; let c = null; m.eachLayer(l => { if (l.options && "
            "l.options.npNode === 'A' && l._map) c = l.options.fillColor; }); return c; }" % _MAP_JS)
    try:
        assert view.blocked == [] and view.console == []
        label = page.locator(".np-period-label")
        assert label.inner_text().startswith("2026-07-01T00:00Z")
        cheap = page.evaluate(fill)
        page.locator(".np-next").click()
        assert label.inner_text().startswith("2026-07-01T01:00Z")
        dear = page.evaluate(fill)
        assert cheap != dear            # the node is recoloured for the period
        page.locator(".np-prev").click()
        page.locator(".np-prev").click()  # wraps round to the last period
        assert label.inner_text().startswith("2026-07-01T02:00Z")
        # the tooltip carries the period's price
        page.evaluate("() => { const m = %s; m.eachLayer(l => { if (l.options && "
                      "l.options.npNode === 'A' && l._map) l.openTooltip(); }); }" % _MAP_JS)
        tip = page.locator(".leaflet-tooltip").first.inner_text()
        assert "20.00 $/Mtok" in tip and "2026-07-01T02:00Z" in tip
        assert view.console == []
        page.screenshot(path=str(shots / "periods-screenshot.png"))
    finally:
        page.close()
