"""Read and write netprice topologies as GeoJSON (schema in docs/format.md).

A file is an RFC 7946 FeatureCollection in WGS84 lon/lat.  Point features
are nodes, LineString features are links, and the top-level member
``netprice`` holds the schema version, the workloads and the scenario
parameters (or a sidecar ``<name>.netprice.json`` beside the file does).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path

import networkx as nx
import numpy as np

from ..curves import offered_capacity
from ..errors import ValidationError
from ..geo import LINK_END_TOLERANCE_KM, geodesic_km
from ..graph import add_link, empty_network
from ..periods import GRAPH_FIELDS
from ..schema import DEFAULT_TOKEN_BYTES, SCHEMA_VERSION, default, input_names, names
from ..validate import _check_workloads, check_number, validate
from .files import atomic_write_text

__all__ = ["read_geojson", "write_geojson", "to_feature_collection"]

# The properties of the graph contract a feature may carry: a null one is
# left out (the default applies), and a link's go to add_link as arguments
# while any other property rides along as an attribute.
_NODE_FIELDS = names("node", role="input", geojson="property")
_LINK_FIELDS = ("source", "target") + names("edge", role="input", geojson="property")


def _kind(value) -> str:
    return "number" if isinstance(value, numbers.Number) else "string"


def _label(feature, index):
    fid = feature.get("id") if isinstance(feature, dict) else None
    props = feature.get("properties") if isinstance(feature, dict) else None
    if fid is None and isinstance(props, dict):
        fid = props.get("id")
    if isinstance(fid, bool) or not isinstance(fid, (str, int)):
        return f"features[{index}]"
    return f"'{fid}' (features[{index}])"


def _load_json(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValidationError(f"is not UTF-8 text ({err.reason} at byte {err.start})",
                              file=path, fix="save the file as UTF-8 GeoJSON") from None
    except OSError as err:
        raise ValidationError(f"cannot be read: {err.strerror}", file=path) from None
    if not text.strip():
        raise ValidationError("is empty", file=path,
                              fix="a netprice topology is a GeoJSON FeatureCollection")
    if text.startswith("\ufeff"):
        raise ValidationError("starts with a byte-order mark (BOM), which JSON does not allow",
                              file=path, fix="save the file as UTF-8 without BOM")
    if text.lstrip().startswith("<"):
        raise ValidationError(
            "is XML (GraphML?), not GeoJSON", file=path,
            fix="read GraphML with netprice.read_graphml; read_geojson takes a GeoJSON "
                "FeatureCollection")
    # NaN, Infinity and numbers that overflow a double are kept as markers, so
    # the error can name their feature and field; only a text that may hold
    # one pays for the Python-level number hooks and the search.
    suspect = "NaN" in text or "Infinity" in text or _MAYBE_OVERFLOW.search(text) is not None
    hooks = (dict(parse_constant=_NotFinite, parse_float=_parse_float, parse_int=_parse_int)
             if suspect else {})
    try:
        doc = json.loads(text, **hooks)
    except json.JSONDecodeError as err:
        raise ValidationError(
            f"is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}",
            file=path, fix="a netprice topology is a GeoJSON FeatureCollection") from None
    where = _find_not_finite(doc, []) if suspect else None
    if where is not None:
        _reject_not_finite(doc, *where, path=path)
    return doc


# A 309-digit integer or a three-digit exponent: possibly beyond 1.8e308.
_MAYBE_OVERFLOW = re.compile(r"\d{309}|[eE]\+?\d{3}")


class _NotFinite:
    """A number JSON cannot hold as a finite double: NaN, Infinity, 1e400 ...

    The parser keeps it as this marker so that the error can name the
    feature and field it is in (see :func:`_reject_not_finite`).
    """

    def __init__(self, text):
        self.text = text


def _parse_float(text):
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def _parse_int(text):
    # Beyond 309 digits an integer overflows a double (and Python refuses to
    # parse more than 4300 digits at all).
    if len(text.lstrip("-")) > 309:
        return _NotFinite(text)
    value = int(text)
    try:
        float(value)
    except OverflowError:
        return _NotFinite(text)
    return value


def _find_not_finite(value, path):
    if isinstance(value, _NotFinite):
        return path, value
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find_not_finite(item, path + [key])
        if found is not None:
            return found
    return None


def _dotted(keys) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _reject_not_finite(doc, keys, value, *, path):
    """Raise the error for a NaN, Infinity or overflowing number at ``keys`` in ``doc``."""
    feature, field = None, _dotted(keys)
    if len(keys) >= 2 and keys[0] == "features" and isinstance(keys[1], int):
        rest = keys[2:]
        if rest[:1] == ["properties"]:
            rest = rest[1:]
        # A feature whose id is the bad number is named by its index alone.
        feature = (f"features[{keys[1]}]" if rest == ["id"]
                   else _label(doc["features"][keys[1]], keys[1]))
        field = _dotted(rest)
    else:
        scenario = keys[1:] if keys and keys[0] == "netprice" else keys
        if len(scenario) >= 2 and scenario[0] == "workloads":
            feature, field = f"workload '{scenario[1]}'", _dotted(scenario[2:])
        elif keys and keys[0] == "netprice":
            feature, field = "netprice", _dotted(scenario)
    text = value.text
    if len(text) > 20:
        text = f"{text[:12]}... ({len(text)} characters)"
    if value.text in ("NaN", "Infinity", "-Infinity"):
        problem = f"is {text}, which JSON does not allow"
    else:
        problem = f"is {text}, too large for a number (the largest is about 1.8e308)"
    raise ValidationError(problem, file=path, feature=feature, field=field or None,
                          fix="write a finite number, or leave the field out to use its default")


def _scenario(doc, path: Path):
    """The ``netprice`` member, or the sidecar's, and the file it came from."""
    scenario = doc.get("netprice")
    if scenario is None:
        sidecar = path.with_name(path.name.split(".")[0] + ".netprice.json")
        if sidecar.exists():
            scenario = _load_json(sidecar)
            path = sidecar
        else:
            raise ValidationError(
                "has no 'netprice' member with the workloads", file=path, field="netprice",
                fix=f"add a top-level 'netprice' object (see docs/format.md) or a sidecar "
                    f"file {sidecar.name}")
    if not isinstance(scenario, dict):
        raise ValidationError("must be an object", file=path, field="netprice")
    version = scenario.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValidationError(
            f"schema_version is {version!r}; this netprice reads version {SCHEMA_VERSION}",
            file=path, feature="netprice", field="schema_version",
            fix=f"set \"schema_version\": {SCHEMA_VERSION} and check docs/format.md")
    workloads = scenario.get("workloads")
    if workloads is not None and not isinstance(workloads, dict):
        raise ValidationError(
            f"must be an object {{name: {{parameters}}}}, got {type(workloads).__name__}",
            file=path, feature="netprice", field="workloads",
            fix="e.g. \"workloads\": {\"chat\": {\"latency_ms\": 100, \"bytes_per_token\": 8}}")
    if not workloads:
        raise ValidationError(
            "no workloads are declared", file=path, feature="netprice", field="workloads",
            fix="declare at least one, e.g. \"workloads\": {\"chat\": {\"latency_ms\": 100, "
                "\"bytes_per_token\": 8}}")
    return scenario, path


