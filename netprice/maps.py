"""Interactive price maps of a cleared market (folium / Leaflet).

A map draws what :func:`netprice.annotate` wrote on the graph and nothing
else: it never runs a solve. Nodes are coloured by the locational price of
one workload, links by their utilisation, saturated links stand out with
their congestion rent, and every number carries its unit.

Layout of a map from :func:`price_map`:

- one *base layer* (radio button) per workload, and per mode when a second
  result is passed as ``compare=`` (e.g. "chat (transfer)" and
  "chat (baseline)"), so that flipping between two radio buttons compares
  the modes on the same scale;
- an overlay with an OpenStreetMap tile layer (online) and one with
  country and U.S. state outlines shipped with netprice
  (``netprice/data/boundaries``), drawn under the tiles so that the map is
  readable when the tiles cannot load;
- a legend with the price scale of the shown workload ($/Mtok), the link
  styles and the node styles.

With ``offline=True`` (the default) the saved HTML loads nothing from the
network: Leaflet and jQuery are inlined from pip packages
(see :mod:`netprice.offline`).
"""

from __future__ import annotations

import functools
import html as _html
import json
import math
from pathlib import Path

import branca.colormap as bcm
import folium
import networkx as nx
from branca.element import MacroElement
from jinja2 import Template

from .map_view import (_UTILISATION, NO_PRICE_COLOR, PRICE_COLORS, SATURATED_COLOR, FitView,
                       LonFrame, arc_coords, label_layer, link_groups, node_points, node_radius,
                       price_layers, utilisation_color)
from .offline import make_offline
from .schema import PRICE_PARTS, unit

__all__ = [
    "price_map",
    "link_groups",
    "load_boundaries",
    "BOUNDARIES_PATH",
    "PRICE_COLORS",
    "SATURATED_COLOR",
    "NO_PRICE_COLOR",
    "utilisation_color",
]

#: The shipped background outlines (public domain; see its README.md).
BOUNDARIES_PATH = Path(__file__).parent / "data" / "boundaries" / "boundaries.geojson"

_SEA = "#dce8f0"


@functools.lru_cache(maxsize=1)
def _boundaries_text() -> str:
    return BOUNDARIES_PATH.read_text(encoding="utf-8")


def load_boundaries(bbox=None, *, margin=(25.0, 15.0)) -> dict:
    """The shipped country / U.S. state outlines as a GeoJSON FeatureCollection.

    Parameters
    ----------
    bbox : tuple, optional
        ``(west, south, east, north)`` in degrees; only features whose own
        bounding box meets this one widened by ``margin`` are kept, which
        keeps a regional map's HTML small.  ``east`` may exceed 180 (a
        network across the antimeridian, see
        :class:`netprice.map_view.LonFrame`): features there are moved by
        360 degrees to meet it.
    margin : (float, float)
        Widening in degrees of longitude and latitude.

    Returns
    -------
    dict
        Each feature has an ``id`` and properties ``name`` and ``kind``
        (``"country"`` or ``"us_state"``).

    Examples
    --------
    >>> fc = load_boundaries((-125, 25, -67, 49))
    >>> kinds = {f["properties"]["kind"] for f in fc["features"]}
    >>> sorted(kinds)
    ['country', 'us_state']
    >>> any(f["properties"]["name"] == "Japan" for f in fc["features"])
    False
    >>> fiji = load_boundaries((175, -20, 185, -15))  # across the antimeridian
    >>> any(f["properties"]["name"] == "Fiji" for f in fiji["features"])
    True
    """
    fc = json.loads(_boundaries_text())
    features = []
    for i, f in enumerate(fc["features"]):
        shifts = (0.0,) if bbox is None else [
            shift for shift in (0.0, 360.0, -360.0) if _meets(f, shift, bbox, margin)]
        for shift in shifts:
            moved = f if shift == 0 else dict(f, geometry=_shifted(f["geometry"], shift))
            features.append(dict(moved, id=f"b{i}" if shift == 0 else f"b{i}{shift:+.0f}"))
    return {"type": "FeatureCollection", "features": features}


def _meets(feature, shift, bbox, margin):
    w, s, e, n = _feature_bounds(feature["geometry"])
    return not (e + shift < bbox[0] - margin[0] or w + shift > bbox[2] + margin[0]
                or n < bbox[1] - margin[1] or s > bbox[3] + margin[1])


