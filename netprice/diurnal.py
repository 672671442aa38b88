"""Demand that follows the sun, and electricity that costs more at the evening peak.

Requests for an AI service follow the daily life of the people sending
them: chat peaks in each metro's afternoon and evening, code completion in
office hours, and a request at 15:00 in New York is 12:00 in Seattle.
This module ships hourly *shapes* (24 multipliers of the daily mean, in
local time) for each kind of workload and for the electricity price of
each U.S. market region, and places them in every node's own time zone,
found from its coordinates with a time-zone library (``timezonefinder``,
the IANA database through ``zoneinfo``: daylight saving time included),
to write the per-period lists of docs/model.md section 9::

    G.graph["periods"] = day_periods("2026-07-01")       # 24 hours, UTC
    apply_demand_shapes(G)        # node demand: {workload: [24 values]}
    apply_cost_shapes(G, region={"SEA": "NW", ...}, energy_share={"SEA": 0.04, ...})

Where the shapes come from (docs/day-ahead.md has the plots):

* **Demand** (``DEMAND_SHAPES``).  Engineering estimates, not measurements
  of any one service: no provider publishes an hourly request curve.  They
  follow the shape that public diurnal Internet traffic shows everywhere
  (weekday traffic at large Internet exchanges: a trough around 04:00-05:00
  local at roughly a third of the evening peak) and the working day for
  work tools.  ``chat`` mixes both (office questions, evening personal use:
  broad 10:00-22:00 plateau, peak mid-afternoon); ``code`` is office hours
  (trough ~0.1 of the peak at night, a lunch dip); ``image`` is consumer use
  (evening peak 19:00-22:00); ``batch`` is when jobs are *submitted* (the
  working day, flatter: pipelines run around the clock too).
* **Electricity** (``PRICE_SHAPES``).  Typical summer weekday day-ahead
  wholesale price shapes of the U.S. market regions, as multipliers of the
  daily mean in local prevailing time: CAISO's "duck" (solar floods the
  midday market, the evening ramp peaks at 19:00-20:00), ERCOT's late
  afternoon scarcity peak, the PJM/MISO/SPP afternoon peak over a windy
  night, the hydro Northwest's flat curve.  Recalled from the regions'
  published price records, not downloaded (this was built offline): their
  timing and rough amplitude are right, the exact values are estimates.
  A site's cost per reference token is mostly hardware (the energy part is
  a few per cent for a GPU site, datasets/README.md), so only the energy
  share of its cost follows the shape.

Every shape has 24 values (hour 0 = 00:00-01:00 local) and mean 1, so a
scalar demand or cost stays the daily mean.
"""

from __future__ import annotations

import datetime as _dt
import functools
from zoneinfo import ZoneInfo

import numpy as np

from .periods import has_periods, period_hours, period_labels

__all__ = ["DEMAND_SHAPES", "PRICE_SHAPES", "day_periods", "period_starts", "node_timezone",
           "local_hours", "shape_at", "apply_demand_shapes", "apply_cost_shapes"]


def _mean_one(values):
    values = np.asarray(values, dtype=float)
    return tuple(float(v) for v in values / values.mean())


#: Hourly demand per kind of workload, local time, mean 1 (see the module notes).
DEMAND_SHAPES = {
    "chat": _mean_one([0.35, 0.25, 0.18, 0.15, 0.15, 0.2, 0.35, 0.6, 0.9, 1.2, 1.4, 1.5,
                       1.5, 1.6, 1.65, 1.6, 1.5, 1.4, 1.35, 1.4, 1.45, 1.35, 1.0, 0.6]),
    "code": _mean_one([0.1, 0.07, 0.05, 0.05, 0.05, 0.08, 0.2, 0.5, 1.2, 1.9, 2.1, 2.0,
                       1.5, 1.9, 2.1, 2.0, 1.8, 1.4, 0.9, 0.7, 0.6, 0.5, 0.35, 0.2]),
    "batch": _mean_one([0.6, 0.55, 0.5, 0.5, 0.5, 0.55, 0.7, 0.9, 1.2, 1.4, 1.5, 1.5,
                        1.4, 1.5, 1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.65]),
    "image": _mean_one([0.6, 0.4, 0.25, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.85, 0.95, 1.0,
                        1.05, 1.1, 1.1, 1.1, 1.15, 1.3, 1.5, 1.75, 1.85, 1.8, 1.5, 1.0]),
}

