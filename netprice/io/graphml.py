"""Import real backbones from the Internet Topology Zoo's GraphML.

The Zoo's files (Knight et al., 2011; CC BY 4.0) give the sites of real
networks with ``Latitude``/``Longitude``, their links, and for some links
a speed.  They are messy as published: multigraphs with parallel links,
nodes without coordinates, hyperedge junctions drawn as nodes (sometimes
twice), self-loops, disconnected parts.  :func:`read_graphml` cleans them
by documented rules, records every change in ``G.graph["import_report"]``,
and synthesises the market the files lack with :mod:`netprice.synth`.
The rules are explained in ``docs/graphml.md``:

* parallel links are merged into one link whose bandwidth is the sum;
* link speed comes from ``LinkSpeedRaw`` (bit/s), else ``LinkSpeed`` with
  ``LinkSpeedUnits``, else a speed written in ``LinkLabel`` ("2x10Gb/s",
  "OC-192", "45 Mbps DS-3"), else the median known speed of the file, else
  100 Gbit/s (10 Gbit/s for a link to a dead end);
* a node without coordinates is placed at the spherical mean of its
  geolocated neighbours (repeatedly, so chains of them are placed too) and
  becomes a *junction*: it routes traffic but has no demand and no compute.
  Nodes that cannot be placed, and placed dead ends, are dropped;
* hyperedge junctions joining the same nodes are parallel links: merged;
* the largest connected part is kept (``components="all"`` keeps all).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np

from ..errors import ValidationError
from ..geo import spherical_mean
from ..graph import add_link, add_site, empty_network
from ..synth import synthesise_market
from ..validate import validate
from .geojson import write_geojson

__all__ = ["read_graphml", "graphml_to_geojson", "link_speed_gbps"]

#: Bandwidth of a link whose speed nothing in the file tells, Gbit/s: a
#: core link, and a link to a dead end (degree 1), which is an access spur.
DEFAULT_CORE_GBPS = 100.0
DEFAULT_ACCESS_GBPS = 10.0

_PREFIX = {"": 1.0, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
# "45 Mbps", "2x10Gb/s", "4*10Gb/s", "2.5 Gbit/s", "9600 bit/s", "<45Mb".
_RATE = re.compile(
    r"(?:(\d+)\s*[x*]\s*)?(\d+(?:\.\d+)?)\s*([kmgt]?)(?:bits?/s|bps|b/s|bits?|bs|b)(?![a-z])",
    re.IGNORECASE)
# SONET/SDH and plesiochronous carriers: OC-n, STM-n (optionally "x2"), T1, E3 ...
_CARRIER = re.compile(r"(?<![a-z])(OC|STM)-?(\d+)c?(?:\s*x\s*(\d+))?(?![a-z0-9])", re.IGNORECASE)
_PDH = {"T1": 1.544e6, "DS1": 1.544e6, "E1": 2.048e6, "E3": 34.368e6, "T3": 44.736e6,
        "DS3": 44.736e6}
_PDH_RE = re.compile(r"(?<![a-z0-9])(T1|T3|DS-?1|DS-?3|E1|E3)(?![a-z0-9])", re.IGNORECASE)


def link_speed_gbps(data):
    """The speed a Topology Zoo edge states, and where it was found.

    Parameters
    ----------
    data : dict
        The GraphML edge attributes.

    Returns
    -------
    (float or None, str or None)
        Gbit/s and the attribute it came from (``"LinkSpeedRaw"``,
        ``"LinkSpeed"`` or ``"LinkLabel"``), or ``(None, None)``.  A label
        naming several speeds or a range ("1-2.5 Gb/s") gives the largest:
        legends of the Zoo's maps name a class of links by its top speed.

    Examples
    --------
    >>> link_speed_gbps({"LinkSpeedRaw": 2.5e9})
    (2.5, 'LinkSpeedRaw')
    >>> link_speed_gbps({"LinkSpeed": "155", "LinkSpeedUnits": "M"})
    (0.155, 'LinkSpeed')
    >>> link_speed_gbps({"LinkLabel": "2x10Gb/s"})
    (20.0, 'LinkLabel')
    >>> link_speed_gbps({"LinkLabel": "OC192/STM64"})
    (9.95328, 'LinkLabel')
    >>> link_speed_gbps({"LinkLabel": "Green Link"})
    (None, None)
    """
    raw = _positive(data.get("LinkSpeedRaw"))
    if raw is not None:
        return raw / 1e9, "LinkSpeedRaw"
    speed = _positive(data.get("LinkSpeed"))
    unit = str(data.get("LinkSpeedUnits") or "").strip().upper()
    if speed is not None and unit in _PREFIX:
        return speed * _PREFIX[unit] / 1e9, "LinkSpeed"
    label = data.get("LinkLabel")
    if isinstance(label, str):
        found = []
        for count, value, prefix in _RATE.findall(label):
            found.append(float(count or 1) * float(value) * _PREFIX[prefix.upper()])
        for kind, n, count in _CARRIER.findall(label):
            unit = 51.84e6 if kind.upper() == "OC" else 155.52e6
            found.append(float(n) * unit * float(count or 1))
        for carrier in _PDH_RE.findall(label):
            found.append(_PDH[carrier.upper().replace("-", "")])
        found = [f for f in found if f > 0]
        if found:
            return max(found) / 1e9, "LinkLabel"
    return None, None


def _positive(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _coordinate(value, bound):
    """A coordinate as a float, or (None, why not)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"{value!r} is not a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, f"{value!r} is not a number"
    if not math.isfinite(number) or abs(number) > bound:
        return None, f"{value!r} is outside [-{bound:g}, {bound:g}]"
    return number, None


