"""The graph contract: attribute names, units, defaults, and who writes them.

This table is the single place the names of MODEL.md section 6 live.  The
reader fills the *input* attributes, the LP builder reads them, and
:func:`netprice.annotate` writes the *output* attributes.  Like PyPSA's
component attribute tables, it is data: ``attributes()`` returns it as a
DataFrame for documentation and checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "SCHEMA_VERSION",
    "Attribute",
    "ATTRIBUTES",
    "attributes",
    "WORKLOAD_FIELDS",
    "DEFAULT_TOKEN_BYTES",
]

#: Version of the GeoJSON file format (``netprice.schema_version``).
SCHEMA_VERSION = 1

#: Bytes per token on links in baseline (token-equivalent) mode when the
#: file gives no ``token_bytes``: about four characters of UTF-8 text.
DEFAULT_TOKEN_BYTES = 4.0


@dataclass(frozen=True)
class Attribute:
    where: str  # "graph", "node" or "edge"
    name: str
    unit: str
    default: object
    role: str  # "input" or "output"
    description: str


ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("graph", "workloads", "", None, "input",
              "{name: {latency_ms, bytes_per_token, compute_intensity, voll}}"),
    Attribute("graph", "token_bytes", "bytes", DEFAULT_TOKEN_BYTES, "input",
              "bytes per token on links in baseline mode"),
    Attribute("graph", "route_factor", "", None, "input",
              "fibre route length / geodesic length, for derived latencies"),
    Attribute("node", "lon", "degrees", None, "input", "WGS84 longitude"),
    Attribute("node", "lat", "degrees", None, "input", "WGS84 latitude"),
    Attribute("node", "name", "", None, "input", "human-readable name"),
    Attribute("node", "capacity", "reference tokens/s", 0.0, "input",
              "compute capacity (0: no compute)"),
    Attribute("node", "cost", "$/Mtok", 0.0, "input",
              "processing cost per reference token, or {workload: $/Mtok}"),
    Attribute("node", "demand", "tokens/s", {}, "input", "{workload: tokens/s}"),
    Attribute("node", "serves", "", None, "input", "workloads the site runs (absent: all)"),
    Attribute("node", "proc_latency_ms", "ms", 0.0, "input",
              "processing latency, number or {workload: ms}"),
    Attribute("edge", "bandwidth_gbps", "Gbit/s", None, "input", "capacity per direction"),
    Attribute("edge", "latency_ms", "ms", None, "input",
              "one-way latency (derived from geometry when absent)"),
    Attribute("edge", "cost_per_gb", "$/GB", 0.0, "input", "transport cost"),
    Attribute("edge", "link", "", None, "input", "id of the link feature the arc comes from"),
    Attribute("edge", "directed", "", False, "input", "False: the link is full duplex"),
    Attribute("edge", "length_km", "km", None, "input", "geodesic length of the geometry"),
    Attribute("node", "price", "$/Mtok", None, "output", "{workload: locational price}"),
    Attribute("node", "price_parts", "$/Mtok", None, "output",
              "{workload: {processing, scarcity, transport, congestion, unserved}}"),
    Attribute("node", "compute_used", "reference tokens/s", None, "output", "compute in use"),
    Attribute("node", "utilisation", "0..1", None, "output", "compute_used / capacity"),
    Attribute("node", "scarcity", "$/Mtok", None, "output",
              "compute scarcity rent per reference token"),
    Attribute("node", "served", "tokens/s", None, "output", "{workload: tokens/s processed here}"),
    Attribute("edge", "flow_gbps", "Gbit/s", None, "output", "link flow"),
    Attribute("edge", "flow_tokens", "tokens/s", None, "output", "{workload: tokens/s}"),
    Attribute("edge", "utilisation", "0..1", None, "output", "flow_gbps / bandwidth_gbps"),
    Attribute("edge", "saturated", "", None, "output", "utilisation >= 1 - 1e-6"),
    Attribute("edge", "rent", "$/h per Gbit/s", None, "output", "congestion rent"),
)

#: Fields of one entry of ``G.graph["workloads"]`` and their defaults.
WORKLOAD_FIELDS = {
    "latency_ms": None,
    "bytes_per_token": None,
    "compute_intensity": 1.0,
    "voll": None,
}


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
