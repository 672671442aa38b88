"""netprice against PyPSA's linear optimal power flow (docs/model.md section 3).

"When no latency limit binds, either formulation equals the classic
transport model: a single-workload instance must give the same objective
and nodal prices as PyPSA's linear optimal power flow with each link
modelled as a controllable Link (service flows opposite to tokens)."

Each seed builds a random single-workload U.S. network (6-15 nodes,
connected, every node with demand, a few compute sites, bandwidths tight
enough that some links carry a congestion rent) and clears it in netprice
twice -- with no latency limit (arc-flow transport model) and with a limit
above the latency of every simple path (complete route enumeration) --
and once in PyPSA through :func:`netprice.compare.to_pypsa`.  Objective,
every nodal price and every link rent must agree to 1e-6 relative.

Every node has positive demand: at a zero-demand node the price is not
unique (any value up to the cheapest delivered cost is a valid dual), and
netprice reports the canonical one while HiGHS may return another.
"""

from __future__ import annotations

import functools
import logging
import math

import numpy as np
import pytest

pypsa = pytest.importorskip(
    "pypsa", reason="the PyPSA cross-check needs pypsa and highspy: pip install 'netprice[test]'")
pytest.importorskip("highspy", reason="the PyPSA cross-check solves with HiGHS: pip install highspy")

import netprice as npx  # noqa: E402
from netprice.compare import pypsa_prices, pypsa_rents, to_pypsa  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

#: Relative tolerance on objective, prices and rents (the solvers' own is ~1e-9).
RTOL = 1e-6
#: Instances (seeds); each is cleared twice by netprice and once by PyPSA.
SEEDS = range(10)
#: Continental U.S. bounding box, lon/lat degrees.
LON, LAT = (-122.0, -72.0), (27.0, 48.0)
WORKLOAD = "chat"


# -- instances ------------------------------------------------------------------

