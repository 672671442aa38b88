"""A map of the market-power screen: sellers coloured by their residual supply index.

It draws a table that :func:`netprice.market_power` made and the network
it was made for; it never solves.  One layer per workload (radio buttons):
each compute site is coloured by its seller's RSI (the lowest over the
regions it is screened in) and labelled with the site, the seller and that
RSI; pivotal sellers (RSI < 1) get a thick black ring and "pivotal" in the
label; nodes without compute are grey dots; links are thin grey lines.
Tooltips give every region's RSI, what the others can deliver and the
load, with units.
"""

from __future__ import annotations

import html
import math

import branca.colormap as bcm
import folium

from .map_view import LonFrame
from .maps import _bounds, _scale_svg, arc_coords, load_boundaries
from .offline import make_offline

__all__ = ["rsi_map", "RSI_COLORS"]

#: From pivotal (red) through the 1.0 threshold (amber) to ample (green).
RSI_COLORS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#1a9850"]
_RSI_SCALE = bcm.LinearColormap(RSI_COLORS, index=[0.0, 0.6, 0.99, 1.01, 1.6, 2.5],
                                vmin=0.0, vmax=2.5, caption="residual supply index (RSI)")


def _sites_by_seller(G, owner):
    out = {}
    for n, data in G.nodes(data=True):
        if float(data.get("capacity") or 0.0) > 0:
            out.setdefault(data.get(owner, n), []).append(n)
    return out


_PIVOTAL_RING = "#111111"
_LABEL = ("<div style='font: 11px/1.25 Arial, sans-serif; color: #111; white-space: nowrap; "
          "text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff'>{}</div>")


def _label(site, seller, rsi, pivotal):
    name = html.escape(str(site))
    if str(seller) != str(site):
        name += f" &middot; {html.escape(str(seller))}"
    flag = " &middot; <b>pivotal</b>" if pivotal else ""
    return _LABEL.format(f"<b>{name}</b><br>RSI {rsi:.2f}{flag}")


def _tip(seller, rows):
    lines = [f"<b>seller {html.escape(str(seller))}</b>"]
    for region, row in rows.iterrows():
        flag = " &mdash; <b style='color:#b2182b'>pivotal</b>" if row["pivotal"] else ""
        lines.append(f"region {html.escape(str(region))}: RSI {row['rsi']:.3f}{flag}<br>"
                     f"others deliver {row['deliverable_without']:,.0f} of "
                     f"{row['load']:,.0f} tokens/s served")
    return "<br>".join(lines)