def _feature_id(feature, props, label, path, field_hint):
    fid = feature.get("id")
    pid = props.get("id")
    if fid is not None and pid is not None and fid != pid:
        raise ValidationError(f"has id {fid!r} but properties.id {pid!r}", file=path,
                              feature=label, field="id", fix="give one id, or the same in both")
    value = fid if fid is not None else pid
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise ValidationError(f"id must be a string or an integer, got {value!r}", file=path,
                              feature=label, field="id")
    if value is None and field_hint == "node":
        raise ValidationError("node has no id", file=path, feature=label, field="id",
                              fix="give the Point feature an 'id' member")
    return value


def _position(pos, label, field):
    """A ``[lon, lat]`` position as floats; out of range says what it looks like.

    Metres of a projected CRS (thousands) and latitude written first are
    the common ways real exports get this wrong.
    """
    x, y = pos[0], pos[1]
    if all(isinstance(c, numbers.Real) and not isinstance(c, bool) and math.isfinite(c)
           for c in (x, y)) and (abs(x) > 180 or abs(y) > 90):
        if max(abs(x), abs(y)) > 1000:
            raise ValidationError(
                f"[{x:.0f}, {y:.0f}] is not longitude/latitude in degrees: it looks like metres "
                "of a projected CRS", feature=label, field=field, fix=_REPROJECT)
        if abs(x) <= 90 and abs(y) <= 180:
            raise ValidationError(
                f"[{x:g}, {y:g}] has a latitude beyond 90: it looks like [lat, lon]",
                feature=label, field=field,
                fix="GeoJSON positions are [lon, lat]: swap the two numbers")
    return (check_number(x, feature=label, field=f"{field}[0] (lon)", minimum=-180, maximum=180),
            check_number(y, feature=label, field=f"{field}[1] (lat)", minimum=-90, maximum=90))