def _draw_network(rng, latency_ms=None):
    """One random single-workload network; may be infeasible or uncongested."""
    n_nodes = int(rng.integers(6, 16))
    lon = rng.uniform(*LON, n_nodes)
    lat = rng.uniform(*LAT, n_nodes)
    nodes = [f"n{i:02d}" for i in range(n_nodes)]
    bytes_per_token = float(rng.uniform(500.0, 5000.0))
    intensity = float(rng.uniform(0.5, 3.0))
    G = npx.empty_network({WORKLOAD: {"latency_ms": latency_ms,
                                      "bytes_per_token": bytes_per_token,
                                      "compute_intensity": intensity}},
                          token_bytes=float(rng.uniform(2.0, 2000.0)))

    demand = rng.uniform(2e4, 2e5, n_nodes)       # tokens/s, positive everywhere
    n_sites = int(rng.integers(2, max(3, n_nodes // 2) + 1))
    sites = rng.choice(n_nodes, size=n_sites, replace=False)
    capacity = np.zeros(n_nodes)
    # Reference tokens/s: 1.2-2x what the demand needs, split unevenly so some sites fill.
    capacity[sites] = (rng.dirichlet(np.full(n_sites, 1.5)) * demand.sum() * intensity
                       * rng.uniform(1.2, 2.0))
    cost = rng.uniform(2.0, 30.0, n_nodes)         # $/Mtok per reference token
    for i, node in enumerate(nodes):
        kwargs = {"capacity": capacity[i], "cost": cost[i]} if capacity[i] > 0 else {}
        npx.add_site(G, node, lon[i], lat[i], demand={WORKLOAD: demand[i]}, **kwargs)

    # A spanning tree (each node to a near earlier one) plus a few chords: connected,
    # and sparse enough that every simple path can be enumerated for the route variant.
    xy = np.c_[lon * math.cos(math.radians(38.0)), lat]
    edges = set()
    for i in range(1, n_nodes):
        dist = np.hypot(*(xy[:i] - xy[i]).T)
        j = int(rng.choice(np.argsort(dist)[:2]))
        edges.add((j, i))
    for _ in range(int(rng.integers(1, 5))):
        i, j = sorted(rng.choice(n_nodes, size=2, replace=False))
        edges.add((int(i), int(j)))
    # Bandwidth in Gbit/s, a random share of what all demand would need on one link.
    # Half the links differ by direction (two directed arcs), so a Link pointing the
    # wrong way in PyPSA changes the answer.
    total_gbps = demand.sum() * bytes_per_token * 8e-9
    for i, j in sorted(edges):
        ends = [(nodes[i], nodes[j]), (nodes[j], nodes[i])]
        directed = bool(rng.random() < 0.5)
        for a, b in ends[:2 if directed else 1]:
            npx.add_link(G, a, b, directed=directed,
                         bandwidth_gbps=float(total_gbps * rng.uniform(0.03, 0.5)),
                         cost_per_gb=float(rng.uniform(0.2, 3.0)))
    return G


@functools.lru_cache(maxsize=None)
def instance(seed):
    """The network of ``seed`` (no latency limit) and its netprice clearing.

    Draws until the market is feasible, has a link with a positive rent and a
    slack link; deterministic in the seed.
    """
    rng = np.random.default_rng(seed)
    for _ in range(200):
        G = _draw_network(rng)
        try:
            res = npx.clear_market(G, mode="transfer")
        except npx.InfeasibleMarket:
            continue
        rent = res.links["rent"]
        if (rent > 1e-6 * rent.max()).any() and (~res.links["saturated"]).any():
            return G, res
    raise AssertionError(f"seed {seed}: no congested feasible instance in 200 draws")


def with_loose_limit(G):
    """A copy of G whose latency limit exceeds every simple path's latency."""
    H = G.copy()
    total = sum(d["latency_ms"] for _, _, d in G.edges(data=True))  # both directions
    H.graph["workloads"] = {WORKLOAD: {**G.graph["workloads"][WORKLOAD],
                                       "latency_ms": float(total) + 1.0}}
    return H


@functools.lru_cache(maxsize=None)
def solved_pypsa(seed):
    G, _ = instance(seed)
    n = to_pypsa(G, mode="transfer")
    try:  # PyPSA >= 0.35 may look for a newer release online; there is no need to here
        pypsa.options.general.allow_network_requests = False
    except AttributeError:
        pass
    logging.getLogger("pypsa").setLevel(logging.WARNING)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    status, condition = n.optimize(solver_name="highs", log_to_console=False)
    assert (status, condition) == ("ok", "optimal"), (status, condition)
    return n


# -- the cross-check ------------------------------------------------------------

def _relative(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("limit", ["none", "loose"])
def test_single_workload_equals_pypsa_lopf(seed, limit):
    G, res = instance(seed)
    if limit == "loose":
        H = with_loose_limit(G)
        res = npx.clear_market(H, mode="transfer", max_routes_per_pair=100_000)
        assert res.truncated_routes == []
        assert res.stats["routes"] > 0
    n = solved_pypsa(seed)

    assert res.objective == pytest.approx(n.objective, rel=RTOL, abs=0.0)

    ours = res.prices.xs(WORKLOAD, level="workload")["price"]
    theirs = pypsa_prices(n).reindex([str(v) for v in ours.index])
    assert not theirs.isna().any()
    worst = _relative(ours.to_numpy(), theirs.to_numpy())
    assert worst.max() <= RTOL, (
        f"prices differ at {ours.index[worst.argmax()]}: netprice {ours.iloc[worst.argmax()]!r}, "
        f"PyPSA {theirs.iloc[worst.argmax()]!r}")

    # Congestion rents: $/h per Gbit/s, relative to the largest rent.
    rent = res.links["rent"]
    their_rent = pypsa_rents(n).reindex(rent.index)
    assert not their_rent.isna().any()
    scale = max(float(rent.abs().max()), 1.0)
    assert np.max(np.abs(rent.to_numpy() - their_rent.to_numpy())) <= RTOL * scale


def test_instances_are_congested_and_varied():
    """The seeds cover what the check is for: binding links and network sizes."""
    sizes, congested = set(), 0
    for seed in SEEDS:
        G, res = instance(seed)
        sizes.add(G.number_of_nodes())
        congested += int((res.links["rent"] > 0).sum() > 0)
        assert all(d["demand"][WORKLOAD] > 0 for _, d in G.nodes(data=True))
    assert congested == len(SEEDS)
    assert len(sizes) >= 4


@pytest.mark.parametrize("mode", ["transfer", "baseline"])
def test_two_sites_one_congested_link(mode, two_node):
    """By hand: the link from cheap A to expensive B fills; B's price is its own cost."""
    G = two_node(0.016, workloads={WORKLOAD: {"bytes_per_token": 8.0}}, token_bytes=5.0,
                 demand_a={WORKLOAD: 1e5}, demand_b={WORKLOAD: 5e5}, cost_per_gb=100.0)
    res = npx.clear_market(G, mode=mode)
    n = to_pypsa(G, mode=mode)
    n.optimize(solver_name="highs", log_to_console=False)
    # 0.016 Gbit/s carries 2.5e5 tokens/s of 8 bytes (transfer) or 4e5 of 5 (baseline),
    # each paying 100 $/GB x bytes: 0.8 or 0.5 $/Mtok on top of A's 10 $/Mtok.
    tokens_on_link, transport = (2.5e5, 0.8) if mode == "transfer" else (4e5, 0.5)
    expected_cost = 3600e-6 * (6e5 * 10.0 + tokens_on_link * transport
                               + (5e5 - tokens_on_link) * 40.0)
    assert res.objective == pytest.approx(expected_cost, rel=1e-12)
    assert n.objective == pytest.approx(expected_cost, rel=1e-9)
    prices = pypsa_prices(n)
    assert prices.to_dict() == pytest.approx({"A": 10.0, "B": 50.0}, rel=1e-9)
    assert res.prices["price"].to_dict() == pytest.approx(
        {("A", WORKLOAD): 10.0, ("B", WORKLOAD): 50.0}, rel=1e-12)
    # Rent: 50 - 10.x $/Mtok on every token the link carries, per Gbit/s of it.
    rent = (50.0 - 10.0 - transport) * tokens_on_link * 3600e-6 / 0.016
    assert pypsa_rents(n)[("B", "A")] == pytest.approx(rent, rel=1e-9)
    assert res.links.loc[("B", "A"), "rent"] == pytest.approx(rent, rel=1e-9)


# -- a two-sided market: offers as generators, bids as negative generators ----------------------

def two_sided(seed):
    """The network of ``seed`` with each site's capacity offered in three blocks (at 1, 1.4
    and 2 times its cost) and three bid blocks at every node (at 3, 1.5 and 0.6 times the
    dearest site cost), beside its fixed demand."""
    G, _ = instance(seed)
    H = G.copy()
    rng = np.random.default_rng(1000 + seed)
    top = max(d["cost"] for _, d in H.nodes(data=True) if d.get("capacity"))
    for node, data in H.nodes(data=True):
        H.nodes[node]["demand"] = dict(data["demand"])
        if data.get("capacity"):
            shares = rng.dirichlet(np.ones(3)) * data["capacity"]
            cost = H.nodes[node].pop("cost")
            H.nodes[node]["offers"] = [{"capacity": float(c), "price": cost * f}
                                       for c, f in zip(shares, (1.0, 1.4, 2.0))]
        quantity = data["demand"][WORKLOAD] * rng.uniform(0.2, 1.0, 3)
        H.nodes[node]["bids"] = {WORKLOAD: [{"tokens_per_s": float(q), "price": top * f}
                                            for q, f in zip(quantity, (3.0, 1.5, 0.6))]}
    return H


@functools.lru_cache(maxsize=None)
def solved_two_sided_pypsa(seed):
    n = to_pypsa(two_sided(seed), mode="transfer")
    status, condition = n.optimize(solver_name="highs", log_to_console=False)
    assert (status, condition) == ("ok", "optimal"), (status, condition)
    return n


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("limit", ["none", "loose"])
def test_offers_and_bids_equal_pypsa(seed, limit):
    G = two_sided(seed)
    res = npx.clear_market(with_loose_limit(G) if limit == "loose" else G, mode="transfer",
                           max_routes_per_pair=100_000)
    assert not res.truncated_routes
    n = solved_two_sided_pypsa(seed)

    # Both minimise cost minus the accepted bids' value.
    assert res.objective == pytest.approx(n.objective, rel=RTOL, abs=0.0)
    ours = res.prices.xs(WORKLOAD, level="workload")["price"]
    theirs = pypsa_prices(n).reindex([str(v) for v in ours.index])
    worst = _relative(ours.to_numpy(), theirs.to_numpy())
    assert worst.max() <= RTOL, (ours.index[worst.argmax()], ours.iloc[worst.argmax()],
                                 theirs.iloc[worst.argmax()])
    # Accepted quantities: PyPSA's negative generators are netprice's accepted bids.
    dispatch = n.generators_t.p.iloc[0]
    bids = res.bids.xs(WORKLOAD, level="workload")["accepted"]
    theirs = [-dispatch[f"{node} bid {k}"] * 1e6 for node, k in bids.index]
    scale = float(res.bids["tokens_per_s"].max())
    assert np.max(np.abs(bids.to_numpy() - np.asarray(theirs))) <= RTOL * scale


def test_two_sided_instances_bind_on_both_sides():
    """The seeds exercise what the check is for: bids partly accepted and rejected, offers
    partly sold, links congested."""
    partial_bids = partial_offers = congested = 0
    for seed in SEEDS:
        res = npx.clear_market(two_sided(seed))
        share = res.bids["share"]
        partial_bids += int(((share > 1e-6) & (share < 1 - 1e-6)).any() and (share < 1e-6).any())
        sold = res.offers["share"]
        partial_offers += int(((sold > 1e-6) & (sold < 1 - 1e-6)).any())
        congested += int((res.links["rent"] > 0).any())
    assert partial_bids >= 5 and partial_offers >= 5 and congested >= 5
