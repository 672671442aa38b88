"""Price maps drawn from a hand-built annotated graph (no solver involved)."""

from __future__ import annotations

import copy
import math
import re

import folium
import networkx as nx
import pytest

from netprice import maps
from netprice.maps import link_groups, price_map

NAN = float("nan")

# (id, name, lon, lat, capacity, demand, price, served, compute_used, scarcity)
_NODES = [
    ("sea", "Seattle", -122.33, 47.61, 4000.0, {"chat": 500, "image": 20},
     {"chat": 11.0, "image": 55.0}, {"chat": 1500, "image": 40}, 1900.0, 0.0),
    ("sfo", "San Francisco", -122.42, 37.77, 3000.0, {"chat": 800, "image": 30},
     {"chat": 12.5, "image": 60.0}, {"chat": 900, "image": 30}, 1200.0, 0.0),
    ("chi", "Chicago", -87.63, 41.88, 0.0, {"chat": 700, "image": 25},
     {"chat": 13.0, "image": 64.0}, {}, 0.0, NAN),
    ("dfw", "Dallas", -96.80, 32.78, 2500.0, {"chat": 600, "image": 15},
     {"chat": 18.0, "image": 80.0}, {"chat": 1700, "image": 20}, 2500.0, 7.0),
    ("nyc", "New York", -74.01, 40.71, 0.0, {"chat": 1000, "image": 0},
     {"chat": 58.0, "image": NAN}, {}, 0.0, NAN),
]
# (link id, u, v, bandwidth, flow u->v, flow v->u, rent u->v, directed)
_LINKS = [
    ("L1", "sea", "sfo", 100.0, 10.0, 55.0, 0.0, False),
    ("L2", "sea", "chi", 100.0, 60.0, 0.0, 0.0, False),
    ("L3", "sfo", "dfw", 100.0, 0.0, 5.0, 0.0, False),
    ("L4", "chi", "nyc", 40.0, 40.0, 0.0, 40.0, False),  # saturated towards New York
    ("L5", "dfw", "nyc", 80.0, 36.0, 0.0, 0.0, False),
    ("L6", "dfw", "chi", 50.0, 12.0, 3.0, 0.0, False),
    ("D1", "sfo", "chi", 10.0, 10.0, 0.0, 25.0, True),   # one-way, saturated
]
N_LINKS = len(_LINKS)
N_NODES = len(_NODES)
N_SATURATED = 2


def annotated_graph(mode="transfer") -> nx.DiGraph:
    """A 5-node, 7-link annotated graph following the netprice graph contract.

    Prices and flows are made up (no solve), but have the right shapes and
    units: two workloads, one metro without any admissible service for
    ``image`` (NaN price), one compute site at capacity (scarcity rent), a
    saturated undirected link and a saturated one-way link with rents.
    """
    G = nx.DiGraph()
    G.graph["workloads"] = {
        "chat": {"latency_ms": 100.0, "bytes_per_token": 8.0, "compute_intensity": 1.0,
                 "voll": None},
        "image": {"latency_ms": 40.0, "bytes_per_token": 4000.0, "compute_intensity": 20.0,
                  "voll": None},
    }
    G.graph["result"] = {"mode": mode, "objective": 1234.5, "formulation": "route",
                         "status": "OPTIMAL"}
    for n, name, lon, lat, cap, demand, price, served, used, scarcity in _NODES:
        parts = {}
        for w, p in price.items():
            if math.isnan(p):
                parts[w] = {k: NAN for k in ("processing", "scarcity", "transport", "congestion",
                                              "unserved")}
            else:
                parts[w] = {"processing": 10.0, "scarcity": scarcity if cap else 0.0,
                            "transport": 1.0, "congestion": p - 11.0 - (scarcity if cap else 0.0),
                            "unserved": 0.0}
        # copies: a test that edits one graph's prices must not edit the next graph's
        G.add_node(n, name=name, lon=lon, lat=lat, capacity=cap, cost=10.0, demand=dict(demand),
                   price=dict(price), price_parts=parts, served=dict(served), compute_used=used,
                   utilisation=used / cap if cap else NAN, scarcity=scarcity)
    for lid, u, v, bw, fuv, fvu, rent, directed in _LINKS:
        (ux, uy), (vx, vy) = ((G.nodes[x]["lon"], G.nodes[x]["lat"]) for x in (u, v))
        geometry = [(ux, uy), ((ux + vx) / 2, (uy + vy) / 2 + 0.5), (vx, vy)]
        arcs = [(u, v, fuv, rent, geometry)]
        if not directed:
            arcs.append((v, u, fvu, 0.0, geometry[::-1]))
        for a, b, flow, r, geom in arcs:
            util = flow / bw
            G.add_edge(a, b, link=lid, directed=directed, bandwidth_gbps=bw, latency_ms=10.0,
                       cost_per_gb=0.01, geometry=geom, flow_gbps=flow,
                       flow_tokens={"chat": flow * 1e3, "image": flow * 2.0},
                       utilisation=util, saturated=util >= 1 - 1e-6, rent=r)
    return G