#: Hourly day-ahead electricity price per U.S. market region, local time, mean 1.
PRICE_SHAPES = {
    # California: solar depresses the midday price; the evening ramp peaks.
    "CAISO": _mean_one([0.95, 0.9, 0.88, 0.87, 0.9, 0.95, 0.95, 0.75, 0.55, 0.45, 0.4, 0.38,
                        0.38, 0.4, 0.48, 0.65, 0.95, 1.45, 2.1, 2.3, 1.9, 1.45, 1.2, 1.05]),
    # Texas, summer: cheap windy nights, scarcity in the late afternoon.
    "ERCOT": _mean_one([0.7, 0.65, 0.62, 0.6, 0.62, 0.68, 0.75, 0.8, 0.82, 0.85, 0.9, 0.98,
                        1.08, 1.2, 1.4, 1.7, 2.0, 2.1, 1.8, 1.4, 1.1, 0.95, 0.85, 0.78]),
    # Mid-Atlantic and Ohio valley: an afternoon peak over a quiet night.
    "PJM": _mean_one([0.72, 0.66, 0.63, 0.62, 0.65, 0.72, 0.85, 0.95, 1.0, 1.05, 1.1, 1.15,
                      1.2, 1.28, 1.35, 1.45, 1.55, 1.6, 1.45, 1.25, 1.1, 0.95, 0.85, 0.78]),
    # Midwest: as PJM, with more wind at night.
    "MISO": _mean_one([0.68, 0.62, 0.6, 0.59, 0.62, 0.7, 0.82, 0.92, 0.98, 1.03, 1.1, 1.16,
                       1.22, 1.3, 1.38, 1.48, 1.58, 1.6, 1.45, 1.25, 1.08, 0.92, 0.8, 0.72]),
    # Great Plains: the windiest nights, a strong afternoon peak.
    "SPP": _mean_one([0.55, 0.5, 0.48, 0.47, 0.5, 0.58, 0.72, 0.82, 0.9, 0.98, 1.08, 1.18,
                      1.3, 1.42, 1.55, 1.68, 1.78, 1.75, 1.55, 1.3, 1.05, 0.85, 0.7, 0.6]),
    # Desert Southwest (Nevada, Arizona): solar at noon, air conditioning at dusk.
    "SW": _mean_one([0.85, 0.8, 0.78, 0.78, 0.8, 0.85, 0.88, 0.75, 0.62, 0.55, 0.52, 0.52,
                     0.55, 0.62, 0.75, 0.95, 1.25, 1.7, 2.0, 1.95, 1.6, 1.3, 1.05, 0.92]),
    # Rocky Mountains (Utah, Colorado): a milder evening peak.
    "ROCKIES": _mean_one([0.82, 0.78, 0.76, 0.76, 0.78, 0.84, 0.92, 0.9, 0.85, 0.82, 0.82, 0.85,
                          0.9, 0.98, 1.08, 1.2, 1.38, 1.55, 1.6, 1.45, 1.25, 1.08, 0.95, 0.87]),
    # Pacific Northwest: hydro keeps the day flat.
    "NW": _mean_one([0.9, 0.88, 0.87, 0.87, 0.88, 0.92, 0.97, 1.0, 1.0, 0.98, 0.97, 0.98,
                     1.0, 1.02, 1.05, 1.08, 1.12, 1.15, 1.16, 1.12, 1.06, 1.0, 0.95, 0.92]),
    # Southeast (Georgia): a hot afternoon.
    "SE": _mean_one([0.72, 0.67, 0.64, 0.63, 0.65, 0.72, 0.84, 0.92, 0.96, 1.0, 1.06, 1.14,
                     1.24, 1.36, 1.48, 1.58, 1.62, 1.56, 1.38, 1.2, 1.05, 0.92, 0.82, 0.76]),
}


