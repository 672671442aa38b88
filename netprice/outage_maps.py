"""The price map of a network with one element out, the outaged element marked.

:func:`outage_price_map` draws a result that is already there (the
annotated network with the outage); :func:`netprice.contingency.outage_map`
clears the outage and calls it.
"""

from __future__ import annotations

import html
import math

import folium

from .maps import price_map

__all__ = ["outage_price_map"]

_CROSS = ('<div style="font: bold 22px sans-serif; color: #111; text-shadow: 0 0 3px #fff, '
          '0 0 3px #fff; width: 24px; height: 24px; line-height: 24px; text-align: center">'
          '&#10006;</div>')


def outage_price_map(H, G, element_type, element, figures, *, workload=None, tiles="auto",
                     offline=True) -> folium.Map:
    """A price map of ``H``, the network with one outage, the outaged element marked.

    Drawn with :func:`netprice.maps.price_map`; the removed link is drawn
    dashed in black with a cross at its middle, an outaged site gets a
    cross in a red ring, and a title box gives the outage's cost and
    largest price change.

    Parameters
    ----------
    H : networkx.DiGraph
        The network with the outage, annotated with its result
        (:func:`netprice.annotate`).
    G : networkx.DiGraph
        The intact network (where the removed link was drawn).
    element_type : {"link", "site"}
    element : str
        The link id or the site's node.
    figures : mapping
        The outage's row of :func:`netprice.contingency.contingency`:
        ``cost_change``, ``cost_change_pct`` ($/h, %), ``max_price_change``,
        ``max_price_change_pct`` ($/Mtok, %), ``max_change_node``,
        ``max_change_workload`` (missing ones are shown as n/a).
    workload : str, optional
        Workload shown first (default: where the largest price change is).
    tiles, offline
        As :func:`netprice.maps.price_map`.

    Returns
    -------
    folium.Map
    """
    workload = workload or figures.get("max_change_workload")
    if workload not in H.graph["workloads"]:
        workload = None
    m = price_map(H, workload=workload, tiles=tiles, offline=offline)
    layer = _outage_layer(G, element_type, element)
    # The layer control lists the layers whose scripts come before its own:
    # the new layer goes in front of it.
    layer.add_to(m, index=_layer_control_index(m))
    m.get_root().html.add_child(folium.Element(_title_box(element_type, element, figures)))
    return m


def _outage_layer(G, element_type, element):
    layer = folium.FeatureGroup(name="Outaged element", overlay=True, control=True, show=True)
    if element_type == "link":
        arcs = [(u, v, d) for u, v, d in G.edges(data=True) if d.get("link") == element]
        u, v, d = arcs[0]
        geometry = d.get("geometry") or [(G.nodes[u]["lon"], G.nodes[u]["lat"]),
                                          (G.nodes[v]["lon"], G.nodes[v]["lat"])]
        coords = [(float(lat), float(lon)) for lon, lat in geometry]
        tip = (f"Outaged link {element}: {u} - {v}, "
               f"{float(d.get('bandwidth_gbps', float('nan'))):,.4g} Gbit/s per direction lost")
        folium.PolyLine(coords, color="#111111", weight=6, opacity=0.9, dash_array="10 8",
                        tooltip=tip).add_to(layer)
        mid = coords[len(coords) // 2] if len(coords) > 2 else (
            (coords[0][0] + coords[-1][0]) / 2, (coords[0][1] + coords[-1][1]) / 2)
        folium.Marker(mid, icon=folium.DivIcon(html=_CROSS, icon_size=(24, 24),
                                               icon_anchor=(12, 12)),
                      tooltip=tip).add_to(layer)
    else:
        data = G.nodes[element]
        tip = (f"Site {element} out: {float(data.get('capacity') or 0.0):,.0f} reference "
               "tokens/s of compute lost (its demand stays)")
        folium.CircleMarker((data["lat"], data["lon"]), radius=16, color="#c0392b", weight=4,
                            fill=False, tooltip=tip).add_to(layer)
        folium.Marker((data["lat"], data["lon"]), icon=folium.DivIcon(
                          html=_CROSS, icon_size=(24, 24), icon_anchor=(12, 12)),
                      tooltip=tip).add_to(layer)
    return layer


def _layer_control_index(m):
    """Position of the map's layer control among its children; None if it has none."""
    for i, child in enumerate(m.to_dict(depth=1)["children"].values()):
        if child["name"] == "LayerControl":
            return i
    return None


def _title_box(element_type, element, figures) -> str:
    def num(value, fmt):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return "n/a"
        return format(value, fmt) if math.isfinite(value) else "n/a"

    where = figures.get("max_change_node")
    moved = (f"largest price change {num(figures.get('max_price_change'), '+,.4g')} $/Mtok "
             f"({num(figures.get('max_price_change_pct'), '+.3g')} %) "
             f"at {where}/{figures.get('max_change_workload')}"
             if not _missing(where) else "no price moved")
    label = f"{element_type} {element}"
    return (
        '<div style="position: fixed; top: 10px; left: 50%; transform: translateX(-50%); '
        'z-index: 9999; background: rgba(255,255,255,0.92); padding: 6px 12px; '
        'border: 1px solid #999; border-radius: 4px; font: 13px sans-serif">'
        f"<b>Outage: {html.escape(label)}</b> &mdash; total cost "
        f"{num(figures.get('cost_change'), '+,.2f')} $/h "
        f"({num(figures.get('cost_change_pct'), '+.3g')} %); {html.escape(moved)}</div>")


def _missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))