def _looks_like_json(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head[:1] in (b"{", b"[")


def _load(path: Path):
    try:
        return nx.read_graphml(path)
    except ET.ParseError as err:
        if _looks_like_json(path):
            raise ValidationError(
                "is JSON, not GraphML XML", file=path,
                fix="read a netprice GeoJSON topology with netprice.read_geojson "
                    "(netprice clear FILE)") from None
        raise ValidationError(
            f"is not well-formed XML ({err})", file=path,
            fix="a Topology Zoo file is GraphML XML; check that the file is complete") from None
    except nx.NetworkXError as err:
        raise ValidationError(
            f"is not GraphML ({err})", file=path,
            fix="give a GraphML file, e.g. one of the Internet Topology Zoo's") from None
    except OSError as err:
        raise ValidationError(f"cannot be read: {err.strerror or err}", file=path) from None
    except (ValueError, KeyError, TypeError, UnicodeError) as err:
        raise ValidationError(
            f"has GraphML data that cannot be read ({type(err).__name__}: {err})", file=path,
            fix="check that each <data> value matches the attr.type of its <key>") from None


def _name(value):
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text != "None" else None


def _clean(R, *, lon_key, lat_key, components):
    """The file's graph cleaned into a simple geolocated graph, and the report of changes.

    The steps run in the order of the rules in docs/graphml.md; each one
    records what it changed in the report.
    """
    report = _new_report(R)
    H = _simple_graph(R, report, lon_key=lon_key, lat_key=lat_key)
    # The median speed is over every link of the file, before cleaning drops any.
    known = [s for _, _, speeds in H.edges(data="speeds") for s, _ in speeds if s is not None]
    median = float(np.median(known)) if known else None
    _merge_duplicate_hyperedges(H, report)
    _place_nodes(H, report, lon_key=lon_key, lat_key=lat_key)
    _drop_unplaced(H, report)
    if components == "largest":
        _keep_largest_part(H, report)
    _require_two_geolocated(H, report, lat_key)
    _set_bandwidths(H, report, median)
    report["nodes"] = H.number_of_nodes()
    report["links"] = H.number_of_edges()
    return H, report


def _new_report(R) -> dict:
    """The import report before any change: what the file holds, and empty change lists."""
    return {
        "nodes_in_file": R.number_of_nodes(),
        "links_in_file": R.number_of_edges(),
        "multigraph": R.is_multigraph(),
        "directed": R.is_directed(),
        "self_loops_dropped": [],
        "invalid_coordinates": {},
        "parallel_links_merged": {},
        "duplicate_hyperedges_merged": {},
        "nodes_placed": {},
        "nodes_dropped": {},
        "components_dropped": [],
        "bandwidth_sources": {},
    }


def _simple_graph(R, report, *, lon_key, lat_key) -> nx.Graph:
    """The file's nodes and links as a simple undirected graph.

    Node ids become strings; a coordinate that is not a number in range is
    reported and dropped (with its partner: half a position places
    nothing).  Self-loops are dropped; parallel links become one link
    holding the list of their speeds, merged later.  ``order`` keeps the
    file's order, which every later step follows so that the result does
    not depend on set or hash order.
    """
    H = nx.Graph()
    for order, (n, d) in enumerate(R.nodes(data=True)):
        node = str(n)
        lon, why_lon = _coordinate(d.get(lon_key), 180.0)
        lat, why_lat = _coordinate(d.get(lat_key), 90.0)
        if why_lon or why_lat:
            report["invalid_coordinates"][node] = "; ".join(
                f"{key} {why}" for key, why in ((lon_key, why_lon), (lat_key, why_lat)) if why)
        if lon is None or lat is None:
            lon = lat = None
        H.add_node(node, order=order, lon=lon, lat=lat, name=_name(d.get("label")),
                   country=_name(d.get("Country")), hyperedge=bool(d.get("hyperedge")),
                   role="external" if d.get("Internal") == 0 else "metro", placed=False)
    for order, (u, v, d) in enumerate(R.edges(data=True)):
        u, v = str(u), str(v)
        if u == v:
            report["self_loops_dropped"].append(u)
            continue
        speed = link_speed_gbps(d)
        if H.has_edge(u, v):
            H.edges[u, v]["speeds"].append(speed)
        else:
            H.add_edge(u, v, ends=(u, v), order=order, speeds=[speed])
    return H


def _merge_duplicate_hyperedges(H, report) -> None:
    """Two hyperedge junctions joining the same nodes are two parallel
    multi-way links: keep one junction, with the speeds of both."""
    seen = {}
    for n in list(H.nodes):
        data = H.nodes[n]
        if not data["hyperedge"] or data["lon"] is not None or not H[n]:
            continue
        key = frozenset(H[n])
        if key not in seen:
            seen[key] = n
            continue
        keep = seen[key]
        for m in H[n]:
            H.edges[keep, m]["speeds"].extend(H.edges[n, m]["speeds"])
        H.remove_node(n)
        report["duplicate_hyperedges_merged"][n] = keep


def _place_nodes(H, report, *, lon_key, lat_key) -> None:
    """Place nodes without coordinates between their geolocated neighbours.

    In rounds, each from the positions known before it, so that a chain
    of such nodes is placed from both ends inwards.  A placed node is a
    junction: it routes traffic but has no demand and no compute.
    """
    located = {n for n, lon in H.nodes(data="lon") if lon is not None}
    if not located:
        raise ValidationError(
            f"no node has coordinates ({lat_key}/{lon_key})", field=lat_key,
            fix="netprice needs geolocated sites to derive link latencies; give WGS84 "
                f"{lat_key} and {lon_key} on the nodes")
    while True:
        rounds = {}
        for n in H.nodes:
            if n in located:
                continue
            around = sorted((m for m in H[n] if m in located), key=lambda m: H.nodes[m]["order"])
            if around:
                rounds[n] = around
        if not rounds:
            break
        for n, around in rounds.items():
            lon, lat = spherical_mean([(H.nodes[m]["lon"], H.nodes[m]["lat"]) for m in around])
            H.nodes[n].update(lon=lon, lat=lat, placed=True, role="junction")
            report["nodes_placed"][n] = {"lon": lon, "lat": lat, "from": around}
            located.add(n)


def _drop_unplaced(H, report) -> None:
    """Drop the nodes that could not be placed, then placed dead ends
    (repeatedly): a placed dead end carries nothing, no demand, no compute,
    no transit."""
    for n in [n for n in H.nodes if H.nodes[n]["lon"] is None]:
        report["nodes_dropped"][n] = ("no coordinates, and no geolocated node in its part "
                                      "of the network")
        H.remove_node(n)
    stubs = [n for n in H.nodes if H.nodes[n]["placed"] and H.degree(n) <= 1]
    while stubs:
        for n in stubs:
            report["nodes_dropped"][n] = "no coordinates, and a dead end"
            report["nodes_placed"].pop(n, None)
            H.remove_node(n)
        stubs = [n for n in H.nodes if H.nodes[n]["placed"] and H.degree(n) <= 1]


def _keep_largest_part(H, report) -> None:
    """Keep the connected part with most geolocated nodes (then most nodes):
    the network the file is about, not a stray peer drawn beside it."""
    parts = sorted(nx.connected_components(H),
                   key=lambda part: min(H.nodes[n]["order"] for n in part))
    if len(parts) <= 1:
        return
    keep = max(parts, key=lambda part: (sum(not H.nodes[n]["placed"] for n in part), len(part)))
    for part in parts:
        if part is keep:
            continue
        ids = sorted(part, key=lambda n: H.nodes[n]["order"])
        report["components_dropped"].append(ids)
        for n in ids:
            report["nodes_dropped"][n] = "not in the largest connected part"
        H.remove_nodes_from(ids)


def _require_two_geolocated(H, report, lat_key) -> None:
    """Refuse a file that leaves no market: fewer than two sites with coordinates."""
    geolocated = sum(not placed for _, placed in H.nodes(data="placed"))
    if geolocated < 2:
        raise ValidationError(
            f"fewer than 2 geolocated nodes remain after cleaning: {geolocated} of the "
            f"file's {report['nodes_in_file']} nodes", field=lat_key,
            fix="a market needs at least two connected sites with coordinates; see the "
                "cleaning rules in docs/graphml.md")


def _set_bandwidths(H, report, median) -> None:
    """Each link's bandwidth: the sum of its file links' speeds, an unknown
    speed taken as the file's median, else as a default (core, or access
    for a link to a dead end)."""
    sources = Counter()
    for u, v, data in H.edges(data=True):
        total, used = 0.0, set()
        for speed, source in data["speeds"]:
            if speed is None:
                if median is not None:
                    speed, source = median, "file median"
                elif min(H.degree(u), H.degree(v)) == 1:
                    speed, source = DEFAULT_ACCESS_GBPS, "default access"
                else:
                    speed, source = DEFAULT_CORE_GBPS, "default core"
            total += speed
            used.add(source)
            sources[source] += 1
        data["bandwidth_gbps"] = float(f"{total:.6g}")
        data["bandwidth_source"] = "+".join(sorted(used))
        data["file_links"] = len(data["speeds"])
        if len(data["speeds"]) > 1:
            a, b = data["ends"]
            report["parallel_links_merged"][f"{a}-{b}"] = len(data["speeds"])
    report["bandwidth_sources"] = dict(sorted(sources.items()))


def read_graphml(path, seed=0, *, workloads=None, components="largest", lon="Longitude",
                 lat="Latitude", synthesise=True, **market) -> nx.DiGraph:
    """Read a Topology Zoo GraphML file into a network netprice can clear.

    Parameters
    ----------
    path : str or path-like
        A GraphML file (``nx.read_graphml`` must parse it).
    seed : int
        Seed of the synthesised market (:func:`netprice.synth.synthesise_market`).
        The same file and seed give byte-identical attributes.
    workloads : dict, optional
        Workloads of the market (default :data:`netprice.synth.DEFAULT_WORKLOADS`).
    components : {"largest", "all"}
        Keep the largest connected part (the one with most geolocated
        nodes; default) or every part (each then gets its own compute).
    lon, lat : str
        Node attributes holding WGS84 longitude and latitude.
    synthesise : bool
        False returns the cleaned topology only (no workloads: it does not
        validate as a market until they are added).
    **market
        Passed on to :func:`netprice.synth.synthesise_market`
        (``site_fraction``, ``max_sites``, ``demand_per_node``,
        ``utilisation``, ``token_bytes``, ``voll``).

    Returns
    -------
    networkx.DiGraph
        Node ids are the GraphML ids as strings, with ``name`` from the
        label, ``role`` (``"metro"``, ``"external"`` for the Zoo's
        ``Internal=0`` peers, ``"junction"`` for placed nodes) and
        ``country``; each link becomes two arcs with ``bandwidth_gbps``
        (``bandwidth_source`` says from where), latency from the geodesic
        length.  ``G.graph["import_report"]`` lists every change made.

    Raises
    ------
    ValidationError
        Naming the file: not readable, not GraphML, no coordinates, or fewer
        than two geolocated nodes left after cleaning.

    Examples
    --------
    >>> from pathlib import Path
    >>> import netprice
    >>> from netprice.io.graphml import read_graphml
    >>> abilene = Path(netprice.__file__).parents[1] / "tests/data/zoo/Abilene.graphml"
    >>> G = read_graphml(abilene, seed=0)
    >>> G.nodes["0"]["name"], G.number_of_nodes(), G.number_of_edges()
    ('New York', 11, 28)
    >>> sorted(G.graph["workloads"])
    ['batch', 'chat', 'code', 'image']
    >>> G.graph["import_report"]["bandwidth_sources"]
    {'LinkLabel': 14}
    """
    path = Path(path)
    if components not in ("largest", "all"):
        raise ValueError(f"components must be 'largest' or 'all', got {components!r}")
    try:
        R = _load(path)
        if R.number_of_nodes() == 0:
            raise ValidationError("has no nodes", fix="give a GraphML graph with <node> elements")
        H, report = _clean(R, lon_key=lon, lat_key=lat, components=components)
        network = _name(R.graph.get("Network")) or _name(R.graph.get("label")) or path.stem
        G = empty_network({}, name=network)
        for n, d in sorted(H.nodes(data=True), key=lambda item: item[1]["order"]):
            extra = {"country": d["country"]} if d["country"] else {}
            add_site(G, n, d["lon"], d["lat"], name=d["name"], role=d["role"], **extra)
        for u, v, d in sorted(H.edges(data=True), key=lambda item: item[2]["order"]):
            a, b = d["ends"]
            add_link(G, a, b, bandwidth_gbps=d["bandwidth_gbps"], link=f"{a}-{b}",
                     bandwidth_source=d["bandwidth_source"], file_links=d["file_links"])
        G.graph["source"] = {
            "file": path.name,
            "dataset": "Internet Topology Zoo",
            "license": "CC BY 4.0",
            "citation": "S. Knight, H. X. Nguyen, N. Falkner, R. Bowden, M. Roughan, "
                        "\"The Internet Topology Zoo\", IEEE JSAC 29(9):1765-1775, 2011",
        }
        G.graph["import_report"] = {"file": path.name, "network": network, **report}
        if not synthesise:
            return G
        G = synthesise_market(G, seed, workloads=workloads, **market)
        validate(G, file=path, warn=False)
        return G
    except ValidationError as err:
        if err.file is None:
            raise err.in_file(path) from None
        raise


def graphml_to_geojson(src, dst, seed=0, **options) -> nx.DiGraph:
    """Import a GraphML file and write it as a netprice GeoJSON topology.

    What ``netprice import FILE.graphml -o FILE.geojson`` runs.  The file
    written reads back (:func:`netprice.read_geojson`) as the same network,
    with the import report and the synthesis summary in its ``netprice``
    member.

    Parameters
    ----------
    src, dst : str or path-like
        GraphML to read, GeoJSON to write.
    seed : int
        Seed of the synthesised market.
    **options
        Passed on to :func:`read_graphml`.

    Returns
    -------
    networkx.DiGraph
        The network written.
    """
    G = read_graphml(src, seed, **options)
    write_geojson(G, dst)
    return G