def _shifted(geometry, shift):
    def walk(c):
        if c and isinstance(c[0], (int, float)):
            return [c[0] + shift, *c[1:]]
        return [walk(item) for item in c]

    return dict(geometry, coordinates=walk(geometry["coordinates"]))


def _feature_bounds(geometry):
    xs, ys = [], []

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for item in c:
                walk(item)

    walk(geometry["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


# ---------------------------------------------------------------- formatting

def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _num(x, digits=None) -> str:
    """``x`` with thousands separators; by default with enough decimals for
    four significant figures below 1 (prices here can be fractions of a cent)."""
    if not _finite(x):
        return "n/a"
    return f"{float(x):,.{_decimals(x) if digits is None else digits}f}"


def _decimals(x) -> int:
    a = abs(float(x)) if _finite(x) else 0.0
    if a == 0 or a >= 1:
        return 2
    return min(6, max(2, 3 - math.floor(math.log10(a))))


def _pct(x) -> str:
    return f"{100 * float(x):.1f} %" if _finite(x) else "n/a"


def _esc(text) -> str:
    # folium pastes tooltip and popup HTML into JavaScript template literals
    return (_html.escape(str(text)).replace("`", "&#96;").replace("$", "&#36;")
            .replace("\\", "&#92;"))


def _js_safe(fragment: str) -> str:
    # for HTML we build ourselves: only the template-literal specials need care
    return fragment.replace("\\", "&#92;").replace("`", "&#96;").replace("${", "&#36;{")


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at least ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))


def scale_ticks(vmin: float, vmax: float, width: float = 222.0, char_px: float = 6.2):
    """Round tick values on a colour bar ``width`` pixels wide, whose labels never touch.

    The finest round step (1, 2, 2.5 or 5 x 10^k) that gives at most six
    ticks and leaves every label (about ``char_px`` pixels a character)
    clear of its neighbours: a narrow range of prices gets fewer, longer
    labels instead of "0.210780.21128".

    Returns
    -------
    list of (value, label, x)
        ``x`` in pixels from the bar's left end.

    Examples
    --------
    >>> [label for _, label, _ in scale_ticks(0.21078, 0.21128)]
    ['0.2108', '0.2110', '0.2112']
    >>> [label for _, label, _ in scale_ticks(10.0, 58.0)]
    ['10', '20', '30', '40', '50']
    """
    span = vmax - vmin
    step = _nice_step(span / 6.0)
    for _ in range(12):
        first = math.ceil(vmin / step - 1e-9) * step
        values = [first + i * step for i in range(7) if first + i * step <= vmax + 1e-9 * span]
        mantissa = round(step / 10.0 ** math.floor(math.log10(step)), 6)
        decimals = max(0, -math.floor(math.log10(step) + 1e-12) + (mantissa == 2.5))
        ticks = [(v, f"{v + 0.0:,.{decimals}f}", (v - vmin) / span * width) for v in values]
        halves = [len(label) * char_px / 2 + 4 for _, label, _ in ticks]
        if len(ticks) >= 2 and all(b[2] - a[2] >= ha + hb for a, b, ha, hb
                                   in zip(ticks, ticks[1:], halves, halves[1:])):
            return ticks
        step = _nice_step(step * 1.01)
    decimals = 2
    while f"{vmin:.{decimals}f}" == f"{vmax:.{decimals}f}" and decimals < 12:
        decimals += 1
    return [(vmin, f"{vmin:,.{decimals}f}", 0.0), (vmax, f"{vmax:,.{decimals}f}", width)]


# ---------------------------------------------------------------- graph reading

def _check_annotated(H, what="H"):
    if not isinstance(H, nx.DiGraph):
        raise TypeError(f"{what} must be an annotated networkx.DiGraph "
                        f"(npx.annotate(G, res)), not {type(H).__name__}")
    if "workloads" not in H.graph or not H.graph["workloads"]:
        raise ValueError(f"{what} declares no workloads (G.graph['workloads'])")
    if not any("price" in d for _, d in H.nodes(data=True)):
        raise ValueError(
            f"{what} carries no results (no node has a 'price'): a map draws a cleared "
            "market and never solves one; run res = npx.clear_market(G) and pass "
            "npx.annotate(G, res)")
    for n, d in H.nodes(data=True):
        if not (_finite(d.get("lon")) and _finite(d.get("lat"))):
            raise ValueError(f"{what}: node {n!r} has no WGS84 'lon'/'lat' to place it on a map")


