"""Where a price map looks and what it writes beside the network: view, longitudes, labels.

:mod:`netprice.maps` draws the layers; this module makes them readable:

* :class:`LonFrame` places every longitude of a map in one 360-degree
  window chosen around the network, and unwraps each line into it, so a
  link across the antimeridian is drawn the short way round (the way its
  latency was measured) and a Pacific network is drawn in one piece;
* :class:`FitView` fits the first view to the network so that no node
  lies under a map control (zoom buttons, layer list, legend, scale);
* :class:`NodeLabels` fills an overlay layer with node names, only for
  the nodes in view, so that the toggle costs nothing on a large network.

All three are data plus a little JavaScript: a map only draws what is
there (nothing here solves or reads results).  Below them are the
drawing primitives every map shares (the price and utilisation colours,
links as shapes, marker sizes, the price layers), here so that the SVG
maps, the canvas renderer (:mod:`netprice.map_canvas`) and the period and
screen maps take them from one place without importing each other.
"""

from __future__ import annotations

import json
import math

import branca.colormap as bcm
import folium
from branca.element import MacroElement
from jinja2 import Template

__all__ = ["LonFrame", "FitView", "NodeLabels", "node_points", "js_json", "PRICE_COLORS",
           "NO_PRICE_COLOR", "SATURATED_COLOR", "utilisation_color", "link_groups", "arc_coords",
           "node_radius", "price_layers"]


