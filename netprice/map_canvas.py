"""Price maps of large networks: one compact copy of the data, drawn on a canvas.

:func:`netprice.maps.price_map` draws a small network as one SVG element
per node and link, each with its tooltip written out in HTML, per
workload layer.  At 25,600 nodes and 51,000 links that is 127 MB of HTML
and minutes of work.  Here the network goes into the page once, as
arrays (coordinates rounded to about a metre, prices to six significant
figures, colours as indexes into a 256-colour palette), and a short
script draws the shown layer on Leaflet's canvas renderer when it is
first shown, and writes a tooltip only for what the mouse is over.

What the map shows is the same as the SVG map's (node colour = price,
ring = compute site, red ring = full; link colour and width =
utilisation, red with a dashed halo = saturated; tooltips with the price
decomposition and per-direction flows, rents and tokens; a click opens a
node's serving mix), without the flow-direction arrows.
"""

from __future__ import annotations

import math

from branca.element import MacroElement
from jinja2 import Template

from .map_view import (NO_PRICE_COLOR, PRICE_COLORS, SATURATED_COLOR, arc_coords, js_json,
                       link_groups, node_radius, price_layers, utilisation_color)
from .schema import PRICE_PARTS, unit

__all__ = ["add_canvas_layers", "PALETTE_SIZE"]

#: Colours in the price palette; a price is drawn in the nearest of them.
PALETTE_SIZE = 256


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _sig(x, digits=6):
    """A number rounded to ``digits`` significant figures (None when not finite)."""
    if not _finite(x):
        return None
    x = float(x)
    return 0.0 if x == 0 else round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _geometry(G, frame, link_groups):
    """Node places and link lines of one graph, as arrays."""
    index = {n: i for i, n in enumerate(G.nodes)}
    lat, lon, ids, names = [], [], [], []
    for n, d in G.nodes(data=True):
        lat.append(round(float(d["lat"]), 5))
        lon.append(round(frame.lon(d["lon"]), 5))
        ids.append(str(n))
        names.append(str(d["name"]) if d.get("name") not in (None, "") else None)
    a, b, keys, lines, one_way = [], [], [], {}, []
    for k, (key, arcs) in enumerate(link_groups):
        u, v, d0 = arcs[0]
        a.append(index[u])
        b.append(index[v])
        keys.append(str(key))
        one_way.append(1 if len(arcs) == 1 and d0.get("directed") else 0)
        geom = d0.get("geometry")
        straight = [(G.nodes[u]["lon"], G.nodes[u]["lat"]), (G.nodes[v]["lon"], G.nodes[v]["lat"])]
        if geom and [tuple(map(float, p[:2])) for p in geom] != [tuple(map(float, p))
                                                                 for p in straight]:
            lines[k] = [[round(la, 5), round(lo, 5)] for la, lo in arc_coords(G, u, v, d0, frame)]
        elif abs(frame.lon(straight[0][0]) - frame.lon(straight[1][0])) > 180:
            # the straight line the short way round, across the frame's edge
            lines[k] = [[round(la, 5), round(lo, 5)] for la, lo in arc_coords(G, u, v, d0, frame)]
    return {"lat": lat, "lon": lon, "id": ids, "name": names if any(names) else None,
            "a": a, "b": b, "key": keys, "line": lines, "oneWay": one_way}, index


