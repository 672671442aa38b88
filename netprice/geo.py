"""Geodesic lengths and the latency they imply.

Latency of a fibre link is derived, when the data gives none, as the
geodesic (WGS84 ellipsoid) length of its geometry times a route factor,
divided by the speed of light in fibre.  The defaults are documented in
``docs/format.md``:

* ``FIBRE_SPEED_KM_PER_MS`` -- light in single-mode fibre (group index
  about 1.468 at 1550 nm) covers 204.2 km per millisecond.
* ``DEFAULT_ROUTE_FACTOR`` -- fibre follows roads, rails and rights of way,
  not great circles; measured U.S. long-haul routes are typically 1.2-1.6
  times the great-circle distance.  1.4 is used unless the file says
  otherwise.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Geod

__all__ = [
    "FIBRE_SPEED_KM_PER_MS",
    "DEFAULT_ROUTE_FACTOR",
    "geodesic_length_km",
    "fibre_latency_ms",
]

SPEED_OF_LIGHT_KM_PER_MS = 299.792458
FIBRE_GROUP_INDEX = 1.468
FIBRE_SPEED_KM_PER_MS = SPEED_OF_LIGHT_KM_PER_MS / FIBRE_GROUP_INDEX
DEFAULT_ROUTE_FACTOR = 1.4


@lru_cache(maxsize=1)
def _wgs84() -> Geod:
    return Geod(ellps="WGS84")


def geodesic_length_km(coords) -> float:
    """Length of a lon/lat polyline on the WGS84 ellipsoid, in km.

    Parameters
    ----------
    coords : sequence of (lon, lat)
        At least two points, in degrees.

    Examples
    --------
    >>> round(geodesic_length_km([(-122.33, 47.61), (-74.01, 40.71)]))
    3875
    """
    arr = np.asarray(coords, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise ValueError("a polyline needs at least two (lon, lat) points")
    return float(_wgs84().line_length(arr[:, 0], arr[:, 1])) / 1000.0


def fibre_latency_ms(length_km: float, route_factor: float = DEFAULT_ROUTE_FACTOR) -> float:
    """One-way propagation latency of a fibre route, in ms.

    Examples
    --------
    >>> round(fibre_latency_ms(1000.0, route_factor=1.0), 3)
    4.897
    """
    return length_km * route_factor / FIBRE_SPEED_KM_PER_MS