def _point(feature, label, path):
    coords = feature["geometry"].get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValidationError("Point needs [lon, lat] coordinates", file=path, feature=label,
                              field="geometry.coordinates")
    return _position(coords, label, "geometry.coordinates")


def _line(feature, label, path):
    coords = feature["geometry"].get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValidationError("LineString needs at least two [lon, lat] positions", file=path,
                              feature=label, field="geometry.coordinates")
    line = []
    for i, pos in enumerate(coords):
        if not isinstance(pos, list) or len(pos) < 2:
            raise ValidationError(f"position {i} is not [lon, lat]", file=path, feature=label,
                                  field="geometry.coordinates")
        line.append(_position(pos, label, f"geometry.coordinates[{i}]"))
    return line


def read_geojson(path, *, validate_graph=True) -> nx.DiGraph:
    """Read a netprice GeoJSON topology into a DiGraph of the graph contract.

    Parameters
    ----------
    path : str or path-like
        A FeatureCollection (schema version 1, docs/format.md).

    Returns
    -------
    networkx.DiGraph
        Nodes with ``lon``, ``lat``, ``capacity``, ``cost``, ``demand`` ...;
        each undirected link becomes two arcs with the full bandwidth.

    Raises
    ------
    ValidationError
        Naming the file, the feature and the field of the first problem.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.read_geojson(npx.dataset_path("us5"))
    >>> sorted(G.graph["workloads"])
    ['batch', 'chat', 'code', 'image']
    """
    path = Path(path)
    try:
        return _read(path, validate_graph)
    except ValidationError as err:
        if err.file is None:
            raise err.in_file(path) from None
        raise


def _read(path: Path, validate_graph: bool) -> nx.DiGraph:
    doc = _load_json(path)
    features = _features(doc, path)
    _check_crs(doc, path)
    scenario, source = _scenario(doc, path)
    try:
        G = _scenario_graph(scenario)
    except ValidationError as err:  # a sidecar's workloads are the sidecar's fault
        raise err.in_file(source) from None
    points, lines = _sort_features(features, path)
    # All nodes first: a link may come before the nodes it joins.
    for label, feature, props in points:
        _add_point(G, label, feature, props, path)
    for label, feature, props in lines:
        _add_line(G, label, feature, props, path)
    if validate_graph:
        validate(G, file=path, warn=False)
    return G


# The CRS names RFC 7946 coordinates may go by: OGC's CRS84 and EPSG:4326
# (which GDAL and QGIS write in lon/lat order in GeoJSON).
_WGS84_CRS = re.compile(r"(CRS84|EPSG:{1,2}(\d[\d.]*:)?4326)$", re.IGNORECASE)
_REPROJECT = ("reproject it to WGS84 lon/lat, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson "
              "in.geojson` or geopandas' `gdf.to_crs(4326).to_file('out.geojson')`")


