"""Checks that a graph satisfies the netprice contract (docs/model.md section 6).

Readers call :func:`validate` on what they built, so a file and a graph
made in code meet the same checks and the same messages.  Each problem is
reported as a :class:`~netprice.errors.ValidationError` naming the node or
link, the attribute, and what would fix it.
"""

from __future__ import annotations

import math
import numbers
import warnings

import networkx as nx

from .curves import BID_FIELDS, CAPACITY_RTOL, OFFER_FIELDS
from .errors import InputWarning, ValidationError
from .geo import LINK_END_TOLERANCE_KM, geodesic_km
from .periods import PERIOD_EDGE_FIELDS, PERIOD_NODE_FIELDS
from .schema import input_names, names, near_miss

__all__ = ["validate", "check_number", "check_names", "link_end_problem", "check_offers",
           "check_bids"]


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_number(value, *, feature, field, positive=False, minimum=None, maximum=None):
    """Return ``value`` as a float, or raise a ValidationError saying why not.

    Booleans and strings are refused even when they look like numbers: a
    quoted number in a file is almost always a spreadsheet export gone wrong.

    Examples
    --------
    >>> check_number(2, feature="'A'", field="capacity")
    2.0
    >>> check_number("2", feature="'A'", field="capacity")
    Traceback (most recent call last):
    ...
    netprice.errors.ValidationError: feature 'A', field 'capacity': must be a number, got the string '2' (write it without quotes)
    """
    cls = type(value)
    # Plain floats and ints (never bools: type(True) is bool) skip the slower
    # ABC checks below; validate() calls this for every number of the graph.
    if cls is not float and cls is not int and (
            isinstance(value, bool) or not isinstance(value, numbers.Real)):
        if isinstance(value, str):
            raise ValidationError(
                f"must be a number, got the string {_describe(value)}",
                feature=feature, field=field, fix="write it without quotes",
            )
        raise ValidationError(
            f"must be a number, got {type(value).__name__} {_describe(value)}",
            feature=feature, field=field,
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number):
        raise ValidationError(
            f"must be finite, got {number}", feature=feature, field=field,
            fix="give a finite number; leave the field out to use its default",
        )
    if positive and number <= 0:
        raise ValidationError(
            f"must be positive, got {value}", feature=feature, field=field,
        )
    if minimum is not None and number < minimum:
        raise ValidationError(
            f"must be at least {minimum}, got {value}", feature=feature, field=field,
        )
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"must be at most {maximum}, got {value}", feature=feature, field=field,
        )
    return number


def _check_workloads(G):
    workloads = G.graph.get("workloads")
    if not isinstance(workloads, dict) or not workloads:
        raise ValidationError(
            "no workloads are declared", feature="netprice", field="workloads",
            fix="declare at least one workload, e.g. {'chat': {'latency_ms': 100, "
                "'bytes_per_token': 8}}",
        )
    for name, spec in workloads.items():
        feature = f"workload '{name}'"
        if not isinstance(name, str) or not name:
            raise ValidationError("workload names must be non-empty strings",
                                  feature="netprice", field="workloads")
        if not isinstance(spec, dict):
            raise ValidationError(
                f"must be an object of workload parameters, got {_describe(spec)}",
                feature=feature, field="workloads")
        unknown = sorted(set(spec) - set(input_names("workload")), key=str)
        if unknown:
            guess = near_miss(unknown[0], "workload")
            raise ValidationError(
                f"unknown parameter(s) {unknown}", feature=feature, field=unknown[0],
                fix=(f"did you mean '{guess}'? " if guess else "")
                + f"use {', '.join(n for n in input_names('workload') if n != 'description')}")
        if spec.get("latency_ms") is not None:
            try:
                check_number(spec["latency_ms"], feature=feature, field="latency_ms",
                             positive=True)
            except ValidationError as err:
                raise ValidationError(err.problem, feature=feature, field="latency_ms",
                                      fix=err.fix or "give the limit in ms, or null for no "
                                                     "latency limit") from None
        if spec.get("bytes_per_token") is None:
            raise ValidationError("is missing", feature=feature, field="bytes_per_token",
                                  fix="give the payload per token in bytes")
        check_number(spec["bytes_per_token"], feature=feature, field="bytes_per_token",
                     positive=True)
        if spec.get("compute_intensity") is not None:
            check_number(spec["compute_intensity"], feature=feature,
                         field="compute_intensity", positive=True)
        if spec.get("voll") is not None:
            check_number(spec["voll"], feature=feature, field="voll", minimum=0)
    if G.graph.get("token_bytes") is not None:
        check_number(G.graph["token_bytes"], feature="netprice", field="token_bytes",
                     positive=True)
    if G.graph.get("route_factor") is not None:
        check_number(G.graph["route_factor"], feature="netprice", field="route_factor",
                     minimum=1.0)
    return workloads


