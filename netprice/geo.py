"""Geodesy: geodesic lengths and the latency they imply, and the sphere.

This module is the one place netprice measures the Earth.  Latency of a
fibre link is derived, when the data gives none, as the geodesic (WGS84
ellipsoid) length of its geometry times a route factor, divided by the
speed of light in fibre.  The defaults are documented in
``docs/format.md``:

* ``FIBRE_SPEED_KM_PER_MS`` -- light in single-mode fibre (group index
  about 1.468 at 1550 nm) covers 204.2 km per millisecond.
* ``DEFAULT_ROUTE_FACTOR`` -- fibre follows roads, rails and rights of way,
  not great circles; measured U.S. long-haul routes are typically 1.2-1.6
  times the great-circle distance.  1.4 is used unless the file says
  otherwise.

Two helpers work on a sphere of radius ``EARTH_RADIUS_KM`` instead of the
ellipsoid, where that is exact enough and cheaper or steadier:
:func:`great_circle_km` (the smooth interpolation of regional electricity
prices in :mod:`netprice.synth`, whose seeded outputs must not move) and
:func:`spherical_mean` (placing a node between its neighbours).
"""

from __future__ import annotations

from functools import lru_cache

import math

import numpy as np
from pyproj import Geod

__all__ = [
    "FIBRE_SPEED_KM_PER_MS",
    "DEFAULT_ROUTE_FACTOR",
    "LINK_END_TOLERANCE_KM",
    "geodesic_length_km",
    "geodesic_km",
    "fibre_latency_ms",
    "EARTH_RADIUS_KM",
    "great_circle_km",
    "spherical_mean",
]

SPEED_OF_LIGHT_KM_PER_MS = 299.792458
FIBRE_GROUP_INDEX = 1.468
FIBRE_SPEED_KM_PER_MS = SPEED_OF_LIGHT_KM_PER_MS / FIBRE_GROUP_INDEX
DEFAULT_ROUTE_FACTOR = 1.4
#: Mean radius of the Earth (IUGG), km: the sphere of great_circle_km.
EARTH_RADIUS_KM = 6371.0
#: How far the ends of a link's geometry may lie from its nodes, km.  A
#: link's latency is derived from its geometry, so a geometry that runs
#: elsewhere changes prices; 1 km (0.005 ms of fibre) absorbs coordinates
#: rounded to two decimals of a degree near the node, and nothing that is
#: a different place.
LINK_END_TOLERANCE_KM = 1.0


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


def geodesic_km(a, b) -> float:
    """Geodesic distance between two (lon, lat) points on the WGS84 ellipsoid, km.

    Examples
    --------
    >>> round(geodesic_km((179.5, 0.0), (-179.5, 0.0)), 1)  # the short way, across 180
    111.3
    """
    return float(_wgs84().inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


def fibre_latency_ms(length_km: float, route_factor: float = DEFAULT_ROUTE_FACTOR) -> float:
    """One-way propagation latency of a fibre route, in ms.

    Examples
    --------
    >>> round(fibre_latency_ms(1000.0, route_factor=1.0), 3)
    4.897
    """
    return length_km * route_factor / FIBRE_SPEED_KM_PER_MS


def great_circle_km(lon1, lat1, lon2, lat2):
    """Great-circle distance on the sphere of radius ``EARTH_RADIUS_KM``, km.

    The haversine formula, elementwise; the arguments (degrees) broadcast
    against each other.  Up to 0.5 % off the WGS84 geodesic: use
    :func:`geodesic_length_km` for the length of a link.

    Examples
    --------
    >>> round(float(great_circle_km(-122.33, 47.61, -74.01, 40.71)))
    3865
    >>> great_circle_km(0.0, 0.0, [0.0, 90.0], 0.0).round(1).tolist()
    [0.0, 10007.5]
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(x, dtype=float))
                              for x in (lon1, lat1, lon2, lat2))
    hav = (np.sin((lat2 - lat1) / 2) ** 2
           + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))


def spherical_mean(points):
    """Centre of (lon, lat) points on the sphere, rounded to 6 decimals (about 0.1 m).

    Right across the antimeridian too, where a plain mean of longitudes is
    not; for two antipodal points, which have no centre, the first point.

    Examples
    --------
    >>> spherical_mean([(179.0, 0.0), (-179.0, 0.0)])
    (180.0, 0.0)
    """
    lon = np.radians([p[0] for p in points])
    lat = np.radians([p[1] for p in points])
    xyz = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]).mean(axis=1)
    norm = float(np.linalg.norm(xyz))
    if norm < 1e-9:
        return points[0]
    x, y, z = xyz / norm
    return (round(math.degrees(math.atan2(y, x)), 6),
            round(math.degrees(math.asin(max(-1.0, min(1.0, z)))), 6))