def _mode(H) -> str:
    return str((H.graph.get("result") or {}).get("mode") or "result")


def _mercator(lat, lon):
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _midpoint_and_angle(coords):
    """Point halfway along a lat/lon polyline and its screen bearing in degrees.

    Web Mercator is conformal, so an angle measured there holds at every zoom.
    """
    pts = [_mercator(lat, lon) for lat, lon in coords]
    seg = [math.dist(a, b) for a, b in zip(pts, pts[1:])]
    half = sum(seg) / 2
    for i, s in enumerate(seg):
        if half <= s or i == len(seg) - 1:
            t = half / s if s > 0 else 0.5
            (la0, lo0), (la1, lo1) = coords[i], coords[i + 1]
            (x0, y0), (x1, y1) = pts[i], pts[i + 1]
            angle = math.degrees(math.atan2(-(y1 - y0), x1 - x0))
            return (la0 + t * (la1 - la0), lo0 + t * (lo1 - lo0)), angle
        half -= s
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- map pieces

class _Legend(MacroElement):
    """Legend box: price scale of the shown workload, link and node keys."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
  .leaflet-container { background: {{ this.sea }}; }
  .np-legend { background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 6px;
    box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 11px/1.3 Arial, Helvetica, sans-serif;
    color: #222; max-width: 330px; }
  .np-legend h4 { margin: 0 0 4px 0; font-size: 13px; }
  .np-legend .np-key { display: flex; align-items: center; gap: 4px; margin: 1px 0; }
  .np-legend .np-keys { display: grid; grid-template-columns: auto auto; gap: 0 12px;
    margin: 2px 0 3px 0; }
  .np-muted { color: #666; font-size: 11px; }
  .leaflet-pane > svg path.np-halo.leaflet-interactive { pointer-events: none; }
  .np-arrow { pointer-events: none; }
  .np-tip table { border-collapse: collapse; margin-top: 3px; }
  .np-tip td, .np-tip th { padding: 0 6px 0 0; text-align: right; white-space: nowrap; }
  .np-tip td:first-child, .np-tip th:first-child { text-align: left; }
  .np-tip .np-sat { color: {{ this.saturated }}; font-weight: bold; }
  .np-tip .np-dir { margin-top: 4px; }
  .leaflet-tooltip, .leaflet-popup-content { font-size: 12px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'np-legend');
    div.innerHTML = {{ this.html|tojson }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);
  var layerWorkload = {{ this.layer_workload|tojson }};
  function showScale(w) {
    var scales = document.querySelectorAll('.np-price-scale');
    for (var i = 0; i < scales.length; i++) {
      scales[i].style.display = scales[i].getAttribute('data-workload') === w ? '' : 'none';
    }
  }
  showScale({{ this.initial|tojson }});
  map.on('baselayerchange', function (e) {
    if (Object.prototype.hasOwnProperty.call(layerWorkload, e.name)) {
      showScale(layerWorkload[e.name]);
    }
  });
})();
{% endmacro %}
""")

    def __init__(self, html, layer_workload, initial):
        super().__init__()
        self._name = "NetpriceLegend"
        self.html = html
        self.layer_workload = layer_workload
        self.initial = initial
        self.sea = _SEA
        self.saturated = SATURATED_COLOR


def _scale_svg(cmap, width=230, ticks=None, height=18) -> str:
    """A colour bar with its ticks; ``ticks``: [(value, label, x)] (default: scale_ticks)."""
    bar = width - 8
    span = cmap.vmax - cmap.vmin
    # tenths, and the colour map's own corners, so the bar shows its colours exactly
    offsets = sorted({round(k / 10, 4) for k in range(11)}
                     | {round((x - cmap.vmin) / span, 4) for x in cmap.index})
    stops = "".join(f'<stop offset="{f:g}" stop-color="{cmap(cmap.vmin + span * f)[:7]}"/>'
                    for f in offsets)
    marks = []
    for _, label, x in (ticks if ticks is not None else scale_ticks(cmap.vmin, cmap.vmax, bar)):
        half = len(label) * 3.1
        # a label stays inside the box: flush with an end it would pass
        anchor = "start" if x - half < -4 else "end" if x + half > bar + 4 else "middle"
        x += 4
        marks.append(f'<line x1="{x:.1f}" y1="{height + 4}" x2="{x:.1f}" y2="{height + 8}" '
                     f'stroke="#333"/><text x="{x:.1f}" y="{height + 19}" font-size="10" '
                     f'text-anchor="{anchor}">{label}</text>')
    gid = f"np-grad-{id(cmap)}"
    return (f'<svg width="{width}" height="{height + 22}" role="img">'
            f'<defs><linearGradient id="{gid}">{stops}</linearGradient></defs>'
            f'<rect x="4" y="4" width="{bar}" height="{height}" fill="url(#{gid})" '
            'stroke="#555" stroke-width="0.5"/>'
            + "".join(marks) + "</svg>")