def _graph_data(G, label, workloads, link_groups, index, max_cap):
    nodes = list(G.nodes(data=True))
    cap = [float(d.get("capacity") or 0.0) if _finite(d.get("capacity")) else 0.0
           for _, d in nodes]
    full = []
    for (_, d), c in zip(nodes, cap):
        util, scarcity = d.get("utilisation"), d.get("scarcity")
        full.append(int(c > 0 and ((_finite(util) and float(util) >= 1 - 1e-6)
                                   or (_finite(scarcity) and float(scarcity) > 1e-9))))
    per_workload = {
        "demand": {w: [_sig((d.get("demand") or {}).get(w, 0.0)) for _, d in nodes]
                   for w in workloads},
        "served": {w: [_sig((d.get("served") or {}).get(w, 0.0)) for _, d in nodes]
                   for w in workloads},
    }
    arcs = []
    util, sat = [], []
    for _, group in link_groups:
        entries, worst, saturated = [], 0.0, False
        for u, v, d in group:
            entries.append([index[u], _sig(d.get("flow_gbps")), _sig(d.get("bandwidth_gbps")),
                            _sig(d.get("utilisation")), _sig(d.get("rent")),
                            int(bool(d.get("saturated"))),
                            [_sig((d.get("flow_tokens") or {}).get(w)) for w in workloads]])
            if _finite(d.get("utilisation")):
                worst = max(worst, float(d["utilisation"]))
            saturated = saturated or bool(d.get("saturated"))
        arcs.append(entries)
        util.append(round(min(max(worst, 0.0), 1.0), 3))
        sat.append(int(saturated))
    return {"mode": label, "cap": [_sig(c) for c in cap], "full": full,
            "r": [round(node_radius(c, max_cap), 1) for c in cap],
            "used": [_sig(d.get("compute_used")) for _, d in nodes],
            "nodeUtil": [_sig(d.get("utilisation")) for _, d in nodes],
            "scarcity": [_sig(d.get("scarcity")) for _, d in nodes],
            **per_workload, "arcs": arcs, "util": util, "sat": sat}


def _layer_data(G, w, cmap):
    prices, colours = [], []
    parts = {p: [] for p in PRICE_PARTS}
    span = cmap.vmax - cmap.vmin
    for _, d in G.nodes(data=True):
        price = (d.get("price") or {}).get(w)
        if _finite(price):
            prices.append(_sig(price))
            step = (float(price) - cmap.vmin) / span * (PALETTE_SIZE - 1)
            colours.append(int(min(max(round(step), 0), PALETTE_SIZE - 1)))
        else:
            prices.append(None)
            colours.append(-1)
        mine = ((d.get("price_parts") or {}).get(w)) or {}
        for p in PRICE_PARTS:
            parts[p].append(_sig(mine.get(p)))
    return {"price": prices, "colour": colours, "parts": parts}


