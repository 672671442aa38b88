"""Markets over periods: the graph contract of docs/model.md section 9, and one period of it.

A network may carry ``G.graph["periods"]``, a list of T period labels
(ISO-8601 UTC start times such as ``"2026-07-01T00:00Z"``), each
``G.graph["period_hours"]`` long (default 1).  Then node ``demand`` values,
node ``capacity``, node ``cost`` (a number or per workload) and link
``bandwidth_gbps`` may each be a list of T numbers instead of a number; a
number means the same in every period.  A workload may wait:
``workloads[w]["defer_h"]`` hours (default 0), in whole periods, and with
``G.graph["cyclic"] = True`` the last period is followed by the first.

This module only reads the contract: :func:`period_graph` is the ordinary
single-period network of one period, which is what every period's market
is made of.  Validation lives in :mod:`netprice.validate`.
"""

from __future__ import annotations

import math

__all__ = ["PERIOD_NODE_FIELDS", "PERIOD_EDGE_FIELDS", "has_periods", "period_labels",
           "period_hours", "is_cyclic", "defer_hours", "window_periods", "at_period",
           "period_graph", "period_index", "GRAPH_FIELDS"]

#: Node attributes that may hold one value per period.
PERIOD_NODE_FIELDS = ("demand", "capacity", "cost")
#: Edge attributes that may hold one value per period.
PERIOD_EDGE_FIELDS = ("bandwidth_gbps",)
#: The graph attributes of time; a period's own network has none of them.
GRAPH_FIELDS = ("periods", "period_hours", "cyclic")


def has_periods(G) -> bool:
    """Whether ``G`` is a market over periods (it declares ``periods``)."""
    return G.graph.get("periods") is not None


def period_labels(G) -> list:
    """The period labels, or ``[None]`` for a network of one period."""
    return list(G.graph["periods"]) if has_periods(G) else [None]


def period_hours(G) -> float:
    """Length of every period, hours (default 1)."""
    hours = G.graph.get("period_hours")
    return 1.0 if hours is None else float(hours)


def is_cyclic(G) -> bool:
    """Whether the last period is followed by the first (the day wraps)."""
    return bool(G.graph.get("cyclic", False))


def defer_hours(spec) -> float:
    """How long tokens of a workload may wait, hours (``defer_h``; 0 when absent)."""
    value = spec.get("defer_h")
    return 0.0 if value is None else float(value)


def window_periods(G, spec) -> int:
    """Whole periods a workload's tokens may wait: ``floor(defer_h / period_hours)``.

    Rounded down: a token is never served after its deadline.  A cyclic
    day lets a token wait at most T - 1 periods (it is served within a day).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(periods=["a", "b", "c"], period_hours=2.0)
    >>> window_periods(G, {"defer_h": 5}), window_periods(G, {"defer_h": 1}), window_periods(G, {})
    (2, 0, 0)
    """
    if not has_periods(G):
        return 0
    # A hair of slack so that 6 h of 0.1 h periods is 60 periods, not 59.
    periods = int(math.floor(defer_hours(spec) / period_hours(G) + 1e-9))
    return min(periods, len(G.graph["periods"]) - 1)


def period_index(G, period) -> int:
    """The position of ``period`` (a label, or an index) among the periods of ``G``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(periods=["2026-07-01T00:00Z", "2026-07-01T01:00Z"])
    >>> period_index(G, "2026-07-01T01:00Z"), period_index(G, -1)
    (1, 1)
    """
    labels = period_labels(G)
    if period in labels and period is not None:
        return labels.index(period)
    if isinstance(period, int) and not isinstance(period, bool) and -len(labels) <= period < len(labels):
        return period % len(labels)
    raise ValueError(f"no period {period!r}: give a label of G.graph['periods'] "
                     f"({labels[0]!r} ... {labels[-1]!r}) or an index 0..{len(labels) - 1}")


def at_period(value, t):
    """``value`` in period ``t``: the t-th entry of a list, a dict of them, or the value itself.

    Examples
    --------
    >>> at_period([1.0, 2.0], 1), at_period({"chat": [3.0, 4.0], "code": 5.0}, 0), at_period(7.0, 3)
    (2.0, {'chat': 3.0, 'code': 5.0}, 7.0)
    """
    if isinstance(value, (list, tuple)):
        return value[t]
    if isinstance(value, dict):
        return {k: at_period(v, t) for k, v in value.items()}
    return value


def period_graph(G, t):
    """The single-period network of period ``t`` (an index or a label).

    A copy of ``G`` whose per-period values are period t's, without the
    graph attributes of time (``periods``, ``period_hours``, ``cyclic``);
    ``G.graph["period"]`` names the period.  Clearing it is clearing that
    period alone, as if nothing could wait.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    >>> G.graph["periods"] = ["2026-07-01T00:00Z", "2026-07-01T01:00Z"]
    >>> npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    >>> G.nodes["A"]["demand"] = {"chat": [1e5, 3e5]}
    >>> H = period_graph(G, 1)
    >>> H.nodes["A"]["demand"], H.graph["period"], "periods" in H.graph
    ({'chat': 300000.0}, '2026-07-01T01:00Z', False)
    """
    index = period_index(G, t)
    labels = period_labels(G)
    H = G.copy()
    for key in GRAPH_FIELDS:
        H.graph.pop(key, None)
    H.graph["period"] = labels[index]
    for _, data in H.nodes(data=True):
        for key in PERIOD_NODE_FIELDS:
            value = data.get(key)
            if isinstance(value, (list, tuple, dict)):
                data[key] = at_period(value, index)
    for _, _, data in H.edges(data=True):
        for key in PERIOD_EDGE_FIELDS:
            if isinstance(data.get(key), (list, tuple)):
                data[key] = data[key][index]
    return H