@pytest.fixture
def H():
    return annotated_graph("transfer")


@pytest.fixture
def H_base():
    G = annotated_graph("baseline")
    for _, _, d in G.edges(data=True):  # nothing binds in token terms
        d["flow_gbps"] *= 0.5
        d["utilisation"] *= 0.5
        d["saturated"] = False
        d["rent"] = 0.0
    for _, d in G.nodes(data=True):
        d["price"] = {w: (p * 0.9 if not math.isnan(p) else p) for w, p in d["price"].items()}
    G.graph["result"]["objective"] = 1200.0
    return G


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _layers(m):
    """The price layers: base layers (radio buttons), not overlays such as node names."""
    return {c.layer_name: c for c in m._children.values()
            if isinstance(c, folium.FeatureGroup) and not c.overlay}


def _of(layer, cls):
    return [e for e in _walk(layer) if type(e) is cls]


def _links(layer):
    return [p for p in _of(layer, folium.PolyLine) if "np-link" in p.options.get("className", "")]


@pytest.fixture
def html(H):
    return price_map(H, workload="chat").get_root().render()


def test_one_layer_per_workload_and_the_chosen_one_shown(H):
    m = price_map(H, workload="image")
    layers = _layers(m)
    assert set(layers) == {"chat (transfer)", "image (transfer)"}
    assert [name for name, layer in layers.items() if layer.show] == ["image (transfer)"]
    overlays = [c.layer_name for c in m._children.values()
                if isinstance(c, folium.FeatureGroup) and c.overlay]
    assert overlays == ["Node names"]  # price layers are radio buttons: one at a time
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())


def test_default_workload_is_the_first_declared(H):
    layers = _layers(price_map(H))
    assert layers["chat (transfer)"].show and not layers["image (transfer)"].show


def test_one_marker_per_node(H):
    for layer in _layers(price_map(H)).values():
        markers = _of(layer, folium.CircleMarker)
        assert len(markers) == N_NODES
        assert all("np-node" in c.options["className"] for c in markers)


def test_one_shape_per_undirected_link(H):
    assert len(link_groups(H)) == N_LINKS
    for layer in _layers(price_map(H)).values():
        assert len(_links(layer)) == N_LINKS


def test_undirected_link_tooltip_shows_both_directions(H):
    layer = _layers(price_map(H))["chat (transfer)"]
    texts = [_tooltip(p) for p in _links(layer)]
    l1 = next(t for t in texts if "link L1" in t)
    assert "Seattle &rarr; San Francisco" in l1 and "San Francisco &rarr; Seattle" in l1
    assert "flow 10.00 of 100.0 Gbit/s (10.0 %)" in l1
    assert "flow 55.00 of 100.0 Gbit/s (55.0 %)" in l1
    assert "tokens/s: chat 55,000 &middot; image 110" in l1
    assert "rent" not in l1 and "saturated" not in l1


def _tooltip(element):
    tips = [c for c in element._children.values() if isinstance(c, folium.Tooltip)]
    assert len(tips) == 1
    return tips[0].text


