"""The graph contract: attribute names, units, defaults, and who writes them.

:data:`ATTRIBUTES` is the single place the names of docs/model.md section 6
live.  The readers fill the *input* attributes (and *derive* a few from
them), the LP builder reads them, and :func:`netprice.annotate` writes the
*output* attributes.  Validation, the GeoJSON reader and writer, annotate
and the maps take their lists of fields, defaults and units from here, so
a new attribute is declared once.  Like PyPSA's component attribute
tables, it is data: :func:`attributes` returns it as a DataFrame for
documentation and checks.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "SCHEMA_VERSION",
    "Attribute",
    "ATTRIBUTES",
    "attributes",
    "names",
    "input_names",
    "output_names",
    "near_miss",
    "default",
    "unit",
    "WORKLOAD_FIELDS",
    "PRICE_PARTS",
    "DEFAULT_TOKEN_BYTES",
]

#: Version of the GeoJSON file format (``netprice.schema_version``).
SCHEMA_VERSION = 1

#: Bytes per token on links in baseline (token-equivalent) mode when the
#: file gives no ``token_bytes``: about four characters of UTF-8 text.
DEFAULT_TOKEN_BYTES = 4.0

#: The parts a locational price splits into, $/Mtok (node ``price_parts``).
PRICE_PARTS = ("processing", "scarcity", "transport", "congestion", "unserved")


@dataclass(frozen=True)
class Attribute:
    """One row of the graph contract.

    ``where`` is ``"graph"`` (``G.graph``), ``"workload"`` (an entry of
    ``G.graph["workloads"]``), ``"node"`` or ``"edge"``.  ``role`` is
    ``"input"`` (given by the user), ``"derived"`` (filled by the readers
    from other inputs) or ``"output"`` (written by :func:`netprice.annotate`).
    ``geojson`` says where a netprice GeoJSON file carries it: the
    ``netprice`` ``"member"``, a feature's ``"property"``, its
    ``"geometry"`` or its ``"id"``; None when it is derived again on read.
    """

    where: str
    name: str
    unit: str
    default: object
    role: str
    description: str
    type: str = "float"
    geojson: str | None = "property"


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("graph", "workloads", "", None, "input",
              "{name: {latency_ms, bytes_per_token, compute_intensity, voll}}",
              type="dict", geojson="member"),
    Attribute("graph", "token_bytes", "bytes", DEFAULT_TOKEN_BYTES, "input",
              "bytes per token on links in baseline mode", geojson="member"),
    Attribute("graph", "route_factor", "", None, "input",
              "fibre route length / geodesic length, for derived latencies", geojson="member"),
    Attribute("graph", "name", "", None, "input", "name of the network",
              type="str", geojson="member"),
    # -- time (docs/model.md section 9): absent, the market is one period, as before
    Attribute("graph", "periods", "", None, "input",
              "period labels, ISO-8601 UTC start times; then demand, capacity, cost and "
              "bandwidth_gbps may be lists of one value per period", type="list",
              geojson="member"),
    Attribute("graph", "period_hours", "h", 1.0, "input", "length of every period",
              geojson="member"),
    Attribute("graph", "cyclic", "", False, "input",
              "the last period is followed by the first (the day wraps)", type="bool",
              geojson="member"),
    Attribute("graph", "period", "", None, "derived",
              "the period a one-period view of a market over periods shows "
              "(netprice.periods.period_graph)", type="str", geojson="member"),
    Attribute("workload", "latency_ms", "ms", None, "input",
              "limit on route plus processing latency (None: no limit)", geojson="member"),
    Attribute("workload", "bytes_per_token", "bytes", None, "input",
              "payload per token on links in transfer-aware mode (required)", geojson="member"),
    Attribute("workload", "compute_intensity", "reference tokens per token", 1.0, "input",
              "compute capacity one token uses", geojson="member"),
    Attribute("workload", "voll", "$/Mtok", None, "input",
              "value of lost load (None: all demand must be served)", geojson="member"),
    Attribute("workload", "description", "", None, "input", "free text, not a parameter",
              type="str", geojson="member"),
    Attribute("workload", "defer_h", "h", 0.0, "input",
              "how long its tokens may wait to be served, in whole periods (0: not "
              "time-shiftable)", geojson="member"),
    Attribute("node", "lon", "degrees", None, "input", "WGS84 longitude", geojson="geometry"),
    Attribute("node", "lat", "degrees", None, "input", "WGS84 latitude", geojson="geometry"),
    Attribute("node", "name", "", None, "input", "human-readable name", type="str"),
    Attribute("node", "capacity", "reference tokens/s", 0.0, "input",
              "compute capacity (0: no compute)"),
    Attribute("node", "cost", "$/Mtok", 0.0, "input",
              "processing cost per reference token, or {workload: $/Mtok}",
              type="float or dict"),
    Attribute("node", "demand", "tokens/s", {}, "input", "{workload: tokens/s}", type="dict"),
    Attribute("node", "serves", "", None, "input", "workloads the site runs (absent: all)",
              type="list"),
    Attribute("node", "proc_latency_ms", "ms", 0.0, "input",
              "processing latency, number or {workload: ms}", type="float or dict"),
    Attribute("node", "offers", "reference tokens/s, $/Mtok", None, "input",
              "supply curve, cheapest first: [{capacity, price}] instead of cost",
              type="list"),
    Attribute("node", "bids", "tokens/s, $/Mtok", None, "input",
              "price-responsive demand, dearest first: {workload: [{tokens_per_s, price}]}",
              type="dict"),
    Attribute("node", "owner", "", None, "input",
              "who sells the site's compute (market-power screens; absent: the site itself)",
              type="str"),
    Attribute("node", "region", "", None, "input",
              "market region of the node's load (market-power screens; absent: one region)",
              type="str"),
    Attribute("edge", "bandwidth_gbps", "Gbit/s", None, "input", "capacity per direction"),
    Attribute("edge", "latency_ms", "ms", None, "input",
              "one-way latency (derived from geometry when absent)"),
    Attribute("edge", "cost_per_gb", "$/GB", 0.0, "input", "transport cost"),
    Attribute("edge", "route_factor", "", None, "input",
              "this link's fibre route length / geodesic length (default: the graph's)"),
    Attribute("edge", "link", "", None, "input", "id of the link feature the arc comes from",
              type="str", geojson="id"),
    Attribute("edge", "directed", "", False, "input", "False: the link is full duplex",
              type="bool"),
    Attribute("edge", "geometry", "degrees", None, "input",
              "[(lon, lat), ...] from source to target (default: the straight line)",
              type="list", geojson="geometry"),
    Attribute("edge", "length_km", "km", None, "derived", "geodesic length of the geometry",
              geojson=None),
    Attribute("edge", "latency_source", "", None, "derived",
              "'given', or 'geodesic' when latency_ms was derived", type="str", geojson=None),
    Attribute("graph", "result", "", None, "output",
              "the run: mode, objective ($/h), formulation, solver, status, settlement ($/h)",
              type="dict", geojson="member"),
    Attribute("node", "price", "$/Mtok", None, "output", "{workload: locational price}",
              type="dict"),
    Attribute("node", "price_parts", "$/Mtok", None, "output",
              "{workload: {" + ", ".join(PRICE_PARTS) + "}}", type="dict"),
    Attribute("node", "compute_used", "reference tokens/s", None, "output", "compute in use"),
    Attribute("node", "utilisation", "0..1", None, "output", "compute_used / capacity"),
    Attribute("node", "scarcity", "$/Mtok", None, "output",
              "compute scarcity rent per reference token"),
    Attribute("node", "served", "tokens/s", None, "output", "{workload: tokens/s processed here}",
              type="dict"),
    Attribute("edge", "flow_gbps", "Gbit/s", None, "output", "link flow"),
    Attribute("edge", "flow_tokens", "tokens/s", None, "output", "{workload: tokens/s}",
              type="dict"),
    Attribute("edge", "utilisation", "0..1", None, "output", "flow_gbps / bandwidth_gbps"),
    Attribute("edge", "saturated", "", None, "output", "utilisation >= 1 - 1e-6", type="bool"),
    Attribute("edge", "rent", "$/h per Gbit/s", None, "output", "congestion rent"),
)

_BY_KEY = {(a.where, a.name): a for a in ATTRIBUTES}


def names(where, *, role=None, type=None, geojson=None) -> tuple[str, ...]:
    """Names of the attributes of ``where``, in table order.

    Parameters
    ----------
    where : {"graph", "workload", "node", "edge"}
    role : {"input", "derived", "output"}, optional
        Only attributes of this role.
    type : str, optional
        Only attributes of this type (``"float"``, ``"dict"`` ...).
    geojson : {"member", "property", "geometry", "id"}, optional
        Only attributes a GeoJSON file carries there.

    Examples
    --------
    >>> names("node", geojson="geometry")
    ('lon', 'lat')
    >>> names("node", role="output", type="float")
    ('compute_used', 'utilisation', 'scarcity')
    """
    return tuple(a.name for a in ATTRIBUTES
                 if a.where == where and (role is None or a.role == role)
                 and (type is None or a.type == type)
                 and (geojson is None or a.geojson == geojson))


def input_names(where) -> tuple[str, ...]:
    """Attributes of ``where`` the user gives.

    Examples
    --------
    >>> input_names("workload")
    ('latency_ms', 'bytes_per_token', 'compute_intensity', 'voll', 'description', 'defer_h')
    """
    return names(where, role="input")


def output_names(where) -> tuple[str, ...]:
    """Attributes of ``where`` that :func:`netprice.annotate` writes.

    Examples
    --------
    >>> output_names("edge")
    ('flow_gbps', 'flow_tokens', 'utilisation', 'saturated', 'rent')
    """
    return names(where, role="output")


#: How alike (difflib ratio of the lower-cased names) an unknown name must be
#: to a contract name to count as a misspelling of it: 0.8 catches one or
#: two slips in a word ("capactiy", "latency" for "latency_ms", "costs")
#: and leaves unrelated metadata alone ("country", "operator", "role").
NEAR_MISS_RATIO = 0.8

# Names a mistake cannot hit: node coordinates come from the geometry, and
# free text misspelt changes no answer.
_NOT_GUESSED = {("node", "lon"), ("node", "lat"), ("graph", "name"), ("workload", "description")}


def near_miss(name, where, *, extra=()) -> str | None:
    """The input attribute of ``where`` that ``name`` looks like a misspelling of, or None.

    A name that is not in the contract is a near miss when it differs from
    an input name only in case or separators (``"Capacity"``,
    ``"cost-per-gb"``) or is as alike as :data:`NEAR_MISS_RATIO`
    (``"capactiy"``, ``"latency"``).  Readers and :func:`netprice.validate`
    refuse near misses: kept as metadata, they would silently drop the
    value they were meant to set.  Other unknown names are metadata.

    Parameters
    ----------
    name : str
    where : {"graph", "workload", "node", "edge"}
    extra : iterable of str
        Further names that count as known here (e.g. ``"source"`` on a link feature).

    Examples
    --------
    >>> near_miss("capactiy", "node"), near_miss("Cost", "node"), near_miss("country", "node")
    ('capacity', 'cost', None)
    >>> near_miss("latency", "edge"), near_miss("capacity", "node")
    ('latency_ms', None)
    """
    if not isinstance(name, str) or name in names(where) or name in extra:
        return None
    return _near_miss(name, where, tuple(extra))


@functools.lru_cache(maxsize=4096)
def _near_miss(name, where, extra):
    # Cached: every clear of a network validates it, and an imported network
    # carries the same metadata names (a GraphML file's "label", "Internal" ...) each time.
    candidates = [a.name for a in ATTRIBUTES if a.where == where and a.role == "input"
                  and (where, a.name) not in _NOT_GUESSED] + list(extra)
    folded = re.sub(r"[\s\-.]+", "_", name.strip().lower())
    for candidate in candidates:
        if folded == candidate.lower():
            return candidate
    best = difflib.get_close_matches(folded, candidates, n=1, cutoff=NEAR_MISS_RATIO)
    return best[0] if best else None


def default(where, name):
    """The default of an attribute (a fresh copy: defaults may be dicts).

    Examples
    --------
    >>> default("node", "capacity"), default("node", "demand")
    (0.0, {})
    """
    return copy.deepcopy(_BY_KEY[where, name].default)


def unit(where, name) -> str:
    """The unit of an attribute, as tables, tooltips and documentation print it.

    Examples
    --------
    >>> unit("edge", "rent")
    '$/h per Gbit/s'
    """
    return _BY_KEY[where, name].unit


#: Workload parameters that are read where given but not filled in: a market
#: without periods would otherwise gain them in every file it writes.
_NOT_FILLED = ("defer_h",)

#: Parameters of one entry of ``G.graph["workloads"]`` and their defaults,
#: in the order a filled-in entry lists them (free-text notes are not filled in).
WORKLOAD_FIELDS = {a.name: a.default for a in ATTRIBUTES
                   if a.where == "workload" and a.role == "input" and a.type != "str"
                   and a.name not in _NOT_FILLED}


def attributes() -> pd.DataFrame:
    """The graph contract as a table.

    Examples
    --------
    >>> table = attributes()
    >>> table.loc[("edge", "rent"), "unit"]
    '$/h per Gbit/s'
    """
    frame = pd.DataFrame([a.__dict__ for a in ATTRIBUTES])
    return frame.set_index(["where", "name"])