def _check_periods(G, workloads):
    """The number of periods, after checking the attributes of time (None: one period).

    docs/model.md section 9: ``periods`` (unique labels), ``period_hours``,
    ``cyclic`` and each workload's ``defer_h``.  A workload with a latency
    limit answers within it: it cannot also wait hours to be served, so
    deferral longer than its limit is refused rather than given a meaning.
    """
    periods = G.graph.get("periods")
    view = G.graph.get("period")
    if view is not None and not isinstance(view, str):
        # "period" is what a one-period view writes (one label); a list here is "periods" misspelt
        raise ValidationError(
            f"names the one period a view of a day shows (a label), got {_describe(view)}",
            feature="netprice", field="period",
            fix="did you mean 'periods'? list the period labels there")
    for name, spec in workloads.items():
        if spec.get("defer_h") is None:
            continue
        hours = check_number(spec["defer_h"], feature=f"workload '{name}'", field="defer_h",
                             minimum=0)
        limit = spec.get("latency_ms")
        if hours > 0 and limit is not None and float(limit) < hours * 3.6e6:
            raise ValidationError(
                f"a workload with a latency limit of {float(limit):g} ms cannot wait "
                f"{hours:g} h to be served: its users expect an answer within the limit",
                feature=f"workload '{name}'", field="defer_h",
                fix="set defer_h to 0 (not time-shiftable), or latency_ms to null for work "
                    "that may wait (batch)")
    if periods is None:
        for key in ("period_hours", "cyclic"):
            if G.graph.get(key) is not None:
                raise ValidationError(
                    "is given, but the network declares no periods", feature="netprice",
                    field=key, fix="declare the period labels in netprice.periods, or drop it")
        return None
    if isinstance(periods, (str, dict)) or not isinstance(periods, (list, tuple)) or not periods:
        raise ValidationError(
            f"must be a non-empty list of period labels, got {_describe(periods)}",
            feature="netprice", field="periods",
            fix='e.g. ["2026-07-01T00:00Z", "2026-07-01T01:00Z", ...]: ISO-8601 UTC start times')
    for i, label in enumerate(periods):
        if not isinstance(label, str) or not label.strip():
            raise ValidationError(
                f"period {i} has no label: got {_describe(label)}", feature="netprice",
                field=f"periods[{i}]", fix="label every period, e.g. with its ISO-8601 UTC "
                                           "start time \"2026-07-01T00:00Z\"")
    if len(set(periods)) != len(periods):
        twice = next(p for p in periods if periods.count(p) > 1)
        raise ValidationError(f"the label {twice!r} is given twice", feature="netprice",
                              field="periods", fix="give every period its own label")
    if G.graph.get("period_hours") is not None:
        check_number(G.graph["period_hours"], feature="netprice", field="period_hours",
                     positive=True)
    if not isinstance(G.graph.get("cyclic", False), bool):
        raise ValidationError(f"must be true or false, got {_describe(G.graph['cyclic'])}",
                              feature="netprice", field="cyclic")
    return len(periods)


def _first_period(data, fields, periods, feature):
    """``data`` with each per-period list of ``fields`` checked and replaced by its first value.

    The rest of the checks then see one period; every value of a list is
    checked here (a number, at least 0), and its length against the periods.
    """
    out = None
    for key in fields:
        value = data.get(key)
        if isinstance(value, dict):
            items = [(f"{key}.{w}", v) for w, v in value.items()]
        else:
            items = [(key, value)]
        if not any(isinstance(v, (list, tuple)) for _, v in items):
            continue
        if out is None:
            out = dict(data)
        for field, v in items:
            if not isinstance(v, (list, tuple)):
                continue
            if periods is None:
                raise ValidationError(
                    f"is a list of {len(v)} values, but the network declares no periods",
                    feature=feature, field=field,
                    fix="declare one label per value in netprice.periods, or give one number")
            if len(v) != periods:
                raise ValidationError(
                    f"has {len(v)} values, expected {periods} (one per period of "
                    "netprice.periods)", feature=feature, field=field)
            for i, x in enumerate(v):
                check_number(x, feature=feature, field=f"{field}[{i}]", minimum=0)
        out[key] = ({w: (v[0] if isinstance(v, (list, tuple)) else v) for w, v in value.items()}
                    if isinstance(value, dict) else value[0])
    return data if out is None else out


