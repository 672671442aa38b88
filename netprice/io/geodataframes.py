"""Networks to and from GeoDataFrames (EPSG:4326), for geopandas users."""

from __future__ import annotations

import copy
import math

import networkx as nx

from ..schema import names

__all__ = ["to_geodataframes", "from_geodataframes"]

_GRAPH_ATTRS_KEY = "netprice"
# Attributes the geometry column carries: a node's coordinates, an arc's path.
_NODE_GEOMETRY = names("node", geojson="geometry")
_EDGE_GEOMETRY = names("edge", geojson="geometry")


def to_geodataframes(G):
    """Nodes and arcs of a network as two GeoDataFrames in EPSG:4326.

    Every node and arc attribute becomes a column (dict-valued ones as
    objects); the graph attributes ride along in ``nodes.attrs["netprice"]``
    so :func:`from_geodataframes` can rebuild the network.

    Returns
    -------
    nodes : geopandas.GeoDataFrame
        Indexed by ``node``, Point geometry.
    links : geopandas.GeoDataFrame
        Indexed by (``source``, ``target``), one row per arc, LineString geometry.

    Examples
    --------
    >>> import netprice as npx
    >>> nodes, links = npx.to_geodataframes(npx.read_geojson(npx.dataset_path("us5")))
    >>> nodes.crs.to_string(), links.index.names
    ('EPSG:4326', FrozenList(['source', 'target']))
    """
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    node_rows = [{**{k: v for k, v in data.items() if k not in _NODE_GEOMETRY}, "node": n,
                  "geometry": Point(data["lon"], data["lat"])}
                 for n, data in G.nodes(data=True)]
    nodes = gpd.GeoDataFrame(node_rows, geometry="geometry", crs="EPSG:4326").set_index("node")
    link_rows = []
    for u, v, data in G.edges(data=True):
        coords = data.get("geometry") or [(G.nodes[u]["lon"], G.nodes[u]["lat"]),
                                          (G.nodes[v]["lon"], G.nodes[v]["lat"])]
        row = {k: x for k, x in data.items() if k not in _EDGE_GEOMETRY}
        row.update(source=u, target=v, geometry=LineString(coords))
        link_rows.append(row)
    links = gpd.GeoDataFrame(link_rows, geometry="geometry", crs="EPSG:4326",
                             columns=None if link_rows else ["source", "target", "geometry"])
    links = links.set_index(["source", "target"])
    nodes.attrs[_GRAPH_ATTRS_KEY] = copy.deepcopy(dict(G.graph))
    return nodes, links


def _present(value):
    if value is None:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def from_geodataframes(nodes, links, *, workloads=None, token_bytes=None, **graph_attrs):
    """Build a network from node and link GeoDataFrames (any CRS; reprojected to EPSG:4326).

    Parameters
    ----------
    nodes : GeoDataFrame
        Point geometries, indexed by node id; other columns become attributes
        (missing values are left out).
    links : GeoDataFrame
        One row per arc, indexed by (source, target) or with those columns,
        LineString geometries.  Latency is derived from the geometry where
        ``latency_ms`` is missing.
    workloads, token_bytes : optional
        Graph attributes; default to those stored by :func:`to_geodataframes`.
    """
    from ..graph import add_link

    stored = dict(nodes.attrs.get(_GRAPH_ATTRS_KEY, {}))
    stored.update(graph_attrs)
    if workloads is not None:
        stored["workloads"] = workloads
    if token_bytes is not None:
        stored["token_bytes"] = token_bytes
    if "workloads" not in stored:
        raise ValueError("from_geodataframes needs workloads= (none stored in nodes.attrs)")
    nodes = nodes.to_crs("EPSG:4326") if nodes.crs is not None else nodes
    links = links.to_crs("EPSG:4326") if links.crs is not None else links
    G = nx.DiGraph(**copy.deepcopy(stored))
    geometry = nodes.geometry.name
    for n, row in nodes.iterrows():
        attrs = {k: v for k, v in row.items() if k != geometry and _present(v)}
        G.add_node(n, lon=float(row[geometry].x), lat=float(row[geometry].y), **attrs)
    if {"source", "target"} <= set(links.columns):
        links = links.set_index(["source", "target"])
    geometry = links.geometry.name
    for (u, v), row in links.iterrows():
        attrs = {k: x for k, x in row.items() if k != geometry and _present(x)}
        coords = [tuple(float(c) for c in p[:2]) for p in row[geometry].coords]
        if "latency_ms" not in attrs or attrs.get("latency_source") == "geodesic":
            # Derive latency the same way add_link does, one arc at a time.
            attrs.pop("latency_ms", None)
            H = nx.DiGraph(**stored)
            H.add_node(u, **G.nodes[u]); H.add_node(v, **G.nodes[v])
            add_link(H, u, v, bandwidth_gbps=attrs.get("bandwidth_gbps", 0.0), directed=True,
                     geometry=coords, route_factor=attrs.get("route_factor"))
            attrs["latency_ms"] = H.edges[u, v]["latency_ms"]
            attrs.setdefault("latency_source", "geodesic")
            attrs.setdefault("length_km", H.edges[u, v]["length_km"])
        G.add_edge(u, v, geometry=coords, **attrs)
    return G