def _check_crs(doc, path):
    """Refuse a ``crs`` member naming anything but WGS84 lon/lat.

    RFC 7946 dropped ``crs``: coordinates are always WGS84 lon/lat.  Older
    exports still name one; CRS84 or EPSG:4326 agree with that, anything
    else means coordinates netprice would misread.
    """
    crs = doc.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(crs.get("properties") if isinstance(crs, dict) else None, dict) \
            and isinstance(name, str) and _WGS84_CRS.search(name.strip()):
        return
    raise ValidationError(
        f"the crs member names {name or json.dumps(crs)[:60]}, but netprice reads WGS84 "
        "longitude/latitude (RFC 7946: CRS84 / EPSG:4326)", file=path, field="crs",
        fix=_REPROJECT + ", then remove the crs member")


def _features(doc, path):
    """The features of a FeatureCollection, refusing anything else or an empty one."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        found = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise ValidationError(
            f"is not a GeoJSON FeatureCollection (type is {found!r})", file=path, field="type",
            fix="the top level must be {\"type\": \"FeatureCollection\", \"features\": [...]}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ValidationError(
            "has no 'features' list", file=path, field="features",
            fix="the top level must be {\"type\": \"FeatureCollection\", \"features\": [...]}")
    if not features:
        raise ValidationError("is an empty network: 'features' is empty", file=path,
                              field="features", fix="add Point features (sites) and LineString "
                                                    "features (links)")
    return features


def _scenario_graph(scenario) -> nx.DiGraph:
    """An empty network with the scenario's workloads and parameters.

    The workloads are checked before anything else, as they are written:
    node fields refer to them, and empty_network fills in defaults that
    would hide a missing parameter.  Members that are not graph inputs of
    the contract (a description, a stored result ...) ride along in
    ``G.graph``.
    """
    _check_workloads(nx.DiGraph(workloads=scenario["workloads"],
                                token_bytes=scenario.get("token_bytes"),
                                route_factor=scenario.get("route_factor")))
    G = empty_network(scenario["workloads"],
                      token_bytes=scenario.get("token_bytes", DEFAULT_TOKEN_BYTES),
                      name=scenario.get("name"), route_factor=scenario.get("route_factor"))
    for key, value in scenario.items():
        if key not in input_names("graph") and key != "schema_version":
            G.graph[key] = value
    for key in GRAPH_FIELDS:      # time (docs/model.md section 9), checked by validate()
        if key in scenario:
            G.graph[key] = scenario[key]
    return G


def _sort_features(features, path):
    """Points (nodes) and LineStrings (links), each as (label, feature, properties)."""
    points, lines = [], []
    for index, feature in enumerate(features):
        label = _label(feature, index)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ValidationError("is not a GeoJSON Feature", file=path, feature=label,
                                  field="type")
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise ValidationError("properties must be an object", file=path, feature=label,
                                  field="properties")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or "type" not in geometry:
            kind = "link" if "source" in props or "target" in props else "feature"
            raise ValidationError(
                f"{kind} has no geometry", file=path, feature=label, field="geometry",
                fix="nodes need a Point [lon, lat]; links a LineString from source to target")
        if geometry["type"] == "Point":
            points.append((label, feature, props))
        elif geometry["type"] == "LineString":
            lines.append((label, feature, props))
        else:
            raise ValidationError(
                f"geometry type {geometry['type']!r} is not supported", file=path,
                feature=label, field="geometry.type",
                fix="nodes are Points and links are LineStrings")
    return points, lines


def _add_point(G, label, feature, props, path):
    """Add a Point feature as a node; from here on messages name it by its id."""
    node = _feature_id(feature, props, label, path, "node")
    if node in G:
        raise ValidationError(f"duplicate node id {node!r}", file=path, feature=label,
                              field="id", fix="give every Point feature its own id")
    label = f"'{node}'"
    lon, lat = _point(feature, label, path)
    _same_place_as_geometry(props, lon, lat, label, path)
    # Keep the file's property order so a rewrite is byte-identical.
    attrs = {k: v for k, v in props.items()
             if k not in ("id", "lon", "lat") and not (k in _NODE_FIELDS and v is None)}
    if "capacity" not in attrs:
        # A site that offers its compute in blocks has their total (or, if
        # they are malformed, the default, and validation says why).
        attrs["capacity"] = (offered_capacity(attrs["offers"]) if "offers" in attrs
                             else None) or default("node", "capacity")
    G.add_node(node, lon=lon, lat=lat, **attrs)


def _same_place_as_geometry(props, lon, lat, label, path):
    """``lon``/``lat`` properties (GIS exports often add them) must repeat the geometry."""
    if "lon" not in props and "lat" not in props:
        return
    given = [props.get("lon", lon), props.get("lat", lat)]
    for axis, value in zip(("lon", "lat"), given):
        check_number(value, feature=label, field=axis)
    if geodesic_km(given, (lon, lat)) > LINK_END_TOLERANCE_KM:
        raise ValidationError(
            f"properties put the node at [{given[0]:g}, {given[1]:g}], its Point geometry at "
            f"[{lon:g}, {lat:g}]", file=path, feature=label,
            field="lon" if "lon" in props else "lat",
            fix="a node's place is its geometry; correct the one that is wrong, or remove "
                "the lon/lat properties")


def _add_line(G, label, feature, props, path):
    """Add a LineString feature as a link (two arcs unless it is directed)."""
    lid = _feature_id(feature, props, label, path, "link")
    source, target = _link_ends(G, label, props, path)
    line = _line(feature, label, path)
    numbers_given, directed = _link_fields(label, props, path)
    _no_derived_properties(props, lid, label, path)
    extra = {k: v for k, v in props.items() if k not in _LINK_FIELDS and k not in ("id", "link")}
    add_link(G, source, target,
             bandwidth_gbps=numbers_given["bandwidth_gbps"],
             latency_ms=numbers_given.get("latency_ms"),
             cost_per_gb=numbers_given.get("cost_per_gb", default("edge", "cost_per_gb")),
             route_factor=numbers_given.get("route_factor"),
             directed=directed, geometry=line,
             link=lid if lid is not None else f"{source}-{target}", **extra)


def _no_derived_properties(props, lid, label, path):
    """Refuse link properties that would silently override what the file says elsewhere.

    The id is the link id, the geometry the path, and ``length_km`` and
    ``latency_source`` are derived from them on every read.
    """
    if "link" in props and props["link"] != lid:
        raise ValidationError(
            f"property link {props['link']!r} differs from the feature's id {lid!r}", file=path,
            feature=label, field="link", fix="a link's id is the feature's id; remove 'link'")
    for key in ("geometry", *names("edge", role="derived")):
        if key in props:
            raise ValidationError(
                "is derived from the LineString geometry, not read from properties", file=path,
                feature=label, field=key,
                fix="remove it; give latency_ms to set a link's latency")


def _link_ends(G, label, props, path):
    """A link's source and target: two different nodes of the file, not yet linked."""
    for end in ("source", "target"):
        if props.get(end) is None:
            raise ValidationError(f"link has no {end}", file=path, feature=label,
                                  field=end, fix=f"give the {end} node's id")
        if props[end] not in G:
            # The commonest slip: the id written as a string on one side and
            # a number on the other.
            twin = next((n for n in G if str(n) == str(props[end])), None)
            raise ValidationError(
                f"{end} {props[end]!r} is not a node in this file", file=path,
                feature=label, field=end,
                fix="use the id of a Point feature" if twin is None else
                    f"the Point feature's id is the {_kind(twin)} {twin!r}; "
                    f"write the same {_kind(twin)} here")
    source, target = props["source"], props["target"]
    if source == target:
        raise ValidationError("link is a self-loop (source equals target)", file=path,
                              feature=label, field="target",
                              fix="a link must join two different nodes")
    if G.has_edge(source, target):
        raise ValidationError(
            f"a link {source}->{target} is already defined", file=path, feature=label,
            field="source", fix="merge parallel links into one (bandwidths add)")
    return source, target


