"""A price map that steps through the periods of a day-ahead market.

One map, one drawing of the network, and a control (previous / slider /
next) that shows any period: node colours, link colours and widths,
saturated links and every tooltip follow the chosen period.  The map of
one period is :func:`netprice.maps.price_map` of its annotated graph
(:func:`netprice.annotate` with ``period=``); this module adds the
other periods' numbers as data (a few numbers per node and link and
period, not a drawing per period: a 24-period map stays about the size of
a one-period one) and the script that applies them.  Like every map here
it reads results and never solves, and it opens offline.
"""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from .map_view import _UTIL_COLORS, PRICE_COLORS, SATURATED_COLOR
from .maps import _fixed_ranges, _price_scales, price_map
from .schema import PRICE_PARTS, unit

__all__ = ["period_map"]


class _PeriodControl(MacroElement):
    """The period control and the script that redraws nodes and links for a period."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .np-periods { background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 6px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.3 Arial, Helvetica, sans-serif; }
  .np-periods button { font-size: 14px; width: 28px; cursor: pointer; }
  .np-periods input[type=range] { width: 260px; vertical-align: middle; }
  .np-periods .np-period-label { font-weight: bold; display: inline-block; min-width: 150px; }
  .np-arrow { display: none; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var data = {{ this.data|tojson }};
  var T = data.labels.length;
  function hex(c) { return [1, 3, 5].map(function (i) { return parseInt(c.substr(i, 2), 16); }); }
  function ramp(colors, stops, v) {
    if (!(v === v) || v === null) { return data.no_price; }
    var i = 0;
    while (i < stops.length - 2 && v > stops[i + 1]) { i++; }
    var t = (v - stops[i]) / ((stops[i + 1] - stops[i]) || 1);
    t = Math.max(0, Math.min(1, t));
    var a = hex(colors[i]), b = hex(colors[i + 1]);
    return '#' + a.map(function (x, k) {
      var y = Math.round(x + t * (b[k] - x)); return (y < 16 ? '0' : '') + y.toString(16);
    }).join('');
  }
  function fmt(x, d) {
    if (x === null || !(x === x)) { return 'n/a'; }
    if (d === undefined) { var a = Math.abs(x); d = (a === 0 || a >= 1) ? 2 : Math.min(6, Math.max(2, 3 - Math.floor(Math.log10(a)))); }
    return x.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});
  }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function nodeTip(n, w, p) {
    var node = data.nodes[n], v = p.nodes[n][w];
    var head = '<b>' + esc(node.name) + '</b> <span class="np-muted">(' + esc(n) + ')</span>';
    if (v === null || v[0] === null) {
      return '<div class="np-tip">' + head + '<br>' + esc(w) + ': <b>no price</b></div>';
    }
    var rows = data.parts.map(function (part, k) {
      return '<tr><td>' + part + '</td><td>' + fmt(v[k + 1]) + '</td></tr>'; }).join('');
    return '<div class="np-tip">' + head + '<br>' + esc(w) + ' price <b>' + fmt(v[0]) + ' ' +
      data.price_unit + '</b> at ' + esc(p.label) + '<table><tr><th>of which</th><th>' +
      data.price_unit + '</th></tr>' + rows + '</table></div>';
  }
  function linkTip(key, p) {
    var link = data.links[key], blocks = link.arcs.map(function (arc, k) {
      var a = p.links[key][k], sat = a[3];
      return '<div class="np-dir"><b' + (sat ? ' class=np-sat' : '') + '>' + esc(arc[0]) +
        ' &rarr; ' + esc(arc[1]) + (sat ? ': saturated' : '') + '</b><br>flow ' + fmt(a[0], 2) +
        ' of ' + fmt(a[4], 1) + ' ' + data.flow_unit + ' (' + fmt(100 * a[1], 1) + ' %)' +
        (sat || a[2] > 0 ? '<br>rent ' + fmt(a[2]) + ' ' + data.rent_unit : '') + '</div>';
    }).join('');
    return '<div class="np-tip"><b>link ' + esc(key) + '</b> at ' + esc(p.label) + blocks + '</div>';
  }
  var nodes = [], links = [];
  map.eachLayer(function (l) {
    if (l.options && l.options.npNode !== undefined) { nodes.push(l); }
    if (l.options && l.options.npLink !== undefined && !/np-halo/.test(l.options.className || '')) {
      links.push(l);
    }
  });
  // Halos of the first period's saturated links are redrawn per period.
  map.eachLayer(function (l) {
    if (l.options && /np-halo/.test(l.options.className || '')) { l.remove(); }
  });
  var halos = [];
  function show(t) {
    var p = data.periods[t];
    halos.forEach(function (h) { h.remove(); });
    halos = [];
    nodes.forEach(function (l) {
      var n = l.options.npNode, w = l.options.npWorkload, v = p.nodes[n][w];
      var scale = data.scales[w], full = p.full[n];
      l.setStyle({fillColor: ramp(data.colors, scale, v === null ? null : v[0]),
                  color: data.nodes[n].site ? (full ? data.saturated : '#111') : '#ffffff',
                  weight: data.nodes[n].site ? (full ? 3.5 : 2) : 1.5});
      l.setTooltipContent(nodeTip(n, w, p));
    });
    links.forEach(function (l) {
      var key = l.options.npLink, arcs = p.links[key];
      var util = Math.max.apply(null, arcs.map(function (a) { return a[1] || 0; }));
      var sat = arcs.some(function (a) { return a[3]; });
      if (sat) {
        l.setStyle({color: data.saturated, weight: 7, opacity: 1.0});
        var halo = L.polyline(l.getLatLngs(), {color: data.saturated, weight: 18, opacity: 0.35,
          dashArray: '8 8', lineCap: 'butt', interactive: false, className: 'np-halo'});
        l._npLayer.addLayer(halo);
        halo.bringToBack();
        halos.push(halo);
      } else {
        l.setStyle({color: ramp(data.util_colors, data.util_stops, Math.min(util, 1)),
                    weight: 2 + 5 * Math.min(util, 1), opacity: 0.9});
      }
      var el = l.getElement && l.getElement();
      if (el) { el.classList.toggle('np-saturated', sat); }
      l.setTooltipContent(linkTip(key, p));
    });
    label.innerHTML = esc(p.label) + ' &middot; ' + fmt(p.objective, 0) + ' $/h';
    slider.value = t;
    map.fire('np-period', {period: t, label: p.label});
  }
  map.eachLayer(function (group) {
    if (group instanceof L.FeatureGroup) {
      group.eachLayer(function (l) { l._npLayer = group; });
    }
  });
  var control = L.control({position: 'bottomleft'});
  var label, slider;
  control.onAdd = function () {
    var div = L.DomUtil.create('div', 'np-periods');
    div.innerHTML = '<div>Period (' + T + ' of ' + data.hours + ' h, UTC start)</div>' +
      '<button class="np-prev" title="previous period">&#9664;</button> ' +
      '<input class="np-slider" type="range" min="0" max="' + (T - 1) + '" step="1"> ' +
      '<button class="np-next" title="next period">&#9654;</button><br>' +
      '<span class="np-period-label"></span>';
    label = div.querySelector('.np-period-label');
    slider = div.querySelector('.np-slider');
    slider.addEventListener('input', function () { show(parseInt(slider.value, 10)); });
    div.querySelector('.np-prev').addEventListener('click', function () {
      show((parseInt(slider.value, 10) + T - 1) % T); });
    div.querySelector('.np-next').addEventListener('click', function () {
      show((parseInt(slider.value, 10) + 1) % T); });
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo(map);
  show({{ this.initial }});
})();
{% endmacro %}
""")

    def __init__(self, data, initial):
        super().__init__()
        self._name = "NetpricePeriods"
        self.data = data
        self.initial = int(initial)