def test_saturated_links_are_styled_and_show_their_rent(H):
    layer = _layers(price_map(H))["chat (transfer)"]
    saturated = [p for p in _links(layer) if "np-saturated" in p.options["className"]]
    assert len(saturated) == N_SATURATED
    for p in saturated:
        assert p.options["color"] == maps.SATURATED_COLOR and p.options["weight"] >= 6
    halos = [p for p in _of(layer, folium.PolyLine) if "np-halo" in p.options.get("className", "")]
    assert len(halos) == N_SATURATED and all(h.options["dashArray"] for h in halos)
    l4 = next(_tooltip(p) for p in saturated if "link L4" in _tooltip(p))
    assert "rent 40.00 $/h per Gbit/s" in l4 and "New York: saturated" in l4
    d1 = next(_tooltip(p) for p in saturated if "D1" in _tooltip(p))
    assert "one-way link D1" in d1 and "rent 25.00 $/h per Gbit/s" in d1
    unsaturated = [p for p in _links(layer) if "np-saturated" not in p.options["className"]]
    assert all(p.options["color"] != maps.SATURATED_COLOR for p in unsaturated)
    assert all(p.options["weight"] < 7 for p in unsaturated)


def test_flow_direction_glyph_per_loaded_link(H):
    layer = _layers(price_map(H))["chat (transfer)"]
    arrows = [mk for mk in _of(layer, folium.Marker)]
    assert len(arrows) == N_LINKS  # every link here carries flow
    assert all(mk.options.get("interactive") is False for mk in arrows)


def test_node_tooltip_has_units_and_decomposition_and_popup_the_mix(html):
    assert "Dallas" in html and "chat price <b>18.00 $/Mtok</b>" in html
    for part in ("processing", "scarcity", "transport", "congestion", "unserved"):
        assert f"<td>{part}</td>" in html
    assert "served tok/s" in html and "scarcity rent 7.00 $/Mtok" in html
    assert "compute used 2,500 of 2,500 reference tokens/s (100.0 %)" in html


def test_nodes_without_price_are_grey(H):
    layer = _layers(price_map(H, workload="image"))["image (transfer)"]
    nyc = next(c for c in _of(layer, folium.CircleMarker) if c.location == [40.71, -74.01])
    assert nyc.options["fillColor"] == maps.NO_PRICE_COLOR
    priced = [c for c in _of(layer, folium.CircleMarker) if c is not nyc]
    assert all(c.options["fillColor"] != maps.NO_PRICE_COLOR for c in priced)


def test_legend_in_dollars_per_mtok(html):
    assert "chat price, $/Mtok" in html and "image price, $/Mtok" in html
    assert "np-legend" in html and "np-price-scale" in html
    assert "rents ($/h per Gbit/s)" in html


def test_offline_html_loads_nothing_remote(html):
    assert not re.search(r"<script[^>]*\bsrc=[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref=[\"']?(https?:)?//", html, re.IGNORECASE)
    assert "<script src=" not in html
    assert "data-netprice-asset=\"leaflet_js\"" in html
    assert "data-netprice-asset=\"leaflet_css\"" in html
    assert "data-netprice-asset=\"jquery\"" in html
    assert "sourceMappingURL" not in html
    assert "url(images/" not in html  # layer-control icon inlined as a data: URI


def test_missing_asset_package_is_named(H, monkeypatch):
    from netprice import offline

    broken = offline.Asset("xstatic.pkg.no_such_leaflet", "leaflet.js", "js", "XStatic-Leaflet",
                           offline.ASSETS["leaflet_js"].pattern)
    monkeypatch.setitem(offline.ASSETS, "leaflet_js", broken)
    with pytest.raises(ImportError, match="pip install XStatic-Leaflet"):
        price_map(H)


def test_unknown_remote_asset_is_dropped_with_a_warning(H):
    from branca.element import JavascriptLink

    from netprice.offline import OfflineAssetWarning

    m = price_map(H)
    m.get_root().header.add_child(JavascriptLink("https://cdn.example.org/plugin.js"), name="x")
    with pytest.warns(OfflineAssetWarning, match="plugin.js"):
        html = m.get_root().render()
    assert "cdn.example.org" not in html


def test_online_html_links_cdns(H):
    html = price_map(H, offline=False).get_root().render()
    assert re.search(r"<script src=\"https://", html)


def test_boundaries_always_drawn_and_tiles_optional(H):
    m = price_map(H, tiles=None)
    geo = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(geo) == 1 and geo[0].layer_name == "Outlines (offline)"
    assert not any(isinstance(c, folium.TileLayer) for c in m._children.values())
    names = {f["properties"]["name"] for f in geo[0].data["features"]}
    assert {"Texas", "Canada", "Mexico"} <= names and "Japan" not in names
    m = price_map(H)  # tiles="auto"
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1 and tiles[0].overlay