def day_periods(date, hours=24, period_hours=1.0) -> list:
    """Period labels of a day in UTC: ISO-8601 start times, e.g. ``"2026-07-01T00:00Z"``.

    Examples
    --------
    >>> day_periods("2026-07-01", hours=3)
    ['2026-07-01T00:00Z', '2026-07-01T01:00Z', '2026-07-01T02:00Z']
    """
    start = _dt.datetime.fromisoformat(str(date)).replace(tzinfo=_dt.timezone.utc)
    count = int(round(hours / period_hours))
    return [(start + _dt.timedelta(hours=k * period_hours)).strftime("%Y-%m-%dT%H:%MZ")
            for k in range(count)]


def period_starts(G) -> list:
    """The periods' start times as aware UTC datetimes (their labels must be ISO-8601)."""
    starts = []
    for label in period_labels(G):
        try:
            when = _dt.datetime.fromisoformat(str(label).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"period label {label!r} is not an ISO-8601 time: placing shapes in "
                             "local time needs each period's UTC start, e.g. "
                             "'2026-07-01T13:00Z'") from None
        starts.append(when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc))
    return starts


@functools.lru_cache(maxsize=1)
def _finder():
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def node_timezone(lon, lat) -> str:
    """The IANA time zone at WGS84 ``lon``, ``lat``.

    Off every land zone (a node at sea) the nautical zone of its longitude
    is used, ``Etc/GMT+n``, as ships keep time.

    Examples
    --------
    >>> node_timezone(-122.33, 47.61), node_timezone(-112.07, 33.45)
    ('America/Los_Angeles', 'America/Phoenix')
    """
    zone = _finder().timezone_at(lng=float(lon), lat=float(lat))
    if zone is None:
        offset = int(round(-float(lon) / 15.0))
        zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{offset:+d}"
    return zone


def local_hours(starts, zone, hours=1.0) -> np.ndarray:
    """Local clock time (hours, 0..24) at the middle of each period starting at ``starts`` (UTC).

    Examples
    --------
    >>> import datetime as dt
    >>> start = dt.datetime(2026, 7, 1, 19, 0, tzinfo=dt.timezone.utc)
    >>> float(local_hours([start], "America/New_York")[0])    # 15:00-16:00 EDT
    15.5
    """
    tz = ZoneInfo(zone)
    middle = _dt.timedelta(hours=hours / 2)
    out = []
    for start in starts:
        local = (start + middle).astimezone(tz)
        out.append(local.hour + local.minute / 60 + local.second / 3600)
    return np.asarray(out)


def shape_at(shape, hour) -> np.ndarray:
    """An hourly shape at local clock times ``hour``: hour h's value at h:30, linear between.

    Examples
    --------
    >>> shape_at([1.0, 3.0] * 12, [0.5, 1.0, 1.5])
    array([1., 2., 3.])
    """
    shape = np.asarray(shape, dtype=float)
    centres = np.arange(len(shape)) + 0.5
    return np.interp(np.asarray(hour, dtype=float) % 24.0, centres, shape, period=24.0)


def _local_clock(G, nodes, timezones):
    """``(node, zone, local hours of each period)`` for ``nodes`` of ``G``."""
    if not has_periods(G):
        raise ValueError("the network declares no periods: set G.graph['periods'] first, "
                         "e.g. netprice.diurnal.day_periods('2026-07-01')")
    starts, hours = period_starts(G), period_hours(G)
    for n in nodes:
        data = G.nodes[n]
        zone = (timezones or {}).get(n) or node_timezone(data["lon"], data["lat"])
        yield n, zone, local_hours(starts, zone, hours)