def _utilisation_svg(width=230) -> str:
    # the link colours as drawn: a bar over 0..100 %, ticked where the colours change
    ticks = [(u, f"{100 * u:.0f} %", u * (width - 8)) for u in (0.0, 0.5, 1.0)]
    return _scale_svg(_UTILISATION, width, ticks=ticks, height=10)


def _legend_html(scales, graphs, has_arrows) -> str:
    parts = []
    heads = " vs ".join(
        f"{_html.escape(label)}: {_num((G.graph.get('result') or {}).get('objective'), 2)} $/h"
        for label, G in graphs)
    parts.append("<h4>netprice: locational prices</h4>"
                 f"<div class='np-muted'>objective {heads}</div>")
    for w, cmap in scales.items():
        fixed = getattr(cmap, "np_fixed", False)
        note = ("<div class='np-muted'>fixed scale: prices beyond it take its end colours</div>"
                if fixed else "")
        parts.append(f"<div class='np-price-scale' data-workload='{_html.escape(w)}'>"
                     f"<b>{_html.escape(cmap.caption)}</b><br>{_scale_svg(cmap)}{note}</div>")

    def key(svg, text):
        return f"<div class='np-key'><svg width='30' height='14'>{svg}</svg>{text}</div>"

    def line(colour, width, extra=""):
        return (f"<line x1='2' y1='7' x2='28' y2='7' stroke='{colour}' stroke-width='{width}' "
                f"{extra}/>")

    def dot(r, fill, stroke, width):
        return (f"<circle cx='15' cy='7' r='{r}' fill='{fill}' stroke='{stroke}' "
                f"stroke-width='{width}'/>")

    links = [key(line(SATURATED_COLOR, 12, "stroke-opacity='0.35' stroke-dasharray='4 4'")
                 + line(SATURATED_COLOR, 6), "saturated")]
    if has_arrows:
        links.append(key("<polygon points='10,2 22,7 10,12' fill='#222'/>", "flow direction"))
    nodes = [key(dot(6, PRICE_COLORS[2], "#111", 2), "compute site"),
             key(dot(6, PRICE_COLORS[2], SATURATED_COLOR, 3), "compute full"),
             key(dot(4, PRICE_COLORS[2], "#fff", 1), "no compute"),
             key(dot(5, NO_PRICE_COLOR, "#555", 1), "no price")]
    parts.append("<div><b>Links</b>: colour and width = utilisation"
                 f"{_utilisation_svg()}</div>"
                 "<div class='np-keys'><div>" + "".join(links) + "</div><div><b>Nodes</b>: "
                 "size = capacity" + "".join(nodes) + "</div></div>")
    parts.append("<div class='np-muted'>Hover a link for flows and rents "
                 f"({unit('edge', 'rent')}), a node for its price decomposition; "
                 "click a node for its serving mix.</div>")
    parts.append("<div class='np-muted'>Outlines: Natural Earth, U.S. Census Bureau "
                 "(public domain)</div>")
    # the legend reaches JavaScript through tojson, so plain HTML escaping suffices
    return "".join(parts)