def test_bounds_fitted_to_the_network(H):
    m = price_map(H)
    fit = [c for c in m._children.values() if isinstance(c, folium.FitBounds)]
    assert len(fit) == 1
    (s, w), (n, e) = fit[0].bounds
    assert s <= 32.78 and n >= 47.61 and w <= -122.42 and e >= -74.01
    assert e - w < 60 and n - s < 25


def test_compare_adds_two_layers_per_workload_named_by_mode(H, H_base):
    m = price_map(H, compare=H_base, workload="chat")
    layers = _layers(m)
    assert set(layers) == {"chat (transfer)", "image (transfer)",
                           "chat (baseline)", "image (baseline)"}
    assert [n for n, layer in layers.items() if layer.show] == ["chat (transfer)"]
    sat = lambda name: sum("np-saturated" in p.options["className"]  # noqa: E731
                           for p in _links(layers[name]))
    assert sat("chat (transfer)") == N_SATURATED and sat("chat (baseline)") == 0
    html = m.get_root().render()
    assert "transfer: 1,234.50 $/h vs baseline: 1,200.00 $/h" in html


def test_compare_shares_one_price_scale_per_workload(H, H_base):
    layers = _layers(price_map(H, compare=H_base))
    # the same price must get the same colour in both modes' layers
    colours = {}
    for name in ("chat (transfer)", "chat (baseline)"):
        for c in _of(layers[name], folium.CircleMarker):
            colours.setdefault(name, []).append(c.options["fillColor"])
    assert colours["chat (transfer)"] != colours["chat (baseline)"]
    assert len(set(colours["chat (transfer)"])) > 2


def test_unannotated_graph_is_refused_not_solved(H):
    G = copy.deepcopy(H)
    for _, d in G.nodes(data=True):
        del d["price"]
    with pytest.raises(ValueError, match="annotate"):
        price_map(G)
    with pytest.raises(ValueError, match="not declared"):
        price_map(H, workload="video")


def test_awkward_names_do_not_break_the_page(H):
    H.nodes["chi"]["name"] = "Chi`cago ${x} <b>"
    html = price_map(H).get_root().render()
    assert "Chi&#96;cago &#36;{x} &lt;b&gt;" in html
    assert "Chi`cago" not in html


def test_save_writes_self_contained_file(H, tmp_path):
    path = tmp_path / "map.html"
    price_map(H).save(str(path))
    text = path.read_text(encoding="utf-8")
    assert "L.map(" in text and "<script src=" not in text
    assert len(text) < 1_500_000


# -- readable at any size ------------------------------------------------------------------------

def _fills(m, name):
    return {c.location[1]: c.options["fillColor"] for c in _of(_layers(m)[name], folium.CircleMarker)}


def test_a_fixed_price_range_gives_the_same_price_the_same_colour_on_every_map(H):
    cheaper = copy.deepcopy(H)
    for _, d in cheaper.nodes(data=True):
        d["price"] = {w: p - 1.0 for w, p in d["price"].items()}
    fixed = {"chat": (0.0, 100.0)}
    a = _fills(price_map(H, price_range=fixed), "chat (transfer)")
    b = _fills(price_map(cheaper, price_range=fixed), "chat (transfer)")
    # Seattle costs 11 on the first map and 10 on the second: nearly the same colour,
    # where each map's own scale would have put it at the cheap end of the palette
    scale = maps.bcm.LinearColormap(maps.PRICE_COLORS, vmin=0.0, vmax=100.0)
    assert a[-122.33] == scale(11.0)[:7] and b[-122.33] == scale(10.0)[:7]
    own_a = _fills(price_map(H), "chat (transfer)")
    own_b = _fills(price_map(cheaper), "chat (transfer)")
    assert own_a[-122.33] == own_b[-122.33] == maps.PRICE_COLORS[0]
    html = price_map(H, price_range=(0.0, 100.0)).get_root().render()
    assert "fixed scale: prices beyond it take its end colours" in html