def _mean(value):
    return float(np.mean(value)) if isinstance(value, (list, tuple)) else float(value)


def apply_demand_shapes(G, shapes=None, *, kinds=None, timezones=None) -> dict:
    """Write each node's demand as one value per period, following the sun.

    The node's demand for a workload (a number: its daily mean) becomes
    ``mean x shape(local time)`` for every period, the shape placed in the
    node's own time zone.

    Parameters
    ----------
    G : networkx.DiGraph
        With ``G.graph["periods"]`` (ISO-8601 UTC labels); changed in place.
    shapes : dict, optional
        ``{kind: 24 multipliers}`` (default :data:`DEMAND_SHAPES`).
    kinds : dict, optional
        ``{workload: kind}`` (default: a workload's own name; a workload
        with no shape keeps its demand flat).
    timezones : dict, optional
        ``{node: IANA zone}`` to use instead of the coordinates' zone.

    Returns
    -------
    dict
        ``{node: zone}`` of the nodes with demand.

    Examples
    --------
    >>> import netprice as npx
    >>> G = npx.empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8}})
    >>> G.graph["periods"] = day_periods("2026-07-01")
    >>> npx.add_site(G, "NYC", -74.0, 40.7, demand={"chat": 1e6})
    >>> npx.add_site(G, "SEA", -122.3, 47.6, demand={"chat": 1e6})
    >>> zones = apply_demand_shapes(G)
    >>> peak = {n: G.graph["periods"][int(np.argmax(G.nodes[n]["demand"]["chat"]))] for n in G}
    >>> zones["SEA"], peak                                   # 14:00 local, 3 h apart
    ('America/Los_Angeles', {'NYC': '2026-07-01T18:00Z', 'SEA': '2026-07-01T21:00Z'})
    """
    shapes = DEMAND_SHAPES if shapes is None else shapes
    zones = {}
    for n, zone, local in _local_clock(G, [n for n, d in G.nodes(data=True) if d.get("demand")],
                                       timezones):
        zones[n] = zone
        out = {}
        for w, value in G.nodes[n]["demand"].items():
            kind = (kinds or {}).get(w, w)
            factor = shape_at(shapes[kind], local) if kind in shapes else np.ones(len(local))
            out[w] = [float(v) for v in _mean(value) * factor]
        G.nodes[n]["demand"] = out
    return zones


def apply_cost_shapes(G, region, energy_share, shapes=None, *, timezones=None) -> dict:
    """Write each site's cost as one value per period: its energy part follows the hourly price.

    ``cost(t) = mean cost x (1 - e + e x shape(local time))`` with ``e`` the
    site's energy share of its cost.

    Parameters
    ----------
    region : dict
        ``{node: market region}``, a key of ``shapes`` (default
        :data:`PRICE_SHAPES`); sites not listed keep a flat cost.
    energy_share : dict or float
        ``{node: share}`` of the cost that is electricity, 0..1.

    Returns
    -------
    dict
        ``{node: zone}`` of the sites whose cost now varies.
    """
    shapes = PRICE_SHAPES if shapes is None else shapes
    zones = {}
    for n, zone, local in _local_clock(G, list(region), timezones):
        cost = G.nodes[n].get("cost")
        if cost is None or isinstance(cost, dict):
            raise ValueError(f"node {n!r}: an hourly cost needs one cost per reference token "
                             "(a number), not per workload")
        share = energy_share if isinstance(energy_share, (int, float)) else energy_share[n]
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"node {n!r}: energy share must be between 0 and 1, got {share}")
        zones[n] = zone
        factor = 1.0 - share + share * shape_at(shapes[region[n]], local)
        G.nodes[n]["cost"] = [float(v) for v in _mean(cost) * factor]
    return zones
