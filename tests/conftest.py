"""Fixtures shared by the test files: the shipped cases and the hand-sized networks.

``us5`` and ``us20`` are read once per session (reading and validating a
file costs more than most tests here) and handed to each test as its own
deep copy, so a test may edit its network without leaking into the next
one.  Module- and session-scoped fixtures take ``us5_shared`` instead,
which nothing may edit.

``two_node`` and ``three_node`` are factories (call them, with keywords
to vary the case): markets small enough that their prices are known by
hand, which several files build with a few numbers changed.
"""

import copy

import pytest

import netprice as npx


@pytest.fixture(scope="session")
def us5_shared():
    """``datasets/us5.geojson``, read once for the session: never edit it."""
    return npx.read_geojson(npx.dataset_path("us5"))


@pytest.fixture(scope="session")
def us20_shared():
    """``datasets/us20.geojson``, read once for the session: never edit it."""
    return npx.read_geojson(npx.dataset_path("us20"))


@pytest.fixture
def us5(us5_shared):
    """This test's own copy of us5 (five sites, seven links, four workloads)."""
    return copy.deepcopy(us5_shared)


@pytest.fixture
def us20(us20_shared):
    """This test's own copy of us20 (twenty metros, fourteen compute sites)."""
    return copy.deepcopy(us20_shared)


def _two_node(bandwidth_gbps=0.008, *, workloads=None, token_bytes=4, demand_a=None,
              demand_b=None, cost_per_gb=0.0):
    """Cheap site A (10 $/Mtok), dear site B (50 $/Mtok), demand at B, one link A-B.

    With the defaults the link binds in both modes: baseline counts 4 bytes
    a token, transfer 8, so 0.008 Gbit/s carries 250,000 tokens/s in
    baseline and 125,000 in transfer, both short of the 500,000 tokens/s
    demanded.  Prices 10 and 50, a rent worth 40 $/Mtok on B->A.
    """
    G = npx.empty_network(workloads or {"chat": {"latency_ms": 50, "bytes_per_token": 8}},
                          token_bytes=token_bytes)
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0, demand=demand_a)
    npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0,
                 demand=demand_b or {"chat": 5e5})
    npx.add_link(G, "A", "B", bandwidth_gbps=bandwidth_gbps, cost_per_gb=cost_per_gb)
    return G


def _three_node(chat_limit_ms):
    """Origin O; cheap site FAR (10 $/Mtok, 40 ms away); dear site NEAR (30 $/Mtok, 5 ms).

    Within the limit FAR serves O at 10 + 0.5 transport; below 40 ms NEAR
    does, at 30 + 0.2.
    """
    G = npx.empty_network({"chat": {"latency_ms": chat_limit_ms, "bytes_per_token": 1000}})
    npx.add_site(G, "O", -90.0, 40.0, demand={"chat": 1e5})
    npx.add_site(G, "FAR", -120.0, 40.0, capacity=1e6, cost=10.0)
    npx.add_site(G, "NEAR", -89.0, 40.0, capacity=1e6, cost=30.0)
    npx.add_link(G, "O", "FAR", bandwidth_gbps=100.0, latency_ms=40.0, cost_per_gb=0.5)
    npx.add_link(G, "O", "NEAR", bandwidth_gbps=100.0, latency_ms=5.0, cost_per_gb=0.2)
    return G


@pytest.fixture
def two_node():
    """Factory of the two-node case: ``two_node()``, ``two_node(bandwidth_gbps=100.0)`` ..."""
    return _two_node


@pytest.fixture
def three_node():
    """Factory of the three-node latency case: ``three_node(chat_limit_ms)``."""
    return _three_node