def _check_per_workload(value, workloads, *, feature, field, allow_scalar):
    if isinstance(value, dict):
        for w, v in value.items():
            if w not in workloads:
                raise ValidationError(
                    f"names workload '{w}', which is not declared",
                    feature=feature, field=f"{field}.{w}",
                    fix=f"declare it under netprice.workloads or use one of {sorted(workloads)}")
            check_number(v, feature=feature, field=f"{field}.{w}", minimum=0)
    elif allow_scalar:
        check_number(value, feature=feature, field=field, minimum=0)
    else:
        raise ValidationError(
            f"must be an object {{workload: value}}, got {_describe(value)}",
            feature=feature, field=field)


def _node_is_plainly_valid(data, workloads) -> bool:
    """The common case, checked without building messages: finite floats in range.

    Anything else (ints, per-workload cost or latency dicts, ``serves``,
    NaN, a missing field) takes the full check of :func:`_check_node`.
    """
    lon, lat = data.get("lon"), data.get("lat")
    if not (type(lon) is float and -180.0 <= lon <= 180.0
            and type(lat) is float and -90.0 <= lat <= 90.0):
        return False
    for key in ("capacity", "cost", "proc_latency_ms"):
        value = data.get(key)
        if value is not None and not (type(value) is float and 0.0 <= value < math.inf):
            return False
    demand = data.get("demand")
    if demand is not None:
        if type(demand) is not dict:
            return False
        for w, value in demand.items():
            if not (type(value) is float and 0.0 <= value < math.inf and w in workloads):
                return False
    return data.get("serves") is None and data.get("offers") is None and data.get("bids") is None


def _node_label(n) -> str:
    return repr(n) if not isinstance(n, str) else f"'{n}'"


def _check_node(n, data, workloads, periods=None):
    if _node_is_plainly_valid(data, workloads):
        return
    feature = _node_label(n)
    data = _first_period(data, PERIOD_NODE_FIELDS, periods, feature)
    for axis, bound in (("lon", 180.0), ("lat", 90.0)):
        if data.get(axis) is None:
            raise ValidationError(
                "has no coordinates", feature=feature, field=axis,
                fix="give the site's WGS84 longitude and latitude in degrees")
        check_number(data[axis], feature=feature, field=axis, minimum=-bound, maximum=bound)
    if data.get("offers") is not None:
        # Before capacity, which is the offers' total: a bad block is named, not its sum.
        check_offers(data["offers"], feature=feature)
    if data.get("capacity") is not None:
        check_number(data["capacity"], feature=feature, field="capacity", minimum=0)
    if data.get("cost") is not None:
        _check_per_workload(data["cost"], workloads, feature=feature, field="cost",
                            allow_scalar=True)
    if data.get("demand") is not None:
        _check_per_workload(data["demand"], workloads, feature=feature, field="demand",
                            allow_scalar=False)
    if data.get("proc_latency_ms") is not None:
        _check_per_workload(data["proc_latency_ms"], workloads, feature=feature,
                            field="proc_latency_ms", allow_scalar=True)
    serves = data.get("serves")
    if serves is not None:
        if isinstance(serves, str) or not isinstance(serves, (list, tuple, set, frozenset)):
            raise ValidationError(
                f"must be a list of workload names, got {_describe(serves)}",
                feature=feature, field="serves")
        for w in serves:
            if w not in workloads:
                raise ValidationError(
                    f"names workload '{w}', which is not declared", feature=feature,
                    field="serves", fix=f"use one of {sorted(workloads)}")
    if periods is not None:
        for field in ("offers", "bids"):
            if data.get(field) is not None:
                raise ValidationError(
                    "is not supported in a market over periods (offers and bids clear one "
                    "period)", feature=feature, field=field,
                    fix="clear each period as its own network, or give capacity and cost "
                        "per period instead of offers")
    _check_curves(data, workloads, feature=feature)


def link_label(u, v, data) -> str:
    """How messages name an arc: its link id when it has one."""
    if data.get("link") is not None:
        return f"'{data['link']}'"
    return f"'{u}'->'{v}'"


