"""The route and latency-layered formulations give the same market (docs/model.md section 3)."""

import numpy as np
import pytest

import netprice as npx


def random_market(seed, n=9, quantum=1.0):
    """Whole-millisecond latencies, three workloads, binding links and latency limits."""
    rng = np.random.default_rng(seed)
    G = npx.empty_network({
        "chat": {"latency_ms": float(rng.integers(12, 25)), "bytes_per_token": 400},
        "code": {"latency_ms": float(rng.integers(20, 40)), "bytes_per_token": 150,
                 "compute_intensity": 1.5, "voll": 300.0},
        "batch": {"latency_ms": None, "bytes_per_token": 40},
    })
    for i in range(n):
        has_compute = rng.random() < 0.5
        npx.add_site(G, i, float(rng.uniform(-120, -75)), float(rng.uniform(30, 46)),
                     capacity=float(rng.uniform(1e5, 6e5)) if has_compute else 0.0,
                     cost=float(rng.uniform(5, 40)),
                     demand={w: float(rng.uniform(0, 1e5)) for w in ("chat", "code", "batch")},
                     proc_latency_ms={"chat": float(rng.integers(0, 3))})
    # A ring plus chords, with whole-quantum latencies.
    edges = {(i, (i + 1) % n) for i in range(n)}
    while len(edges) < n + 5:
        a, b = rng.choice(n, 2, replace=False)
        if (b, a) not in edges:
            edges.add((int(a), int(b)))
    for a, b in sorted(edges):
        npx.add_link(G, a, b, bandwidth_gbps=float(rng.uniform(0.05, 0.5)),
                     latency_ms=float(rng.integers(1, 9)) * quantum,
                     cost_per_gb=float(rng.uniform(0, 1)))
    # Enough compute in aggregate; voll on code keeps odd draws feasible.
    G.nodes[0]["capacity"] = 5e6
    G.nodes[0]["cost"] = 60.0
    return G


@pytest.mark.parametrize("seed", range(8))
def test_route_and_layered_agree(seed):
    G = random_market(seed)
    try:
        route = npx.clear_market(G, formulation="route", max_routes_per_pair=100_000)
    except npx.InfeasibleMarket:
        with pytest.raises(npx.InfeasibleMarket):
            npx.clear_market(G, formulation="layered", quantum_ms=1.0)
        return
    layered = npx.clear_market(G, formulation="layered", quantum_ms=1.0)
    assert route.truncated_routes == []
    assert layered.objective == pytest.approx(route.objective, rel=1e-9)
    np.testing.assert_allclose(layered.prices["price"].to_numpy(),
                               route.prices["price"].to_numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(layered.links["rent"].to_numpy(), route.links["rent"].to_numpy(),
                               rtol=1e-7, atol=1e-6)


def test_layered_quantum_is_conservative():
    """Rounding latencies up can only remove routes: cost never falls."""
    G = random_market(1)
    exact = npx.clear_market(G, formulation="layered", quantum_ms=1.0)
    coarse = None
    try:
        coarse = npx.clear_market(G, formulation="layered", quantum_ms=3.0)
    except npx.InfeasibleMarket:
        return
    assert coarse.objective >= exact.objective * (1 - 1e-12)


def test_layered_routes_respect_limits():
    G = random_market(2)
    res = npx.clear_market(G, formulation="layered", quantum_ms=1.0)
    limits = {w: s["latency_ms"] for w, s in G.graph["workloads"].items()}
    for row in res.routes.itertuples():
        if limits[row.workload] is not None:
            proc = G.nodes[row.node].get("proc_latency_ms", {})
            proc = proc.get(row.workload, 0.0) if isinstance(proc, dict) else proc
            assert row.latency_ms + proc <= limits[row.workload] + 1e-9
    served = res.routes.groupby(["origin", "workload"])["tokens_per_s"].sum()
    service = res.service
    for (o, w), amount in served.items():
        assert amount == pytest.approx(service.at[(o, w), "demand"] - service.at[(o, w), "unserved"],
                                       rel=1e-7, abs=1e-6)


def test_default_and_auto_are_the_exact_formulation():
    G = random_market(0, n=6)
    res = npx.clear_market(G)
    assert res.formulation == "exact" and res.stats["exact"] and res.stats["gap_bound"] == 0.0
    assert npx.clear_market(G, formulation="auto").formulation == "exact"


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("cap", [2, 1000])
def test_depth_first_search_and_yen_find_the_same_routes(seed, cap):
    from netprice.lp.data import compile_market
    from netprice.lp.routes import enumerate_routes

    data = compile_market(random_market(seed), "transfer")
    fast = enumerate_routes(data, max_routes_per_pair=cap)
    yen = enumerate_routes(data, max_routes_per_pair=cap, prefix_limit=0)

    def keyed(routes):
        return sorted((int(o), int(s), round(float(ms), 9))
                      for o, s, ms in zip(routes.origin, routes.site, routes.latency_ms))

    assert keyed(fast) == keyed(yen)
    assert sorted(fast.truncated) == sorted(yen.truncated)
    if cap == 1000:
        assert fast.truncated == []