def _number(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if x == x and abs(x) != float("inf") else None


def _period_data(graphs, workloads, scales):
    """What the script needs per period: prices and parts per node, flows and rents per link."""
    from .maps import link_groups

    labels = list(graphs)
    first = graphs[labels[0]]
    groups = link_groups(first)
    data = {
        "labels": labels,
        "colors": PRICE_COLORS,
        "util_colors": _UTIL_COLORS,
        "util_stops": [0.0, 0.5, 0.85, 1.0],
        "saturated": SATURATED_COLOR,
        "no_price": "#9e9e9e",
        "parts": list(PRICE_PARTS),
        "price_unit": unit("node", "price"),
        "flow_unit": unit("edge", "flow_gbps"),
        "rent_unit": unit("edge", "rent"),
        "scales": {},
        "nodes": {str(n): {"name": str(d.get("name") or n),
                           "site": bool(_number(d.get("capacity")))}
                  for n, d in first.nodes(data=True)},
        "links": {key: {"arcs": [[str(u), str(v)] for u, v, _ in arcs]} for key, arcs in groups},
        "periods": [],
    }
    for w, cmap in scales.items():
        data["scales"][w] = [cmap.vmin + (cmap.vmax - cmap.vmin) * k / (len(PRICE_COLORS) - 1)
                             for k in range(len(PRICE_COLORS))]
    for label, H in graphs.items():
        nodes, full = {}, {}
        for n, d in H.nodes(data=True):
            price, parts = d.get("price") or {}, d.get("price_parts") or {}
            nodes[str(n)] = {w: ([_number(price.get(w))]
                                 + [_number((parts.get(w) or {}).get(k)) for k in PRICE_PARTS])
                             if _number(price.get(w)) is not None else None for w in workloads}
            util, scarcity = _number(d.get("utilisation")), _number(d.get("scarcity"))
            full[str(n)] = bool((util is not None and util >= 1 - 1e-6)
                                or (scarcity is not None and scarcity > 1e-9))
        links = {}
        for key, arcs in groups:
            links[key] = [[_number(H.edges[u, v].get("flow_gbps")) or 0.0,
                           _number(H.edges[u, v].get("utilisation")) or 0.0,
                           _number(H.edges[u, v].get("rent")) or 0.0,
                           bool(H.edges[u, v].get("saturated")),
                           _number(H.edges[u, v].get("bandwidth_gbps"))] for u, v, _ in arcs]
        objective = (H.graph.get("result") or {}).get("objective")
        data["periods"].append({"label": label, "nodes": nodes, "full": full, "links": links,
                                "objective": _number(objective)})
    return data


def period_map(graphs, workload=None, *, initial=None, period_hours=1.0, tiles="auto",
               offline=True, price_range=None):
    """A price map with a control that steps through the periods.

    Parameters
    ----------
    graphs : dict
        ``{period label: annotated graph}`` in period order, each from
        ``netprice.annotate(G, res, period=label)``: the same network.
    workload : str, optional
        The workload shown first (every workload has its layer).
    initial : str, optional
        The period shown first (default: the first).
    period_hours : float
        Shown in the control.
    tiles, offline, price_range
        As :func:`netprice.maps.price_map`; without ``price_range`` each
        workload's scale spans its prices over every period.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> G.graph["periods"] = ["2026-07-01T00:00Z", "2026-07-01T01:00Z"]
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=[10.0, 20.0],
    ...              demand={"chat": 1e5})
    >>> res = npx.clear_market(G)
    >>> m = period_map({p: npx.annotate(G, res, period=p) for p in res.periods}, tiles=None)
    >>> "np-periods" in m.get_root().render()
    True
    """
    graphs = dict(graphs)
    if not graphs:
        raise ValueError("period_map needs at least one annotated period")
    labels = list(graphs)
    initial = labels[0] if initial is None else initial
    if initial not in graphs:
        raise ValueError(f"no period {initial!r} among the graphs ({labels[0]!r} ... {labels[-1]!r})")
    first = graphs[initial]
    workloads = list(first.graph["workloads"])
    # One colour scale per workload over every period, so that colours compare across the day;
    # given to price_map as a fixed range, its legend shows the day's scale.
    scales = _price_scales(list(graphs.items()), workloads, _fixed_ranges(price_range, workloads))
    m = price_map(first, workload, tiles=tiles, offline=offline,
                  price_range={w: (c.vmin, c.vmax) for w, c in scales.items()})
    data = _period_data(graphs, workloads, scales)
    data["hours"] = period_hours
    _PeriodControl(json.loads(json.dumps(data)), labels.index(initial)).add_to(m)
    return m