def _edge_is_plainly_valid(u, v, data) -> bool:
    """The common case, checked without building messages: finite floats in range."""
    bandwidth, latency = data.get("bandwidth_gbps"), data.get("latency_ms")
    cost = data.get("cost_per_gb")
    # NaN fails every comparison, so it takes the full check (and its message).
    return (type(bandwidth) is float and type(latency) is float
            and 0.0 < bandwidth < math.inf and 0.0 <= latency < math.inf
            and (cost is None or (type(cost) is float and 0.0 <= cost < math.inf))
            and u != v)


def _check_edge(u, v, data, periods=None):
    if _edge_is_plainly_valid(u, v, data):
        return
    feature = link_label(u, v, data)
    data = _first_period(data, PERIOD_EDGE_FIELDS, periods, feature)
    if u == v:
        raise ValidationError("is a self-loop", feature=feature, field="target",
                              fix="a link must join two different nodes")
    if data.get("bandwidth_gbps") is None:
        raise ValidationError("is missing", feature=feature, field="bandwidth_gbps",
                              fix="give the capacity per direction in Gbit/s")
    check_number(data["bandwidth_gbps"], feature=feature, field="bandwidth_gbps", positive=True)
    if data.get("latency_ms") is None:
        raise ValidationError(
            "is missing", feature=feature, field="latency_ms",
            fix="give latency_ms, or add the link with netprice.add_link, which derives it "
                "from the geodesic length")
    check_number(data["latency_ms"], feature=feature, field="latency_ms", minimum=0)
    if data.get("cost_per_gb") is not None:
        check_number(data["cost_per_gb"], feature=feature, field="cost_per_gb", minimum=0)


def check_names(keys, where, *, feature, known=None, extra=()) -> None:
    """Refuse attribute names that look like misspellings of the graph contract's.

    A name close to an input attribute of ``where`` (same but for case or
    separators, or as alike as :data:`netprice.schema.NEAR_MISS_RATIO`) is
    an error with "did you mean": kept as metadata, ``"capactiy": 2e6``
    would leave the site without compute and move every price.  Other
    unknown names are metadata and pass.

    Parameters
    ----------
    keys : iterable of str
    where : {"graph", "workload", "node", "edge"}
    feature : str
        Named in the error.
    known : set, optional
        Names already judged fine; names judged fine here are added, so a
        caller checking many nodes judges each name once.
    extra : iterable of str
        Further names that are known here.

    Examples
    --------
    >>> check_names(["capacity", "operator"], "node", feature="'A'")
    >>> check_names(["capactiy"], "node", feature="'A'")
    Traceback (most recent call last):
    ...
    netprice.errors.ValidationError: feature 'A', field 'capactiy': is not a netprice attribute; did you mean 'capacity'? (rename it 'capacity'; names that are not close to one of docs/format.md are kept as metadata)
    """
    if known is None:
        known = set(names(where))
    for key in keys:
        if key in known:
            continue
        guess = near_miss(key, where, extra=extra)
        if guess is not None:
            raise ValidationError(
                f"is not a netprice attribute; did you mean '{guess}'?", feature=feature,
                field=str(key), fix=f"rename it '{guess}'; names that are not close to one of "
                                    "docs/format.md are kept as metadata")
        known.add(key)


def _check_names_used(used, where, labelled) -> None:
    """:func:`check_names` over many nodes or arcs, judging each name used once.

    ``used`` is every attribute name that occurs; only where one of them is
    a near miss are the ``(feature label, data)`` pairs of ``labelled``
    walked, to name the first feature that has it.
    """
    unknown = used - set(names(where))
    suspect = {key for key in unknown if near_miss(key, where) is not None}
    if not suspect:
        return
    for feature, data in labelled:
        if not suspect.isdisjoint(data):
            check_names(data, where, feature=feature)


def _check_link_ids(G, arcs_of) -> None:
    """One id, one link: an undirected link's two arcs may share it, nothing else may.

    Tables list links by id and contingency takes a link out by its id: two
    links under one id would be reported, and taken out, as one.
    ``arcs_of`` is ``{link id: [(u, v), ...]}`` in edge order.
    """
    for lid, arcs in arcs_of.items():
        if len(arcs) == 1 or (len(arcs) == 2 and arcs[0] == arcs[1][::-1]):
            continue
        links = []
        for u, v in arcs:
            if (v, u) not in links:
                links.append((u, v))
        shown = " and ".join(f"{u}->{v}" if G.edges[u, v].get("directed") else f"{u}-{v}"
                             for u, v in links[:3])
        raise ValidationError(
            f"link id {lid!r} is used by {len(links)} links: {shown}", feature=f"'{lid}'",
            field="id", fix="give every link its own id (contingency takes a link out by "
                            "its id, and the tables list links by it)")