class _CanvasNetwork(MacroElement):
    """The data of every layer, and the script that draws a layer when it is first shown."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var data = {{ this.data_json }};
  var groups = [{% for g in this.groups %}{{ g.get_name() }}{{ "," if not loop.last }}{% endfor %}];
  var renderer = L.canvas({padding: 0.3});
  var U = data.units;
  function esc(t) {
    return String(t).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; });
  }
  function decimals(x) {
    var a = Math.abs(x);
    if (!isFinite(a) || a === 0 || a >= 1) return 2;
    return Math.min(6, Math.max(2, 3 - Math.floor(Math.log10(a))));
  }
  function num(x, d) {
    if (x === null || x === undefined || !isFinite(x)) return 'n/a';
    d = d === undefined ? decimals(x) : d;
    return x.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});
  }
  function pct(x) { return (x === null || !isFinite(x)) ? 'n/a' : (100 * x).toFixed(1) + ' %'; }
  function nodeName(geo, i) { return (geo.name && geo.name[i]) || geo.id[i]; }
  function nodeTip(layer, i) {
    var g = data.graphs[layer.graph], geo = data.geo[g.geo], w = layer.workload;
    var head = '<b>' + esc(nodeName(geo, i)) + '</b>';
    if (geo.name && geo.name[i]) head += ' <span class="np-muted">(' + esc(geo.id[i]) + ')</span>';
    var price = layer.price[i];
    if (price === null) return '<div class="np-tip">' + head + '<br>' + esc(w) +
      ': <b>no price</b> (no admissible service from here)</div>';
    var d = decimals(price), rows = '';
    data.parts.forEach(function (p) {
      rows += '<tr><td>' + p + '</td><td>' + num(layer.parts[p][i], d) + '</td></tr>'; });
    return '<div class="np-tip">' + head + '<br>' + esc(w) + ' price <b>' + num(price) + ' ' +
      U.price + '</b><table><tr><th>of which</th><th>' + U.price + '</th></tr>' + rows +
      '</table></div>';
  }
  function nodePopup(layer, i) {
    var g = data.graphs[layer.graph], geo = data.geo[g.geo], rows = '';
    data.workloads.forEach(function (w) {
      var l = data.layers.filter(function (x) { return x.graph === layer.graph && x.workload === w; })[0];
      rows += '<tr><td>' + esc(w) + '</td><td>' + num(g.demand[w][i], 0) + '</td><td>' +
        num(g.served[w][i], 0) + '</td><td>' + num(l ? l.price[i] : null) + '</td></tr>';
    });
    var html = '<div class="np-tip"><b>' + esc(nodeName(geo, i)) + '</b> <span class="np-muted">(' +
      esc(geo.id[i]) + ')</span><table><tr><th>workload</th><th>demand tok/s</th>' +
      '<th>served tok/s</th><th>price ' + U.price + '</th></tr>' + rows + '</table>';
    if (g.cap[i] > 0) {
      html += 'compute used ' + num(g.used[i], 0) + ' of ' + num(g.cap[i], 0) + ' ' + U.compute +
        ' (' + pct(g.nodeUtil[i]) + ')<br>scarcity rent ' + num(g.scarcity[i]) + ' ' + U.price;
    } else { html += 'no compute at this node'; }
    return html + '</div>';
  }
  function linkTip(layer, k) {
    var g = data.graphs[layer.graph], geo = data.geo[g.geo], blocks = '';
    var a = geo.a[k], b = geo.b[k];
    g.arcs[k].forEach(function (arc) {
      var from = arc[0], to = from === a ? b : a, sat = arc[5] === 1;
      var lines = ['<b' + (sat ? ' class=np-sat' : '') + '>' + esc(nodeName(geo, from)) +
        ' &rarr; ' + esc(nodeName(geo, to)) + (sat ? ': saturated' : '') + '</b>',
        'flow ' + num(arc[1], 2) + ' of ' + num(arc[2], 1) + ' ' + U.flow + ' (' + pct(arc[3]) + ')'];
      if (sat || (arc[4] !== null && arc[4] > 0))
        lines.push('<span' + (sat ? ' class=np-sat' : '') + '>rent ' + num(arc[4]) + ' ' +
                   U.rent + '</span>');
      var tokens = [];
      data.workloads.forEach(function (w, j) {
        if (arc[6][j] !== null && arc[6][j] > 0) tokens.push([w, arc[6][j]]); });
      tokens.sort(function (x, y) {
        return (x[0] !== layer.workload) - (y[0] !== layer.workload) || y[1] - x[1]; });
      lines.push(U.tokens + ': ' + (tokens.map(function (t) {
        return esc(t[0]) + ' ' + num(t[1], 0); }).join(' &middot; ') || 'none'));
      blocks += '<div class="np-dir">' + lines.join('<br>') + '</div>';
    });
    return '<div class="np-tip"><b>' + (geo.oneWay[k] ? 'one-way link ' : 'link ') +
      esc(geo.key[k]) + '</b>: ' + esc(nodeName(geo, a)) + ' &ndash; ' + esc(nodeName(geo, b)) +
      blocks + '</div>';
  }
  function build(li) {
    var layer = data.layers[li], group = groups[li];
    if (group.npBuilt) return;
    group.npBuilt = true;
    var g = data.graphs[layer.graph], geo = data.geo[g.geo];
    for (var k = 0; k < geo.a.length; k++) {
      var line = geo.line[k] || [[geo.lat[geo.a[k]], geo.lon[geo.a[k]]],
                                 [geo.lat[geo.b[k]], geo.lon[geo.b[k]]]];
      if (g.sat[k]) {
        L.polyline(line, {renderer: renderer, color: data.saturated, weight: 18, opacity: 0.35,
                          dashArray: '8 8', lineCap: 'butt', interactive: false}).addTo(group);
        L.polyline(line, {renderer: renderer, color: data.saturated, weight: 7, opacity: 1,
                          npLink: k}).addTo(group);
      } else {
        L.polyline(line, {renderer: renderer, color: data.utilColours[Math.round(100 * g.util[k])],
                          weight: 2 + 5 * g.util[k], opacity: 0.9, npLink: k}).addTo(group);
      }
    }
    // metros first, then compute sites on top of them
    var order = [];
    for (var i = 0; i < geo.lat.length; i++) if (!(g.cap[i] > 0)) order.push(i);
    for (i = 0; i < geo.lat.length; i++) if (g.cap[i] > 0) order.push(i);
    order.forEach(function (i) {
      var site = g.cap[i] > 0, c = layer.colour[i];
      L.circleMarker([geo.lat[i], geo.lon[i]], {renderer: renderer, radius: g.r[i],
        color: site ? (g.full[i] ? data.saturated : '#111') : '#ffffff',
        weight: site ? (g.full[i] ? 3.5 : 2) : 1.5, fill: true, fillOpacity: 0.95,
        fillColor: c < 0 ? data.noPrice : data.palette[c], npNode: i}).addTo(group);
    });
    group.on('mouseover', function (e) {
      var o = e.layer.options;
      if (!e.layer.getTooltip()) {
        e.layer.bindTooltip(function () {
          return o.npNode !== undefined ? nodeTip(layer, o.npNode) : linkTip(layer, o.npLink);
        }, {sticky: true});
        e.layer.openTooltip(e.latlng);
      }
    });
    group.on('click', function (e) {
      if (e.layer.options.npNode === undefined) return;
      L.popup({maxWidth: 420}).setLatLng(e.latlng)
        .setContent(nodePopup(layer, e.layer.options.npNode)).openOn(map);
    });
  }
  groups.forEach(function (group, li) {
    group.on('add', function () { build(li); });
    if (map.hasLayer(group)) build(li);
  });
  map.npCanvas = {data: data, groups: groups, build: build};
})();
{% endmacro %}
""")

    def __init__(self, data_json, groups):
        super().__init__()
        self._name = "NetpriceCanvasNetwork"
        self.data_json = data_json
        self.groups = groups