@pytest.mark.parametrize("bad, message", [((5.0, 1.0), "low < high"), ({"video": (0, 1)},
                                          "not declared"), ("cheap", "must be")])
def test_a_bad_price_range_is_refused(H, bad, message):
    with pytest.raises(ValueError, match=message):
        price_map(H, price_range=bad)


def test_node_names_layer_is_shown_for_small_networks_and_offered_for_all(H):
    m = price_map(H)
    names = next(c for c in m._children.values()
                 if isinstance(c, folium.FeatureGroup) and c.layer_name == "Node names")
    assert names.show and names.overlay
    assert not next(c for c in price_map(H, labels=False)._children.values()
                    if isinstance(c, folium.FeatureGroup) and c.layer_name == "Node names").show
    html = m.get_root().render()
    assert '"Seattle","San Francisco","Chicago","Dallas","New York"' in html


def _legend(m):
    return next(c for c in m._children.values() if type(c).__name__ == "_Legend").html


def test_legend_shows_the_link_colours_it_draws(H):
    legend = _legend(price_map(H))
    # the utilisation bar is drawn from the very colours of the links, 0 to 100 %
    for u in (0.0, 0.5, 0.85, 1.0):
        assert f'stop-color="{maps.utilisation_color(u)[:7]}"' in legend
    assert ">0 %<" in legend and ">50 %<" in legend and ">100 %<" in legend
    assert "lightly used" not in legend


def test_legend_ticks_of_a_narrow_price_range_are_round_and_apart(H):
    for _, d in H.nodes(data=True):
        d["price"]["chat"] = 0.21078 + 0.0005 * (d["lon"] + 122.42) / 48.41
    legend = _legend(price_map(H))
    chat = legend.split("data-workload='chat'")[1].split("data-workload=")[0]
    assert re.findall(r">([\d.,]+)</text>", chat) == ["0.2108", "0.2110", "0.2112"]


def _pacific():
    H = annotated_graph()
    H.remove_nodes_from(["chi", "dfw", "nyc"])
    H.nodes["sea"].update(lon=178.0, lat=-18.0)   # Fiji
    H.nodes["sfo"].update(lon=-175.0, lat=-21.0)  # Tonga
    for u, v, d in H.edges(data=True):
        d["geometry"] = [(H.nodes[u]["lon"], H.nodes[u]["lat"]),
                         (H.nodes[v]["lon"], H.nodes[v]["lat"])]
    return H


def test_links_across_the_antimeridian_are_drawn_the_short_way():
    m = price_map(_pacific(), tiles=None)
    line = _links(_layers(m)["chat (transfer)"])[0]
    (lat0, lon0), (lat1, lon1) = line.locations
    assert abs(lon1 - lon0) == pytest.approx(7.0)  # not 353 degrees the other way round
    markers = _of(_layers(m)["chat (transfer)"], folium.CircleMarker)
    assert sorted(c.location[1] for c in markers) == [178.0, 185.0]
    fit = next(c for c in m._children.values() if isinstance(c, folium.FitBounds))
    (_, west), (_, east) = fit.bounds
    assert east - west < 10
    outlines = next(c for c in m._children.values() if isinstance(c, folium.GeoJson))
    assert "Fiji" in {f["properties"]["name"] for f in outlines.data["features"]}


def test_large_networks_draw_on_canvas_from_one_copy_of_the_data(H, H_base):
    steps = []
    m = price_map(H, compare=H_base, canvas=True, progress=lambda *a: steps.append(a))
    layers = _layers(m)
    assert set(layers) == {"chat (transfer)", "image (transfer)", "chat (baseline)",
                           "image (baseline)"}
    assert not any(_of(layer, folium.CircleMarker) for layer in layers.values())
    html = m.get_root().render()
    assert html.count('"id":["sea","sfo","chi","dfw","nyc"]') == 1  # one geometry for both
    assert "L.canvas(" in html
    assert steps[-1][0] == steps[-1][1] and [s[0] for s in steps] == list(range(1, len(steps) + 1))


def test_canvas_is_chosen_for_large_networks(monkeypatch, H):
    monkeypatch.setattr(maps, "CANVAS_THRESHOLD", 5)
    html = price_map(H).get_root().render()
    assert "NetpriceCanvasNetwork" in html or "L.canvas(" in html