def _where(point) -> str:
    return f"[{point[0]:.6g}, {point[1]:.6g}]"


def _km(distance) -> str:
    return f"{distance:,.1f} km" if distance < 10 else f"{distance:,.0f} km"


def link_end_problem(geometry, source, target, at_source, at_target):
    """What is wrong with where a link's geometry ends, as ``(problem, fix)``, or None.

    The ends must lie within :data:`netprice.geo.LINK_END_TOLERANCE_KM` of
    the link's nodes, the first at the source: a link's latency is derived
    from its geometry, so a geometry that runs elsewhere changes prices.

    Parameters
    ----------
    geometry : sequence of (lon, lat)
    source, target : hashable
        The node ids, for the message.
    at_source, at_target : (lon, lat)
        Where the nodes are.

    Examples
    --------
    >>> link_end_problem([(0.0, 0.0), (1.0, 0.0)], "A", "B", (0.0, 0.0), (1.0, 0.0)) is None
    True
    >>> link_end_problem([(0.0, 0.0), (50.0, 10.0)], "A", "B", (0.0, 0.0), (10.0, 50.0))[0]
    "geometry ends at [50, 10], 5,758 km from its target 'B' at [10, 50]; the one or the other has longitude and latitude swapped"
    """
    start, end = tuple(geometry[0][:2]), tuple(geometry[-1][:2])
    tolerance = LINK_END_TOLERANCE_KM
    off_start, off_end = geodesic_km(start, at_source), geodesic_km(end, at_target)
    if off_start <= tolerance and off_end <= tolerance:
        return None
    if geodesic_km(start, at_target) <= tolerance and geodesic_km(end, at_source) <= tolerance:
        return (f"geometry runs from the target '{target}' to the source '{source}'",
                "reverse its positions, or swap source and target")
    for which, role, node, point, at, off in (
            ("starts", "source", source, start, at_source, off_start),
            ("ends", "target", target, end, at_target, off_end)):
        if off <= tolerance:
            continue
        problem = (f"geometry {which} at {_where(point)}, {_km(off)} from its {role} '{node}' "
                   f"at {_where(at)}")
        swapped = abs(point[0]) <= 90 and geodesic_km((point[1], point[0]), at) <= tolerance
        if swapped:
            return (problem + "; the one or the other has longitude and latitude swapped",
                    "GeoJSON positions are [lon, lat]: swap the two numbers where they are "
                    "the wrong way round")
        return (problem, f"a link's geometry must start at its source and end at its target "
                         f"(within {tolerance:g} km); correct that end or the node, or leave "
                         "the geometry out for a straight line")
    raise AssertionError("unreachable")


def _check_geometry(u, v, data, at_u, at_v) -> None:
    geometry = data["geometry"]
    found = link_end_problem(geometry, u, v, at_u, at_v)
    if found is not None:
        raise ValidationError(found[0], feature=link_label(u, v, data), field="geometry",
                              fix=found[1])