def add_canvas_layers(m, graphs, workloads, workload, scales, max_cap, frame, progress):
    """Add one canvas-drawn layer per (result, workload) to ``m``; return ``{layer: workload}``.

    Parameters are those :func:`netprice.maps.price_map` has worked out:
    the named graphs, the workloads and the one shown first, the price
    colour scales, the largest capacity, the longitude frame, and
    ``progress(done, total, what)``.
    """
    import branca.colormap as bcm

    total = 2 * len(graphs) + len(graphs) * len(workloads) + 1
    done = 0
    geo, graph_data, first = [], [], None
    for label, G in graphs:
        groups_of_links = link_groups(G)
        keys = (list(G.nodes), [k for k, _ in groups_of_links])
        if first is not None and first[0] == keys:
            index = first[2]
            geo_index = 0
        else:
            blob, index = _geometry(G, frame, groups_of_links)
            geo.append(blob)
            geo_index = len(geo) - 1
            if first is None:
                first = (keys, blob, index)
        done += 1
        progress(done, total, f"geometry ({label})")
        entry = _graph_data(G, label, workloads, groups_of_links, index, max_cap)
        entry["geo"] = geo_index
        graph_data.append(entry)
        done += 1
        progress(done, total, f"links and sites ({label})")

    layers, groups, layer_workload = [], [], {}
    for gi, G, w, group in price_layers(graphs, workloads, workload):
        name = group.layer_name
        layer_workload[name] = w
        group.add_to(m)
        groups.append(group)
        layers.append({"name": name, "graph": gi, "workload": w, **_layer_data(G, w, scales[w])})
        done += 1
        progress(done, total, f"layer {name}")
    palette_map = bcm.LinearColormap(PRICE_COLORS, vmin=0, vmax=PALETTE_SIZE - 1)
    data = {
        "geo": geo, "graphs": graph_data, "layers": layers, "workloads": list(workloads),
        "parts": list(PRICE_PARTS),
        "palette": [palette_map(i)[:7] for i in range(PALETTE_SIZE)],
        "utilColours": [utilisation_color(i / 100)[:7] for i in range(101)],
        "saturated": SATURATED_COLOR, "noPrice": NO_PRICE_COLOR,
        "units": {"price": unit("node", "price"), "compute": unit("node", "compute_used"),
                  "flow": unit("edge", "flow_gbps"), "rent": unit("edge", "rent"),
                  "tokens": unit("edge", "flow_tokens")},
    }
    _CanvasNetwork(js_json(data), groups).add_to(m)
    done += 1
    progress(done, total, "data")
    return layer_workload