def _fixed_ranges(price_range, workloads) -> dict:
    """``{workload: (lo, hi)}`` from ``price_map``'s ``price_range``, checked."""
    if price_range is None:
        return {}
    given = price_range if isinstance(price_range, dict) else {w: price_range
                                                                 for w in workloads}
    ranges = {}
    for w, pair in given.items():
        if w not in workloads:
            raise ValueError(f"price_range names workload {w!r}, which is not declared; "
                             f"choose among {workloads}")
        try:
            lo, hi = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ValueError(f"price_range for {w!r} must be (low, high) in $/Mtok, "
                             f"got {pair!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"price_range for {w!r} must have low < high, got {pair!r}")
        ranges[w] = (lo, hi)
    return ranges


def _price_scales(graphs, workloads, fixed) -> dict:
    scales = {}
    for w in workloads:
        if w in fixed:
            lo, hi = fixed[w]
        else:
            values = [float(d["price"][w]) for _, G in graphs for _, d in G.nodes(data=True)
                      if isinstance(d.get("price"), dict) and _finite(d["price"].get(w))]
            lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        if hi - lo < 1e-9 * max(1.0, abs(hi)):
            # one uniform price: centre it on a visible band instead of a zero-width scale
            pad = max(abs(lo) * 0.05, 0.5)
            lo, hi = lo - pad, hi + pad
        scales[w] = bcm.LinearColormap(PRICE_COLORS, vmin=lo, vmax=hi,
                                       caption=f"{w} price, {unit('node', 'price')}")
        scales[w].np_fixed = w in fixed
    return scales


def _node_tooltip(n, d, w) -> str:
    name = d.get("name") or n
    head = f"<b>{_esc(name)}</b>"
    if d.get("name"):
        head += f" <span class='np-muted'>({_esc(n)})</span>"
    price = (d.get("price") or {}).get(w)
    if not _finite(price):
        return (f"<div class='np-tip'>{head}<br>{_esc(w)}: <b>no price</b> "
                "(no admissible service from here)</div>")
    dec = _decimals(price)  # parts aligned with the total
    rows = "".join(
        f"<tr><td>{p}</td><td>{_num(((d.get('price_parts') or {}).get(w) or {}).get(p), dec)}</td>"
        "</tr>" for p in PRICE_PARTS)
    return (f"<div class='np-tip'>{head}<br>{_esc(w)} price <b>{_num(price)} "
            f"{unit('node', 'price')}</b><table><tr><th>of which</th>"
            f"<th>{unit('node', 'price_parts')}</th></tr>{rows}</table></div>")


def _node_popup(n, d, workloads) -> str:
    name = d.get("name") or n
    cap = d.get("capacity") or 0.0
    served = d.get("served") or {}
    demand = d.get("demand") or {}
    price = d.get("price") or {}
    rows = "".join(
        f"<tr><td>{_esc(w)}</td><td>{_num(demand.get(w, 0.0), 0)}</td>"
        f"<td>{_num(served.get(w, 0.0), 0)}</td>"
        f"<td>{_num(price.get(w))}</td></tr>" for w in workloads)
    html = [f"<div class='np-tip'><b>{_esc(name)}</b> <span class='np-muted'>({_esc(n)})</span>",
            "<table><tr><th>workload</th><th>demand tok/s</th><th>served tok/s</th>"
            f"<th>price {unit('node', 'price')}</th></tr>{rows}</table>"]
    if _finite(cap) and float(cap) > 0:
        html.append(
            f"compute used {_num(d.get('compute_used'), 0)} of {_num(cap, 0)} "
            f"{unit('node', 'compute_used')} ({_pct(d.get('utilisation'))})<br>"
            f"scarcity rent {_num(d.get('scarcity'))} {unit('node', 'scarcity')}")
    else:
        html.append("no compute at this node")
    html.append("</div>")
    return "".join(html)


def _link_tooltip(H, key, arcs, w) -> str:
    u0, v0, _ = arcs[0]

    def label(n):
        return _esc(H.nodes[n].get("name") or n)

    # one short block per direction keeps the tooltip narrow enough for a laptop screen
    blocks = []
    for u, v, d in arcs:
        sat = bool(d.get("saturated"))
        rent = d.get("rent")
        lines = [f"<b{' class=np-sat' if sat else ''}>{label(u)} &rarr; {label(v)}"
                 f"{': saturated' if sat else ''}</b>",
                 f"flow {_num(d.get('flow_gbps'), 2)} of {_num(d.get('bandwidth_gbps'), 1)} "
                 f"{unit('edge', 'flow_gbps')} ({_pct(d.get('utilisation'))})"]
        if sat or (_finite(rent) and float(rent) > 0):
            lines.append(f"<span{' class=np-sat' if sat else ''}>rent {_num(rent)} "
                         f"{unit('edge', 'rent')}</span>")
        # every workload, not only the shown one: the heavy one is what saturates a link
        tokens = [(k, t) for k, t in (d.get("flow_tokens") or {}).items()
                  if _finite(t) and float(t) > 0]
        tokens.sort(key=lambda kt: (kt[0] != w, -float(kt[1])))
        listed = " &middot; ".join(f"{_esc(k)} {_num(t, 0)}" for k, t in tokens)
        lines.append(f"{unit('edge', 'flow_tokens')}: {listed or 'none'}")
        blocks.append("<div class='np-dir'>" + "<br>".join(lines) + "</div>")
    kind = "one-way link" if len(arcs) == 1 and arcs[0][2].get("directed") else "link"
    return (f"<div class='np-tip'><b>{kind} {_esc(key)}</b>: {label(u0)} &ndash; {label(v0)}"
            + "".join(blocks) + "</div>")


def _arrow_html(angle, both) -> str:
    heads = ("<polygon points='9,3 17,9 9,15' fill='#222'/>"
             "<polygon points='9,3 1,9 9,15' fill='#222'/>"
             if both else "<polygon points='4,3 15,9 4,15' fill='#222'/>")
    return (f"<svg width='18' height='18' "
            f"style='transform: rotate({angle:.1f}deg); overflow: visible'>"
            f"<g stroke='#fff' stroke-width='1'>{heads}</g></svg>")


def _classed(path, classes):
    # Leaflet's className lands on the SVG element, where tests and styles find it;
    # set directly because older folium drops unknown path options
    path.options["className"] = classes
    return path


def _add_links(layer, H, w, counters, frame):
    for key, arcs in link_groups(H):
        u, v, d0 = arcs[0]
        coords = arc_coords(H, u, v, d0, frame)
        utils = [float(d["utilisation"]) for _, _, d in arcs if _finite(d.get("utilisation"))]
        util = max(utils) if utils else 0.0
        saturated = any(bool(d.get("saturated")) for _, _, d in arcs)
        tip = folium.Tooltip(_js_safe(_link_tooltip(H, key, arcs, w)), sticky=True)
        if saturated:
            counters["saturated"] += 1
            # a wide dashed glow under the line: visible at any zoom, even on tiles
            _classed(folium.PolyLine(coords, color=SATURATED_COLOR, weight=18, opacity=0.35,
                                     dash_array="8 8", line_cap="butt"), "np-halo").add_to(layer)
            line = folium.PolyLine(coords, color=SATURATED_COLOR, weight=7, opacity=1.0,
                                   tooltip=tip)
            _classed(line, "np-link np-saturated").add_to(layer)
        else:
            line = folium.PolyLine(coords, color=utilisation_color(util)[:7],
                                   weight=2 + 5 * min(util, 1.0), opacity=0.9, tooltip=tip)
            _classed(line, "np-link").add_to(layer)
        line.options["npLink"] = str(key)   # what netprice.period_maps redraws
        flows = [(float(d.get("flow_gbps") or 0.0), u_, v_) for u_, v_, d in arcs]
        flows = [f for f in flows if _finite(f[0]) and f[0] > 1e-9]
        if not flows:
            continue
        main = max(flows)
        both = len(flows) == 2 and min(flows)[0] >= 0.02 * main[0]
        (lat, lon), angle = _midpoint_and_angle(coords)
        if main[1] != u:
            angle += 180.0
        counters["arrows"] += 1
        folium.Marker((lat, lon), interactive=False, keyboard=False,
                      icon=folium.DivIcon(html=_arrow_html(angle, both), icon_size=(18, 18),
                                          icon_anchor=(9, 9), class_name="np-arrow")).add_to(layer)


#: The largest marker radius (a site of the largest capacity), pixels.
MAX_RADIUS = 16.0


def _add_nodes(layer, H, w, workloads, cmap, max_cap, frame):
    for n, d in H.nodes(data=True):
        price = (d.get("price") or {}).get(w)
        cap = float(d.get("capacity") or 0.0) if _finite(d.get("capacity")) else 0.0
        util = d.get("utilisation")
        full = cap > 0 and ((_finite(util) and float(util) >= 1 - 1e-6)
                            or (_finite(d.get("scarcity")) and float(d["scarcity"]) > 1e-9))
        radius = node_radius(cap, max_cap)
        if cap > 0:
            stroke, weight = (SATURATED_COLOR, 3.5) if full else ("#111", 2)
        else:
            stroke, weight = "#ffffff", 1.5
        fill = cmap(float(price))[:7] if _finite(price) else NO_PRICE_COLOR
        marker = folium.CircleMarker(
            (d["lat"], frame.lon(d["lon"])), radius=radius, color=stroke, weight=weight,
            fill=True, fill_color=fill, fill_opacity=0.95,
            tooltip=folium.Tooltip(_js_safe(_node_tooltip(n, d, w)), sticky=True),
            popup=folium.Popup(_js_safe(_node_popup(n, d, workloads)), max_width=420),
        )
        _classed(marker, "np-node").add_to(layer)
        marker.options.update(npNode=str(n), npWorkload=w)   # read by netprice.period_maps


def _bounds(graphs, frame):
    """West, south, east, north of every node and link line, in the frame."""
    lats, lons = [], []
    for _, G in graphs:
        for _, d in G.nodes(data=True):
            lats.append(float(d["lat"]))
            lons.append(frame.lon(d["lon"]))
        for u, v, d in G.edges(data=True):
            if d.get("geometry"):
                for lat, lon in arc_coords(G, u, v, d, frame):
                    lats.append(lat)
                    lons.append(lon)
    return min(lons), min(lats), max(lons), max(lats)


def _named_graphs(H, compare):
    graphs = [H] if compare is None else [H, compare]
    names = [_mode(G) for G in graphs]
    if len(names) == 2 and names[0] == names[1]:
        names[1] = f"{names[1]}, compare"
    return list(zip(names, graphs))


#: Above this many nodes and links, maps draw on a canvas from compact data
#: (:mod:`netprice.map_canvas`) instead of one SVG element per node and link.
CANVAS_THRESHOLD = 3000
#: Networks up to this many nodes show their names at first; larger ones
#: have the "Node names" layer off until the user turns it on.
LABELS_SHOWN_UP_TO = 30


def price_map(H, workload=None, *, compare=None, tiles="auto", offline=True, price_range=None,
              labels=None, canvas=None, progress=None) -> folium.Map:
    """An interactive map of locational prices, link use and congestion rents.

    Reads the result attributes that :func:`netprice.annotate` wrote on the
    graph; it never solves anything.

    Parameters
    ----------
    H : networkx.DiGraph
        An annotated graph (node ``price``, ``price_parts``, ``served``,
        ``compute_used``, ``utilisation``, ``scarcity``; arc ``flow_gbps``,
        ``flow_tokens``, ``utilisation``, ``saturated``, ``rent``; node
        ``lon``/``lat`` in WGS84; ``G.graph["result"]["mode"]``).
    workload : str, optional
        The workload whose layer is shown first (default: the first
        declared). Every workload gets its own layer either way.
    compare : networkx.DiGraph, optional
        A second annotated graph of the same network, typically the other
        mode. Its layers join the same map, named by mode
        ("chat (transfer)", "chat (baseline)"), on the same price scale per
        workload, so that switching layers compares the two results.
    tiles : {"auto", None} or str
        ``"auto"``: an OpenStreetMap tile overlay (needs internet). None: no
        tiles. Any other string is passed to :class:`folium.TileLayer`. The
        shipped country and U.S. state outlines are always drawn underneath,
        so the map reads without tiles.
    offline : bool
        Inline Leaflet and jQuery from pip packages so that the saved HTML
        loads no script or stylesheet from the network.
    price_range : (float, float) or dict, optional
        Fix the colour scale, $/Mtok: ``(low, high)`` for every workload or
        ``{workload: (low, high)}``, so that maps of different runs share
        one scale (a price outside it takes the colour of its end).
        Default: each workload's scale spans its prices on this map.
    labels : bool, optional
        Show the "Node names" layer at first (default: for networks of at
        most :data:`LABELS_SHOWN_UP_TO` nodes); it is in the layer list
        either way and draws the names of the nodes in view.
    canvas : bool, optional
        Draw on a canvas from one compact copy of the data, with tooltips
        built on hover (default: above :data:`CANVAS_THRESHOLD` nodes and
        links): a 25,600-node grid becomes a file of a few tens of MB
        instead of hundreds.  No flow-direction arrows are drawn then.
    progress : callable, optional
        ``progress(done, total, what)`` after each step of drawing.

    Returns
    -------
    folium.Map
        Save it with ``.save("maps/name.html")``.

    Raises
    ------
    ValueError
        If ``H`` carries no results, or ``workload`` is not declared.

    Examples
    --------
    >>> import networkx as nx
    >>> H = nx.DiGraph(workloads={"chat": {"latency_ms": 50}},
    ...                result={"mode": "transfer", "objective": 12.0})
    >>> H.add_node("a", lon=-87.6, lat=41.9, capacity=100, price={"chat": 10.0})
    >>> H.add_node("b", lon=-74.0, lat=40.7, capacity=0, price={"chat": 50.0})
    >>> for u, v in [("a", "b"), ("b", "a")]:
    ...     H.add_edge(u, v, link="L1", bandwidth_gbps=1.0, flow_gbps=1.0 if u == "a" else 0.0,
    ...                utilisation=1.0 if u == "a" else 0.0, saturated=u == "a",
    ...                rent=40.0 if u == "a" else 0.0)
    >>> m = price_map(H, tiles=None)
    >>> "40.00" in m.get_root().render()
    True
    """
    _check_annotated(H)
    workloads = list(H.graph["workloads"])
    if compare is not None:
        _check_annotated(compare, "compare")
        workloads += [w for w in compare.graph["workloads"] if w not in workloads]
    if workload is None:
        workload = workloads[0]
    elif workload not in workloads:
        raise ValueError(f"workload {workload!r} is not declared; choose one of {workloads}")
    fixed = _fixed_ranges(price_range, workloads)

    graphs = _named_graphs(H, compare)
    frame = LonFrame(d["lon"] for _, G in graphs for _, d in G.nodes(data=True))
    west, south, east, north = _bounds(graphs, frame)
    if canvas is None:
        canvas = H.number_of_nodes() + H.number_of_edges() // 2 > CANVAS_THRESHOLD
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=4,
                   tiles=None, control_scale=True, prefer_canvas=bool(canvas))
    if offline:
        make_offline(m)

    folium.map.CustomPane("np-boundaries", z_index=150).add_to(m)
    folium.GeoJson(
        load_boundaries((west, south, east, north)), name="Outlines (offline)",
        style_function=lambda f: {
            "color": "#a39e93" if f["properties"]["kind"] == "us_state" else "#8c877d",
            "weight": 0.8 if f["properties"]["kind"] == "us_state" else 1.1,
            "fillColor": "#f4f1ea", "fillOpacity": 1.0},
        pane="np-boundaries", interactive=False, overlay=True, control=True, show=True,
        zoom_on_click=False,
    ).add_to(m)
    if tiles == "auto":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", overlay=True,
                         control=True, show=True, opacity=0.85).add_to(m)
    elif tiles:
        folium.TileLayer(tiles, name=str(tiles), overlay=True, control=True, show=True).add_to(m)

    scales = _price_scales(graphs, workloads, fixed)
    max_cap = max((float(d.get("capacity") or 0.0) for _, G in graphs for _, d in G.nodes(data=True)
                   if _finite(d.get("capacity"))), default=0.0)
    report = progress or (lambda done, total, what: None)
    if canvas:
        from .map_canvas import add_canvas_layers

        layer_workload = add_canvas_layers(m, graphs, workloads, workload, scales, max_cap,
                                           frame, report)
        arrows = False
    else:
        layer_workload = {}
        counters = {"saturated": 0, "arrows": 0}
        total = len(graphs) * len(workloads)
        for _, G, w, layer in price_layers(graphs, workloads, workload):
            layer_workload[layer.layer_name] = w
            _add_links(layer, G, w, counters, frame)
            _add_nodes(layer, G, w, workloads, scales[w], max_cap, frame)
            layer.add_to(m)
            report(len(layer_workload), total, f"layer {layer.layer_name}")
        arrows = counters["arrows"] > 0

    label_layer(m, graphs, frame,
                show=labels if labels is not None else H.number_of_nodes() <= LABELS_SHOWN_UP_TO)
    _Legend(_legend_html(scales, graphs, arrows), layer_workload, workload).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    pad = 0.5
    bounds = [[south - pad, west - pad], [north + pad, east + pad]]
    m.fit_bounds(bounds, padding=(30, 30))
    FitView(bounds, node_points(graphs, frame), MAX_RADIUS).add_to(m)
    return m