def js_json(value) -> str:
    """JSON to paste into a page's script: nothing in it can end the script or be read as
    a template literal (``</script>``, backquotes and ``${`` are written as escapes).

    Examples
    --------
    >>> print(js_json(["a`b", "${x}</script>"]))
    ["a\\u0060b","\\u0024{x}\\u003c/script>"]
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("`", "\\u0060").replace("$", "\\u0024")


class LonFrame:
    """A 360-degree window of longitudes, ``[west, west + 360)``, that holds a network.

    Leaflet draws a line from longitude 170 to -170 across the whole map.
    The frame starts at the eastern side of the widest gap between the
    network's longitudes, so that the network is contiguous in it, and
    :meth:`line` unwraps each line from its first point, so each segment
    goes the short way (at most 180 degrees), as the geodesic does.

    Parameters
    ----------
    lons : iterable of float
        Longitudes of the network's nodes, in [-180, 180].

    Examples
    --------
    >>> LonFrame([-120.0, -75.0]).west  # nothing to move
    -180.0
    >>> frame = LonFrame([170.0, 178.0, -175.0])  # across the antimeridian
    >>> frame.west, frame.lon(-175.0)
    (170.0, 185.0)
    >>> frame.line([(178.0, -18.0), (-175.0, -15.0)])
    [(178.0, -18.0), (185.0, -15.0)]
    """

    def __init__(self, lons):
        ordered = sorted({float(x) for x in lons})
        self.west = -180.0
        if len(ordered) < 2:
            return
        gaps = [(b - a, b) for a, b in zip(ordered, ordered[1:])]
        gaps.append((ordered[0] + 360.0 - ordered[-1], ordered[0]))
        widest, east_of_it = max(gaps)
        if east_of_it != ordered[0]:  # the widest gap is inside [-180, 180]: start after it
            self.west = east_of_it

    def lon(self, lon: float) -> float:
        """``lon`` moved into the frame."""
        lon = float(lon)
        while lon < self.west:
            lon += 360.0
        while lon >= self.west + 360.0:
            lon -= 360.0
        return lon

    def line(self, coords) -> list:
        """A (lon, lat) polyline in the frame, each segment the short way round."""
        out = []
        for lon, lat in coords:
            lon = float(lon)
            if not out:
                lon = self.lon(lon)
            else:
                prev = out[-1][0]
                lon += 360.0 * round((prev - lon) / 360.0)
            out.append((lon, float(lat)))
        return out


def node_points(graphs, frame, digits=5):
    """``[[lat, lon], ...]`` of every node of the first graph, in the frame, rounded.

    Five decimals are about a metre: enough to place a marker, and short.
    """
    _, G = graphs[0]
    return [[round(float(d["lat"]), digits), round(frame.lon(d["lon"]), digits)]
            for _, d in G.nodes(data=True)]


class FitView(MacroElement):
    """Fit the first view to the network, keeping every node clear of the map's controls.

    After the page has laid out its controls, the bounds are fitted with
    padding, then the padding grows on the side of any control a node (with
    its marker's radius) still falls under, until none does or the view
    cannot be made to work (a network denser than the controls leave room
    for).  Fractional zoom (``zoomSnap`` 0.25) lets the view fit closely.

    Parameters
    ----------
    bounds : ((south, west), (north, east))
        What must be in view, in the map's longitude frame.
    points : list of [lat, lon]
        The nodes to keep clear of the controls.
    radius : float
        The largest marker radius, pixels.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var bounds = L.latLngBounds({{ this.bounds|tojson }});
  var points = {{ this.points_json }};
  var margin = {{ this.radius }} + 6;
  function controlRects() {
    var box = map.getContainer().getBoundingClientRect(), rects = [];
    var els = map.getContainer().querySelectorAll('.leaflet-control');
    for (var i = 0; i < els.length; i++) {
      var r = els[i].getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      rects.push({left: r.left - box.left - margin, right: r.right - box.left + margin,
                  top: r.top - box.top - margin, bottom: r.bottom - box.top + margin,
                  atRight: r.left + r.width / 2 > box.left + box.width / 2,
                  atBottom: r.top + r.height / 2 > box.top + box.height / 2});
    }
    return rects;
  }
  function fit() {
    var rects = controlRects(), size = map.getSize();
    var pad = {top: margin, right: margin, bottom: margin, left: margin};
    for (var round = 0; round < 16; round++) {
      map.fitBounds(bounds, {paddingTopLeft: [pad.left, pad.top],
                             paddingBottomRight: [pad.right, pad.bottom], animate: false});
      var grow = {top: 0, right: 0, bottom: 0, left: 0}, hit = false;
      for (var i = 0; i < points.length; i++) {
        var p = map.latLngToContainerPoint(points[i]);
        for (var j = 0; j < rects.length; j++) {
          var r = rects[j];
          if (p.x < r.left || p.x > r.right || p.y < r.top || p.y > r.bottom) continue;
          hit = true;
          // move the view away from the control by the shorter way out
          var side = r.atRight ? ['right', p.x - r.left] : ['left', r.right - p.x];
          var upDown = r.atBottom ? ['bottom', p.y - r.top] : ['top', r.bottom - p.y];
          var way = side[1] / size.x <= upDown[1] / size.y ? side : upDown;
          grow[way[0]] = Math.max(grow[way[0]], way[1] + 2);
        }
      }
      if (!hit) return true;
      for (var k in grow) pad[k] += grow[k];
      if (pad.left + pad.right > size.x - 40 || pad.top + pad.bottom > size.y - 40) break;
    }
    return false;
  }
  function start() {
    // a view change during the first view's zoom animation would be dropped
    if (map._animatingZoom) { map.once('zoomend', function () { setTimeout(start, 0); }); return; }
    fit();
  }
  map.options.zoomSnap = 0.25;
  // the controls are laid out once the page is: fit then, and after a resize
  map.whenReady(function () { setTimeout(start, 0); });
  window.addEventListener('resize', function () { setTimeout(start, 50); });
  map.npFit = fit;
})();
{% endmacro %}
""")

    def __init__(self, bounds, points, radius):
        super().__init__()
        self._name = "NetpriceFitView"
        self.bounds = [list(bounds[0]), list(bounds[1])]
        self.points_json = js_json(points)
        self.radius = float(radius)


class NodeLabels(MacroElement):
    """An overlay of node names, drawn for the nodes in view only.

    The layer (a :class:`folium.FeatureGroup`, so the layer control lists
    it) is filled when it is shown and after every pan or zoom, with at
    most ``limit`` labels: a 25,600-node network costs nothing until its
    user zooms in.

    Parameters
    ----------
    layer : folium.FeatureGroup
        The (empty) overlay the labels go in.
    points : list of [lat, lon]
    texts : list of str
        One label per point.
    limit : int
        Most labels drawn at once.
    """

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .np-label { background: transparent; border: none; }
  .np-label span { font: 11px/1.2 Arial, Helvetica, sans-serif; color: #111; white-space: nowrap;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; position: relative; left: 9px;
    top: -7px; pointer-events: none; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layer = {{ this.layer.get_name() }};
  var points = {{ this.points_json }}, texts = {{ this.texts_json }};
  function draw() {
    if (!map.hasLayer(layer)) return;
    layer.clearLayers();
    var view = map.getBounds(), shown = 0;
    for (var i = 0; i < points.length && shown < {{ this.limit }}; i++) {
      if (!view.contains(points[i])) continue;
      var span = document.createElement('span');
      span.textContent = texts[i];
      layer.addLayer(L.marker(points[i], {interactive: false, keyboard: false,
        icon: L.divIcon({className: 'np-label', html: span, iconSize: [0, 0]})}));
      shown++;
    }
  }
  layer.on('add', draw);
  map.on('moveend', draw);
  draw();
})();
{% endmacro %}
""")

    def __init__(self, layer, points, texts, limit=300):
        super().__init__()
        self._name = "NetpriceNodeLabels"
        self.layer = layer
        self.points_json = js_json(points)
        self.texts_json = js_json([str(t) for t in texts])
        self.limit = int(limit)