def _link_fields(label, props, path):
    """A link's numbers (checked, as floats; absent ones left out) and its ``directed`` flag."""
    if props.get("bandwidth_gbps") is None:
        raise ValidationError("is missing", file=path, feature=label, field="bandwidth_gbps",
                              fix="give the capacity per direction in Gbit/s")
    numbers_given = {}
    if isinstance(props["bandwidth_gbps"], list):
        # One value per period: validate() checks them against netprice.periods.
        numbers_given["bandwidth_gbps"] = props["bandwidth_gbps"]
    for field in ("bandwidth_gbps", "latency_ms", "cost_per_gb", "route_factor"):
        if props.get(field) is not None and field not in numbers_given:
            numbers_given[field] = check_number(
                props[field], feature=label, field=field,
                positive=field == "bandwidth_gbps",
                minimum=1.0 if field == "route_factor" else 0.0)
    directed = props.get("directed", default("edge", "directed"))
    if not isinstance(directed, bool):
        raise ValidationError(f"must be true or false, got {directed!r}", file=path,
                              feature=label, field="directed")
    return numbers_given, directed


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


# Attributes a feature carries outside its properties (coordinates, id) or
# that are derived again on read.
_NODE_SKIP = set(names("node")) - set(names("node", geojson="property"))
_EDGE_SKIP = set(names("edge")) - set(names("edge", geojson="property"))