def rsi_map(G, screen, *, workload=None, owner="owner", tiles="auto", offline=True):
    """An interactive map of a market-power screen.

    Parameters
    ----------
    G : networkx.DiGraph
        The network screened (node ``lon``/``lat``, ``capacity``, ``owner``).
    screen : pandas.DataFrame
        :func:`netprice.market_power`'s table.
    workload : str, optional
        The layer shown first (default: the workload with the lowest RSI).
    owner : str
        The node attribute naming sellers, as given to ``market_power``.
    tiles, offline
        As :func:`netprice.maps.price_map`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": None, "bytes_per_token": 8}})
    >>> npx.add_site(G, "BIG", -100.0, 40.0, capacity=8e5, cost=1.0)
    >>> npx.add_site(G, "SMALL", -99.0, 40.0, capacity=3e5, cost=2.0, demand={"chat": 5e5})
    >>> npx.add_link(G, "BIG", "SMALL", bandwidth_gbps=100)
    >>> m = rsi_map(G, npx.market_power(G), tiles=None)
    >>> "pivotal" in m.get_root().render()
    True
    """
    if screen.empty:
        raise ValueError("the screen has no rows: no workload had load to screen")
    workloads = list(dict.fromkeys(screen.index.get_level_values("workload")))
    if workload is None:
        # The workload with the most pivotal sellers (the first declared on a tie).
        counts = screen["pivotal"].groupby(level="workload", sort=False).sum()
        workload = counts.idxmax() if counts.max() > 0 else workloads[0]
    elif workload not in workloads:
        raise ValueError(f"workload {workload!r} is not in the screen; choose one of {workloads}")
    frame = LonFrame(d["lon"] for _, d in G.nodes(data=True))
    west, south, east, north = _bounds([("", G)], frame)
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=4, tiles=None,
                   control_scale=True)
    if offline:
        make_offline(m)
    folium.GeoJson(load_boundaries((west, south, east, north)), name="Outlines (offline)",
                   style_function=lambda f: {"color": "#a39e93", "weight": 0.8,
                                             "fillColor": "#f4f1ea", "fillOpacity": 1.0},
                   interactive=False, control=False).add_to(m)
    if tiles == "auto":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)", overlay=True,
                         control=True, show=True, opacity=0.85).add_to(m)
    elif tiles:
        folium.TileLayer(tiles, name=str(tiles), overlay=True, control=True).add_to(m)

    links = folium.FeatureGroup(name="Links", overlay=True, control=True, show=True)
    for u, v, data in G.edges(data=True):
        folium.PolyLine(arc_coords(G, u, v, data, frame), color="#8c9aa8", weight=1.5,
                        opacity=0.7, interactive=False).add_to(links)
    links.add_to(m)

    sites = _sites_by_seller(G, owner)
    max_load = float(screen["load"].max()) or 1.0
    for w in workloads:
        layer = folium.FeatureGroup(name=f"RSI: {w}", overlay=False, control=True,
                                    show=w == workload)
        mine = screen.xs(w, level="workload")
        for n, data in G.nodes(data=True):
            if float(data.get("capacity") or 0.0) > 0:
                continue
            folium.CircleMarker((data["lat"], frame.lon(data["lon"])), radius=3, color="#777",
                                fill=True, fill_color="#bbb", fill_opacity=0.9, weight=1,
                                tooltip=html.escape(str(n))).add_to(layer)
        for seller, rows in mine.groupby(level="seller"):
            rows = rows.droplevel("seller")
            worst = float(rows["rsi"].min())
            pivotal = bool(rows["pivotal"].any())
            for n in sites.get(seller, ()):
                data = G.nodes[n]
                radius = 6 + 10 * math.sqrt(min(1.0, float(rows["load"].max()) / max_load))
                folium.CircleMarker(
                    (data["lat"], frame.lon(data["lon"])), radius=radius,
                    color=_PIVOTAL_RING if pivotal else "#555", weight=5 if pivotal else 1.5,
                    fill=True, fill_color=_RSI_SCALE(min(worst, 2.5))[:7], fill_opacity=0.95,
                    tooltip=folium.Tooltip(_tip(seller, rows) + f"<br>site {html.escape(str(n))}"
                                           f", {float(data['capacity']):,.0f} reference "
                                           "tokens/s", sticky=True)).add_to(layer)
                folium.Marker((data["lat"], frame.lon(data["lon"])), interactive=False,
                              icon=folium.DivIcon(html=_label(n, seller, worst, pivotal),
                                                  icon_size=(220, 30),
                                                  icon_anchor=(-radius - 4, 15))).add_to(layer)
        layer.add_to(m)
    legend = (f"<div style='position: fixed; bottom: 20px; right: 10px; z-index: 1000; "
              f"background: rgba(255,255,255,0.92); padding: 8px 10px; border-radius: 6px; "
              f"font: 11px Arial, sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,0.35)'>"
              f"<b>Market-power screen</b><br>{_RSI_SCALE.caption}: what the other sellers can "
              f"deliver / load served<br>{_scale_svg(_RSI_SCALE)}<br>"
              f"<b>&#9711;</b> thick black ring: pivotal (RSI &lt; 1)<br>"
              f"grey dots: nodes without compute</div>")
    m.get_root().html.add_child(folium.Element(legend))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[south - 0.5, west - 0.5], [north + 0.5, east + 0.5]], padding=(30, 30))
    return m