def _listing(items, limit=5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _warn_free_compute(G, workloads, file) -> None:
    """Warn about compute with no cost: legal (cost 0), but prices it sets are then 0."""
    free = []
    for n, data in G.nodes(data=True):
        if not data.get("capacity") or data.get("offers") is not None:
            continue  # offers carry their own prices
        cost = data.get("cost")
        if cost is None:
            free.append(f"'{n}'")
        elif isinstance(cost, dict):
            runs = data.get("serves") or workloads
            missing = [w for w in runs if w not in cost]
            if missing:
                free.append(f"'{n}' ({', '.join(map(str, missing))})")
    if free:
        where = f"{file}: " if file is not None else ""
        warnings.warn(InputWarning(
            f"{where}{len(free)} compute site(s) have no cost, so they compute for free and "
            f"every price they set is 0: {_listing(free)} (give each a cost in $/Mtok; write "
            "cost 0 to mean free)"), stacklevel=3)


def validate(G, *, file=None, warn=True) -> None:
    """Check that ``G`` is a network netprice can clear.

    Parameters
    ----------
    G : networkx.DiGraph
        A network following the graph contract (docs/model.md section 6).
    file : str, optional
        Named in error messages when the graph was read from a file.
    warn : bool
        Also warn (:class:`~netprice.errors.InputWarning`) about input that
        is legal but may not mean what it says: compute sites with no cost.
        The readers pass False and leave it to :func:`netprice.clear_market`,
        which validates again, so that a file read and cleared warns once.

    Raises
    ------
    ValidationError
        Naming the node or link, the attribute and the fix, for the first
        problem found.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8}})
    >>> npx.add_site(G, "A", lon=-100.0, lat=40.0, capacity=1e6, cost=1.0)
    >>> npx.validate(G)
    >>> G.nodes["A"]["capacity"] = -1
    >>> npx.validate(G)
    Traceback (most recent call last):
    ...
    netprice.errors.ValidationError: feature 'A', field 'capacity': must be at least 0, got -1
    """
    try:
        if not isinstance(G, nx.DiGraph) or G.is_multigraph():
            raise ValidationError(
                f"a network must be a networkx.DiGraph, got {type(G).__name__}",
                fix="merge parallel links (bandwidths add) and use nx.DiGraph")
        workloads = _check_workloads(G)
        periods = _check_periods(G, workloads)
        check_names(G.graph, "graph", feature="netprice")
        if G.number_of_nodes() == 0:
            raise ValidationError("the network has no nodes",
                                  fix="add at least one site with compute and demand")
        used, last = set(), None
        for n, data in G.nodes(data=True):
            _check_node(n, data, workloads, periods)
            # Nodes mostly share one set of names: take each new set once.
            if data.keys() != last:
                used.update(data)
                last = data.keys()
        _check_names_used(used, "node", ((_node_label(n), data)
                                         for n, data in G.nodes(data=True)))
        used, last, arcs_of = set(), None, {}
        at = {n: (data.get("lon"), data.get("lat")) for n, data in G.nodes(data=True)}
        # The order of G.edges(data=True), over the plain adjacency dicts.
        for u, nbrs in G.adjacency():
            at_u = at[u]
            for v, data in nbrs.items():
                _check_edge(u, v, data, periods)
                if data.keys() != last:
                    used.update(data)
                    last = data.keys()
                geometry = data.get("geometry")
                # Written by add_link or read from a file that agrees, the ends are
                # the nodes' own coordinates: no distance needed.
                if geometry and not (tuple(geometry[0][:2]) == at_u
                                     and tuple(geometry[-1][:2]) == at[v]):
                    _check_geometry(u, v, data, at_u, at[v])
                lid = data.get("link")
                if lid is not None:
                    arcs_of.setdefault(lid, []).append((u, v))
        _check_names_used(used, "edge", ((link_label(u, v, data), data)
                                         for u, v, data in G.edges(data=True)))
        _check_link_ids(G, arcs_of)
    except ValidationError as err:
        raise (err.in_file(file) if file is not None else err) from None
    if warn:
        _warn_free_compute(G, workloads, file)


# -- offers and bids (docs/model.md §10; the format is netprice.curves) ---------------------------
def _curve_blocks(curve, fields, *, feature, field, order):
    """Check one curve (a list of blocks); return its ``(quantity, price)`` pairs.

    ``order`` is +1 where prices must not fall along the list (offers), -1
    where they must not rise (bids).
    """
    if isinstance(curve, (str, bytes)) or not isinstance(curve, (list, tuple)):
        raise ValidationError(
            f"must be a list of blocks {{{', '.join(map(repr, fields))}}}, got "
            f"{type(curve).__name__}", feature=feature, field=field,
            fix=f"e.g. [{{\"{fields[0]}\": 1e5, \"price\": 0.2}}]")
    if not curve:
        raise ValidationError("is an empty list", feature=feature, field=field,
                              fix="give at least one block, or leave the field out")
    pairs = []
    for k, block in enumerate(curve):
        where = f"{field}[{k}]"
        if not isinstance(block, dict):
            raise ValidationError(
                f"must be an object {{{', '.join(map(repr, fields))}}}, got "
                f"{type(block).__name__}", feature=feature, field=where)
        unknown = sorted(set(block) - set(fields), key=str)
        if unknown:
            raise ValidationError(f"has unknown field(s) {unknown}", feature=feature,
                                  field=f"{where}.{unknown[0]}",
                                  fix=f"a block has exactly {' and '.join(fields)}")
        for name in fields:
            if block.get(name) is None:
                raise ValidationError("is missing", feature=feature, field=f"{where}.{name}",
                                      fix=f"a block has exactly {' and '.join(fields)}")
        pairs.append(tuple(check_number(block[name], feature=feature, field=f"{where}.{name}",
                                        minimum=0) for name in fields))
    for k in range(1, len(pairs)):
        if order * (pairs[k][1] - pairs[k - 1][1]) < 0:
            first = "cheapest" if order > 0 else "dearest"
            relation = "below" if order > 0 else "above"
            raise ValidationError(
                f"price {pairs[k][1]:g} is {relation} the previous block's {pairs[k - 1][1]:g}",
                feature=feature, field=f"{field}[{k}].price",
                fix=f"list the blocks {first} first, as the curve is drawn")
    return pairs


def check_offers(offers, *, feature="node"):
    """Check a site's ``offers``; return its blocks as ``[(capacity, price), ...]``.

    Examples
    --------
    >>> from netprice.validate import check_offers
    >>> check_offers([{"capacity": 5.0, "price": 1.0}, {"capacity": 2.0, "price": 3.0}])
    [(5.0, 1.0), (2.0, 3.0)]
    >>> check_offers([{"capacity": 5.0, "price": 3.0}, {"capacity": 2.0, "price": 1.0}],
    ...              feature="'A'")
    Traceback (most recent call last):
    ...
    netprice.errors.ValidationError: feature 'A', field 'offers[1].price': price 1 is below the previous block's 3 (list the blocks cheapest first, as the curve is drawn)
    """
    if isinstance(offers, dict):
        raise ValidationError(
            "per-workload offers are not supported", feature=feature, field="offers",
            fix="give one list of blocks shared by the site's workloads (restrict them with "
                "serves), or model capacity dedicated to a workload as a site of its own")
    return _curve_blocks(offers, OFFER_FIELDS, feature=feature, field="offers", order=+1)


def check_bids(bids, workloads, *, feature="node"):
    """Check a node's ``bids``; return ``{workload: [(tokens_per_s, price), ...]}``.

    Examples
    --------
    >>> from netprice.validate import check_bids
    >>> check_bids({"chat": [{"tokens_per_s": 10.0, "price": 2.0}]}, {"chat": {}})
    {'chat': [(10.0, 2.0)]}
    >>> check_bids({"code": [{"tokens_per_s": 10.0, "price": 2.0}]}, {"chat": {}},
    ...            feature="'B'")
    Traceback (most recent call last):
    ...
    netprice.errors.ValidationError: feature 'B', field 'bids.code': names workload 'code', which is not declared (declare it under netprice.workloads or use one of ['chat'])
    """
    if not isinstance(bids, dict):
        raise ValidationError(
            f"must be an object {{workload: [blocks]}}, got {type(bids).__name__}",
            feature=feature, field="bids",
            fix="e.g. {\"chat\": [{\"tokens_per_s\": 1e5, \"price\": 0.9}]}")
    curves = {}
    for w, curve in bids.items():
        if w not in workloads:
            raise ValidationError(
                f"names workload '{w}', which is not declared", feature=feature,
                field=f"bids.{w}",
                fix=f"declare it under netprice.workloads or use one of {sorted(workloads)}")
        curves[w] = _curve_blocks(curve, BID_FIELDS, feature=feature, field=f"bids.{w}", order=-1)
    return curves


def _check_curves(data, workloads, *, feature):
    """The offer and bid checks of one node's attributes ``data``."""
    if data.get("offers") is not None:
        blocks = check_offers(data["offers"], feature=feature)
        if data.get("cost") is not None:
            raise ValidationError(
                "is given beside offers", feature=feature, field="cost",
                fix="a site with offers prices its capacity in the blocks: drop cost, or drop "
                    "offers and give capacity + cost (one block)")
        total = math.fsum(c for c, _ in blocks)
        capacity = data.get("capacity")
        if capacity is not None and not math.isclose(float(capacity), total,
                                                     rel_tol=CAPACITY_RTOL, abs_tol=0.0):
            raise ValidationError(
                f"is {capacity:g} but the offers total {total:g} reference tokens/s",
                feature=feature, field="capacity",
                fix="leave capacity out (it is the offers' total) or make the two agree")
    if data.get("bids") is not None:
        check_bids(data["bids"], workloads, feature=feature)
