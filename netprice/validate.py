"""Checks that a graph satisfies the netprice contract (MODEL.md section 6).

Readers call :func:`validate` on what they built, so a file and a graph
made in code meet the same checks and the same messages.  Each problem is
reported as a :class:`~netprice.errors.ValidationError` naming the node or
link, the attribute, and what would fix it.
"""

from __future__ import annotations

import math
import numbers

import networkx as nx

from .errors import ValidationError
from .periods import PERIOD_EDGE_FIELDS, PERIOD_NODE_FIELDS
from .schema import WORKLOAD_FIELDS, input_names

__all__ = ["validate", "check_number"]


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
        unknown = set(spec) - set(input_names("workload"))
        if unknown:
            raise ValidationError(
                f"unknown parameter(s) {sorted(unknown)}", feature=feature, field=sorted(unknown)[0],
                fix=f"use {', '.join(n for n in input_names('workload') if n != 'description')}")
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

    MODEL.md section 9: ``periods`` (unique labels), ``period_hours``,
    ``cyclic`` and each workload's ``defer_h``.  A workload with a latency
    limit answers within it: it cannot also wait hours to be served, so
    deferral longer than its limit is refused rather than given a meaning.
    """
    periods = G.graph.get("periods")
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
    return data.get("serves") is None


def _check_node(n, data, workloads, periods=None):
    if _node_is_plainly_valid(data, workloads):
        return
    feature = repr(n) if not isinstance(n, str) else f"'{n}'"
    data = _first_period(data, PERIOD_NODE_FIELDS, periods, feature)
    for axis, bound in (("lon", 180.0), ("lat", 90.0)):
        if data.get(axis) is None:
            raise ValidationError(
                "has no coordinates", feature=feature, field=axis,
                fix="give the site's WGS84 longitude and latitude in degrees")
        check_number(data[axis], feature=feature, field=axis, minimum=-bound, maximum=bound)
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


def validate(G, *, file=None) -> None:
    """Check that ``G`` is a network netprice can clear.

    Parameters
    ----------
    G : networkx.DiGraph
        A network following the graph contract (MODEL.md section 6).
    file : str, optional
        Named in error messages when the graph was read from a file.

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
        if G.number_of_nodes() == 0:
            raise ValidationError("the network has no nodes",
                                  fix="add at least one site with compute and demand")
        for n, data in G.nodes(data=True):
            _check_node(n, data, workloads, periods)
        # The order of G.edges(data=True), over the plain adjacency dicts.
        for u, nbrs in G.adjacency():
            for v, data in nbrs.items():
                _check_edge(u, v, data, periods)
    except ValidationError as err:
        raise (err.in_file(file) if file is not None else err) from None