def to_feature_collection(G) -> dict:
    """The GeoJSON document of a network (what :func:`write_geojson` writes).

    Derived link latencies are left out so they are derived again on read;
    an undirected link whose two arcs differ (after :func:`netprice.annotate`,
    flows do) is written as two directed features so nothing is lost.
    """
    scenario = {"schema_version": SCHEMA_VERSION}
    for key, value in G.graph.items():
        scenario[key] = _jsonable(value)
    features = []
    for n, data in G.nodes(data=True):
        props = {"id": n}
        props.update({k: _jsonable(v) for k, v in data.items() if k not in _NODE_SKIP})
        features.append({"type": "Feature", "id": n,
                         "geometry": {"type": "Point", "coordinates": [data["lon"], data["lat"]]},
                         "properties": props})
    written = set()
    for u, v, data in G.edges(data=True):
        if (u, v) in written:
            continue
        reverse = G.get_edge_data(v, u)
        pair = (not data.get("directed", False) and reverse is not None
                and reverse.get("link") == data.get("link")
                and {k: x for k, x in reverse.items() if k != "geometry"}
                == {k: x for k, x in data.items() if k != "geometry"})
        lid = data.get("link", f"{u}-{v}")
        if not pair and not data.get("directed", False):
            lid = f"{lid}:{u}->{v}"
        props = {"id": lid, "source": u, "target": v}
        props.update({k: _jsonable(x) for k, x in data.items() if k not in _EDGE_SKIP})
        if data.get("latency_source") == "geodesic":
            props.pop("latency_ms", None)
        props["directed"] = not pair
        geometry = data.get("geometry") or [(G.nodes[u]["lon"], G.nodes[u]["lat"]),
                                            (G.nodes[v]["lon"], G.nodes[v]["lat"])]
        features.append({"type": "Feature", "id": lid,
                         "geometry": {"type": "LineString",
                                      "coordinates": [list(p) for p in geometry]},
                         "properties": props})
        written.add((u, v))
        if pair:
            written.add((v, u))
    return {"type": "FeatureCollection", "netprice": scenario, "features": features}


def write_geojson(G, path, *, indent=1) -> None:
    """Write a network (annotated or not) as a netprice GeoJSON file.

    Reading the file back with :func:`read_geojson` gives the same graph.
    """
    atomic_write_text(path, json.dumps(to_feature_collection(G), indent=indent) + "\n")