def label_layer(m, graphs, frame, *, show):
    """Add the "Node names" overlay (:class:`NodeLabels`) to ``m``; return it."""
    _, G = graphs[0]
    layer = folium.FeatureGroup(name="Node names", overlay=True, control=True, show=show)
    layer.add_to(m)
    texts = [d.get("name") or n for n, d in G.nodes(data=True)]
    NodeLabels(layer, node_points(graphs, frame), texts).add_to(m)
    return layer


# -- what every map draws with: colours, links as shapes, node sizes, price layers ---------------
#: Node colours from cheap to dear (viridis); red stays free for saturated links.
PRICE_COLORS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
#: Nodes whose price is undefined (no admissible service) or absent.
NO_PRICE_COLOR = "#9e9e9e"
#: Saturated links.
SATURATED_COLOR = "#d7191c"
_UTIL_COLORS = ["#8c9aa8", "#d9a21b", "#f08c1e", "#e25d0e"]
_UTILISATION = bcm.LinearColormap(_UTIL_COLORS, index=[0.0, 0.5, 0.85, 1.0], vmin=0.0, vmax=1.0)


def utilisation_color(u: float) -> str:
    """Stroke colour of a (not saturated) link at utilisation ``u`` in 0..1.

    Examples
    --------
    >>> utilisation_color(0.0)
    '#8c9aa8ff'
    >>> utilisation_color(float("nan")) == utilisation_color(0.0)
    True
    """
    if u is None or not math.isfinite(u):
        u = 0.0
    return _UTILISATION(min(max(u, 0.0), 1.0))


def link_groups(H) -> list[tuple]:
    """The links of a graph, each as its one or two arcs.

    An undirected link is stored as two arcs sharing the ``link`` id; a map
    draws it as one shape. Arcs without a ``link`` id are paired with their
    reverse arc unless marked ``directed``.

    Parameters
    ----------
    H : networkx.DiGraph

    Returns
    -------
    list of (link id, list of (u, v, data))
        In edge order; the first arc gives the drawing direction.

    Examples
    --------
    >>> import networkx as nx
    >>> H = nx.DiGraph()
    >>> H.add_edge("a", "b", link="L1"); H.add_edge("b", "a", link="L1")
    >>> H.add_edge("b", "c", directed=True)
    >>> [(k, len(arcs)) for k, arcs in link_groups(H)]
    [('L1', 2), ('b->c', 1)]
    """
    groups: dict = {}
    for u, v, d in H.edges(data=True):
        key = d.get("link")
        if key is None:
            if d.get("directed", False) or not H.has_edge(v, u):
                key = f"{u}->{v}"
            else:
                first, second = sorted((u, v), key=str)
                key = f"{first}-{second}"
        groups.setdefault(key, []).append((u, v, d))
    return list(groups.items())


def arc_coords(H, u, v, d, frame):
    """An arc's line as (lat, lon) in the map's longitude frame, the short way round."""
    geom = d.get("geometry")
    if not geom or len(geom) < 2:
        geom = [(H.nodes[u]["lon"], H.nodes[u]["lat"]), (H.nodes[v]["lon"], H.nodes[v]["lat"])]
    return [(lat, lon) for lon, lat in frame.line(geom)]


def node_radius(capacity, max_cap) -> float:
    """Marker radius, pixels: the area of a site's ring grows with its capacity."""
    if capacity > 0:
        return 7 + 9 * math.sqrt(capacity / max_cap) if max_cap > 0 else 9.0
    return 5.5


def price_layers(graphs, workloads, workload):
    """The (empty) price layers: one base layer (radio button) per result and workload.

    Yields ``(index of the result, its graph, workload, folium.FeatureGroup)``;
    layers are named "chat (transfer)", and the chosen workload of the
    first result is shown first.
    """
    for i, (label, G) in enumerate(graphs):
        for w in workloads:
            yield i, G, w, folium.FeatureGroup(name=f"{w} ({label})", overlay=False,
                                               control=True, show=(i == 0 and w == workload))
