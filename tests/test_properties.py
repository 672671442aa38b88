"""Invariants of market clearing over random small networks (hypothesis).

Each test draws a network *spec* (plain data, so a failing example prints
readably) and builds it with :func:`build`.  Specs are feasible by
construction where a test needs it: every workload gets a value of lost
load, or capacity and latency limits are generous; where infeasibility is
part of the property (tightening a latency limit), an InfeasibleMarket
counts as an infinite cost.

The examples are derandomised (CI sees the same ones on every run) and
sized so the whole file runs in well under a minute.

The general specs keep every link's transport cost positive and the $/Mtok
costs within about eight orders of magnitude: the two known failures
outside that (LP scaling; zero-cost circulations) have their own strict
xfail tests at the end of the file, which turn into failures once fixed.
"""

import copy
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import netprice as npx
from netprice.lp.verify import TOLERANCES

BASE = settings(
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WORKLOADS = ("chat", "code", "batch")
MODES = st.sampled_from(["transfer", "baseline"])


# -- strategies --------------------------------------------------------------

def log_uniform(lo, hi):
    """Floats spread evenly over the orders of magnitude between lo and hi."""
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(f"{10.0 ** e:.6g}"))


@st.composite
def specs(draw, *, voll="always", n_nodes=(3, 8), n_workloads=(1, 3), demand=(1e2, 1e5),
          capacity=(1e3, 1e6), cost=(0.1, 100.0), cost_per_gb=(1e-3, 0.1),
          bandwidth=(1e-3, 100.0), bytes_per_token=(4.0, 5e3), voll_range=(100.0, 1000.0),
          latency=(5, 120), extra_links=3):
    """A random network as plain data: workloads, nodes, links."""
    w_count = draw(st.integers(*n_workloads))
    workloads = {}
    for name in WORKLOADS[:w_count]:
        spec = {
            "latency_ms": draw(st.one_of(st.none(), st.integers(*latency).map(float))),
            "bytes_per_token": draw(log_uniform(*bytes_per_token)),
            "compute_intensity": draw(st.sampled_from([0.5, 1.0, 1.0, 2.0, 4.0])),
        }
        if voll == "always" or (voll == "sometimes" and draw(st.booleans())):
            spec["voll"] = draw(log_uniform(*voll_range))
        workloads[name] = spec
    n = draw(st.integers(*n_nodes))
    nodes = []
    for i in range(n):
        has_compute = i == 0 or draw(st.integers(0, 2)) > 0
        if draw(st.integers(0, 3)) == 0:
            node_cost = {w: draw(log_uniform(*cost)) for w in workloads}
        else:
            node_cost = draw(log_uniform(*cost))
        nodes.append({
            "id": f"N{i}",
            "lon": -120.0 + 7.0 * i,
            "lat": 30.0 + 2.0 * (i % 5),
            "capacity": draw(log_uniform(*capacity)) if has_compute else 0.0,
            "cost": node_cost,
            "demand": {w: draw(st.one_of(st.just(0.0), log_uniform(*demand)))
                       for w in workloads},
            "proc_latency_ms": draw(st.sampled_from([0.0, 0.0, 1.0, 2.5])),
        })
    # A spanning tree, then a few extra links: connected, few simple paths.
    pairs = [(draw(st.integers(0, i - 1)), i) for i in range(1, n)]
    others = [(a, b) for a in range(n) for b in range(a + 1, n) if (a, b) not in pairs]
    if others and extra_links:
        pairs += draw(st.lists(st.sampled_from(others), max_size=extra_links, unique=True))
    links = [{
        "source": f"N{a}", "target": f"N{b}",
        "bandwidth_gbps": draw(log_uniform(*bandwidth)),
        "latency_ms": float(draw(st.integers(1, 25))),
        "cost_per_gb": draw(log_uniform(*cost_per_gb)),
    } for a, b in pairs]
    return {"workloads": workloads, "nodes": nodes, "links": links,
            "token_bytes": draw(st.sampled_from([2.0, 4.0, 8.0]))}


def build(spec, *, order=None):
    """The DiGraph of a spec; ``order`` permutes the insertion order of nodes."""
    G = npx.empty_network(copy.deepcopy(spec["workloads"]), token_bytes=spec["token_bytes"])
    nodes = spec["nodes"] if order is None else [spec["nodes"][i] for i in order]
    for node in nodes:
        npx.add_site(G, node["id"], node["lon"], node["lat"], capacity=node["capacity"],
                     cost=node["cost"], demand=node["demand"],
                     proc_latency_ms=node["proc_latency_ms"])
    links = spec["links"] if order is None else spec["links"][::-1]
    for link in links:
        npx.add_link(G, link["source"], link["target"], bandwidth_gbps=link["bandwidth_gbps"],
                     latency_ms=link["latency_ms"], cost_per_gb=link["cost_per_gb"])
    return G


def cost(G, mode):
    """Total cost in $/h, +inf for an infeasible market."""
    try:
        res = npx.clear_market(G, mode=mode)
    except npx.InfeasibleMarket:
        return math.inf, None
    assert not res.truncated_routes, "route cap reached: enlarge it or shrink the specs"
    return res.objective, res


def no_more_than(a, b, rel=1e-7):
    """a <= b up to round-off (inf-aware)."""
    if math.isinf(b):
        return True
    return a <= b + rel * max(1.0, abs(b))


def prices(res):
    return res.prices["price"].to_numpy()


# -- KKT, duality, decomposition ---------------------------------------------

@pytest.mark.slow
@settings(BASE, max_examples=100)
@given(spec=specs(), mode=MODES)
def test_prices_are_verified_and_duality_holds(spec, mode):
    res = npx.clear_market(build(spec), mode=mode)  # verifies: raises if a check fails
    assert res.status == "OPTIMAL"
    # The route certificate is checked where routes were generated; a market
    # whose LP lists every admissible route (or has none) needs none.
    generated = res.stats["exact_by"] == "column generation certificate"
    assert set(res.checks) == set(TOLERANCES) - (set() if generated else {"route certificate"})
    for name, (violation, tolerance) in res.checks.items():
        assert violation <= tolerance, name
    # Strong duality in user units: cost = payments - compute rents - congestion rents.
    s = res.settlement
    scale = max(1.0, abs(s["cost"]), abs(s["payments"]))
    assert abs(s["identity_gap"]) <= 1e-8 * scale, s
    # Price = its parts; rents and prices have the documented signs and bounds.
    table = res.prices
    parts = table[["processing", "scarcity", "transport", "congestion", "unserved"]].sum(axis=1)
    ok = table["price"].notna()
    np.testing.assert_allclose(parts[ok], table["price"][ok], rtol=1e-9, atol=1e-12)
    assert (table["price"][ok] >= 0).all()
    for w, wspec in spec["workloads"].items():
        # Demand can be shed at its value of lost load; a node without demand
        # has none to shed (docs/model.md section 8), so only the former is capped.
        rows = table.xs(w, level="workload")
        capped = rows[rows["demand"] > 0]["price"]
        assert (capped <= wspec["voll"] * (1 + 1e-12)).all()
    assert (res.links["rent"] >= 0).all() and (res.nodes["scarcity"] >= 0).all()
    # Complementary slackness in the tables: a rent only on a full link or site.
    top = 1e-7 * (1.0 + max(res.links["rent"].max(), res.nodes["scarcity"].max(), 0.0))
    assert (res.links.loc[res.links["rent"] > top, "utilisation"] >= 1 - 1e-6).all()
    assert (res.nodes.loc[res.nodes["scarcity"] > top, "utilisation"] >= 1 - 1e-6).all()


# -- monotonicity --------------------------------------------------------------

@settings(BASE, max_examples=60)
@given(spec=specs(voll="sometimes"), mode=MODES, data=st.data())
def test_more_bandwidth_never_raises_cost(spec, mode, data):
    G = build(spec)
    arcs = data.draw(st.lists(st.sampled_from(sorted(G.edges)), min_size=1, unique=True))
    factor = data.draw(st.floats(1.0, 100.0))
    H = copy.deepcopy(G)
    for a in arcs:
        H.edges[a]["bandwidth_gbps"] *= factor
    before, _ = cost(G, mode)
    after, _ = cost(H, mode)
    assert no_more_than(after, before), (before, after)


@settings(BASE, max_examples=60)
@given(spec=specs(voll="sometimes"), mode=MODES, data=st.data())
def test_more_compute_never_raises_cost(spec, mode, data):
    G = build(spec)
    sites = data.draw(st.lists(st.sampled_from(list(G.nodes)), min_size=1, unique=True))
    extra = data.draw(log_uniform(1.0, 1e6))
    H = copy.deepcopy(G)
    for n in sites:  # a node without compute becomes a site
        H.nodes[n]["capacity"] = H.nodes[n]["capacity"] * 2 + extra
    before, _ = cost(G, mode)
    after, _ = cost(H, mode)
    assert no_more_than(after, before), (before, after)


@settings(BASE, max_examples=60)
@given(spec=specs(voll="sometimes"), mode=MODES, data=st.data())
def test_tighter_latency_never_lowers_cost(spec, mode, data):
    G = build(spec)
    w = data.draw(st.sampled_from(sorted(spec["workloads"])))
    limit = spec["workloads"][w]["latency_ms"]
    tight = data.draw(st.floats(0.05, 1.0)) * (limit if limit is not None else 100.0)
    H = copy.deepcopy(G)
    H.graph["workloads"][w]["latency_ms"] = tight
    loose, _ = cost(G, mode)
    tightened, _ = cost(H, mode)  # inf when it makes the market infeasible
    assert no_more_than(loose, tightened), (loose, tightened)


# -- prices --------------------------------------------------------------------

@st.composite
def slack_uniform_specs(draw):
    """Nothing binds and every site costs the same: one price per workload."""
    spec = draw(specs(voll="never", extra_links=2))
    unit = draw(log_uniform(0.1, 100.0))
    total = sum(sum(n["demand"].values()) for n in spec["nodes"])
    for w in spec["workloads"].values():
        w["latency_ms"] = None if w["latency_ms"] is None else 10_000.0
    for node in spec["nodes"]:
        node["cost"] = unit
        node["proc_latency_ms"] = 0.0
        if node["capacity"]:
            node["capacity"] = 10 * 4.0 * total + 1.0  # intensity <= 4
    for link in spec["links"]:
        link["cost_per_gb"] = 0.0
        link["bandwidth_gbps"] = 10 * total * 8 * 5e3 * 8e-9 + 1.0  # bytes <= 5e3
    return spec, unit


@settings(BASE, max_examples=40)
@given(case=slack_uniform_specs(), mode=MODES)
def test_one_uniform_price_when_nothing_binds(case, mode):
    spec, unit = case
    res = npx.clear_market(build(spec), mode=mode)
    assert (res.links["rent"] == 0).all() and (res.nodes["scarcity"] == 0).all()
    for w, wspec in spec["workloads"].items():
        p = res.prices.xs(w, level="workload")["price"].to_numpy()
        np.testing.assert_allclose(p, unit * wspec["compute_intensity"], rtol=1e-12)


def scale_costs(spec, k):
    spec = copy.deepcopy(spec)
    for w in spec["workloads"].values():
        if w.get("voll") is not None:
            w["voll"] *= k
    for node in spec["nodes"]:
        node["cost"] = ({w: v * k for w, v in node["cost"].items()}
                        if isinstance(node["cost"], dict) else node["cost"] * k)
    for link in spec["links"]:
        link["cost_per_gb"] *= k
    return spec


@settings(BASE, max_examples=60)
@given(spec=specs(), mode=MODES, k=st.sampled_from([1e-3, 0.37, 2.0, 10.0, 123.0, 1e4]))
def test_scaling_every_cost_scales_every_price(spec, mode, k):
    a = npx.clear_market(build(spec), mode=mode)
    b = npx.clear_market(build(scale_costs(spec, k)), mode=mode)
    assert b.objective == pytest.approx(k * a.objective, rel=1e-9, abs=1e-12)
    top = k * max(1.0, np.nanmax(prices(a)))
    np.testing.assert_allclose(prices(b), k * prices(a), rtol=1e-7, atol=1e-9 * top)
    np.testing.assert_allclose(b.links["rent"], k * a.links["rent"], rtol=1e-7,
                               atol=1e-9 * k * max(1.0, a.links["rent"].max()))
    np.testing.assert_allclose(b.nodes["scarcity"], k * a.nodes["scarcity"], rtol=1e-7,
                               atol=1e-9 * top)


@settings(BASE, max_examples=25)
@given(spec=specs(voll="sometimes"), mode=MODES)
def test_zero_demand_costs_zero(spec, mode):
    for node in spec["nodes"]:
        node["demand"] = {w: 0.0 for w in node["demand"]}
    res = npx.clear_market(build(spec), mode=mode)
    assert res.objective == 0.0
    assert res.settlement["payments"] == 0.0 and res.settlement["identity_gap"] == 0.0
    assert (res.links["flow_gbps"] == 0).all() and len(res.routes) == 0


# -- labels, order, determinism -----------------------------------------------

@settings(BASE, max_examples=40)
@given(spec=specs(voll="sometimes"), mode=MODES, data=st.data())
def test_relabelling_nodes_changes_nothing(spec, mode, data):
    G = build(spec)
    labels = data.draw(st.permutations([f"site-{i}" for i in range(len(G))] + [7, 11, 13])
                       .map(lambda p: p[:len(G)]))
    mapping = dict(zip(G.nodes, labels))
    H = nx.relabel_nodes(G, mapping)
    a, _ = cost(G, mode)
    b, res_b = cost(H, mode)
    assert (a == b) or (math.isinf(a) and math.isinf(b))
    if res_b is None:
        return
    res_a = npx.clear_market(G, mode=mode)
    mapped = res_a.prices.rename(index=mapping, level="node")
    got = res_b.prices.loc[mapped.index]
    numeric = [c for c in mapped.columns if c != "serving_node"]
    np.testing.assert_array_equal(got[numeric].to_numpy(), mapped[numeric].to_numpy())
    assert ([mapping.get(n) if isinstance(n, str) else None for n in mapped["serving_node"]]
            == [n if isinstance(n, (str, int)) else None for n in got["serving_node"]])


@settings(BASE, max_examples=40)
@given(spec=specs(), mode=MODES, data=st.data())
def test_insertion_order_does_not_change_the_answer(spec, mode, data):
    order = data.draw(st.permutations(range(len(spec["nodes"]))))
    a = npx.clear_market(build(spec), mode=mode)
    b = npx.clear_market(build(spec, order=order), mode=mode)
    assert b.objective == pytest.approx(a.objective, rel=1e-9, abs=1e-12)
    pa = a.prices["price"]
    pb = b.prices["price"].loc[pa.index]
    top = max(1.0, np.nanmax(pa.to_numpy()))
    # Where tokens flow the price is the unique dual of a non-degenerate LP.
    served = a.prices["demand"] > 0
    np.testing.assert_allclose(pb[served], pa[served], rtol=1e-7, atol=1e-9 * top)


@settings(BASE, max_examples=30)
@given(spec=specs(voll="sometimes"), mode=MODES)
def test_same_input_gives_byte_identical_tables(spec, mode, tmp_path_factory):
    G = build(spec)
    try:
        a = npx.clear_market(G, mode=mode)
    except npx.InfeasibleMarket as err:
        with pytest.raises(npx.InfeasibleMarket) as again:
            npx.clear_market(copy.deepcopy(G), mode=mode)
        assert str(again.value) == str(err)
        return
    b = npx.clear_market(copy.deepcopy(G), mode=mode)
    path = tmp_path_factory.mktemp("roundtrip") / "net.geojson"
    npx.write_geojson(G, path)
    c = npx.clear_market(npx.read_geojson(path), mode=mode)
    for table in ("prices", "nodes", "links", "routes"):
        first = getattr(a, table).to_csv()
        assert getattr(b, table).to_csv() == first, table
        # A file lists links in its own order, so arcs may come back reordered.
        assert (getattr(c, table).sort_index().to_csv() == getattr(a, table).sort_index().to_csv()
                ), f"{table} after a GeoJSON round trip"
    assert a.objective == b.objective and a.settlement == b.settlement
    assert c.objective == pytest.approx(a.objective, rel=1e-12)


# -- numerical robustness --------------------------------------------------------

@st.composite
def nine_orders_specs(draw):
    """Every instance spans nine orders: 1e-3 next to 1e6 tokens/s, 1e-4 next to 1e3 $/Mtok."""
    spec = draw(specs(demand=(1e-3, 1e6), capacity=(1.0, 1e9), cost=(1e-4, 1e3),
                      cost_per_gb=(1e-2, 1e-1), bandwidth=(1e-6, 1e3),
                      bytes_per_token=(10.0, 1e4), voll_range=(1e-2, 1e3)))
    first, last = spec["nodes"][0], spec["nodes"][-1]
    if draw(st.booleans()):  # most demand tiny: the flow unit follows it down
        for node in spec["nodes"]:
            node["demand"] = {v: draw(log_uniform(1e-3, 1e-2)) if d else 0.0
                              for v, d in node["demand"].items()}
    w = draw(st.sampled_from(sorted(spec["workloads"])))
    first["demand"][w] = draw(log_uniform(1e-3, 3e-3))
    last["demand"][w] = draw(log_uniform(3e5, 1e6))
    first["capacity"] = draw(log_uniform(3e8, 1e9))
    last["capacity"] = 0.0  # the big demand travels
    first["cost"] = draw(log_uniform(1e-4, 3e-4))
    last["cost"] = draw(log_uniform(3e2, 1e3))
    spec["workloads"][w]["voll"] = 1e3
    return spec


# Wide-range inputs.  LP units were once powers of ten near the *median*
# demand and column cost; with most demands tiny and one huge (or most
# column costs tiny per-arc transport costs) the other end landed at
# 1e6-1e9 LP units, and its round-off (1.2e-7 to 1.5e-5) exceeded verify()'s
# tolerances.  Units at the middle of the log range fixed it
# (netprice/lp/scaling.py); these tests keep it fixed.


@settings(BASE, max_examples=40, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(spec=nine_orders_specs(), mode=MODES)
def test_nine_orders_of_magnitude_still_verify(spec, mode):
    res = npx.clear_market(build(spec), mode=mode)  # raises VerificationError if not
    for name, (violation, tolerance) in res.checks.items():
        assert violation <= tolerance, name
    s = res.settlement
    assert abs(s["identity_gap"]) <= 1e-8 * max(1.0, abs(s["cost"]), abs(s["payments"]))


def test_tiny_demand_beside_huge_capacity():
    """Demands of 1e-3 beside 1e6 tokens/s, capacity 1e9, costs 1e-4 beside 1e3 $/Mtok."""
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8},
                           "batch": {"bytes_per_token": 2000}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e9, cost=1e-4, demand={"chat": 1e-3})
    npx.add_site(G, "B", -95.0, 40.0, capacity=1e9, cost=1e3,
                 demand={"chat": 2e-3, "batch": 1e6})
    npx.add_site(G, "C", -90.0, 40.0, capacity=5e5, cost=3e-4, demand={"batch": 1e-3})
    npx.add_link(G, "A", "B", bandwidth_gbps=1e3, cost_per_gb=1e-5)
    npx.add_link(G, "B", "C", bandwidth_gbps=2.0, cost_per_gb=1e-5)
    for mode in ("baseline", "transfer"):
        res = npx.clear_market(G, mode=mode)
        p = res.prices["price"]
        assert p["A", "chat"] == pytest.approx(1e-4, rel=1e-9)
        assert p["B", "chat"] >= 1e-4


def test_tiny_transport_costs_do_not_set_the_cost_unit():
    """Per-arc transport costs of 2e-7 $/Mtok outnumber the processing costs.

    The median column cost is 2e-7, so cost_unit = 1e-7 and a 100 $/Mtok
    site costs 1e9 LP units: complementary slackness is off by one ulp
    (1.19e-7 > 1e-7).  The prices themselves are right (100 and 100.0000002).
    """
    G = npx.empty_network({"chat": {"bytes_per_token": 1.0, "compute_intensity": 0.5},
                           "code": {"bytes_per_token": 1.0, "compute_intensity": 0.5}},
                          token_bytes=2.0)
    npx.add_site(G, "N0", -120.0, 30.0, capacity=2001.0, cost={"chat": 1.0, "code": 100.0})
    npx.add_site(G, "N1", -113.0, 32.0)
    npx.add_site(G, "N2", -106.0, 34.0, demand={"code": 100.0})
    npx.add_link(G, "N0", "N1", bandwidth_gbps=1.0, latency_ms=1.0)
    npx.add_link(G, "N0", "N2", bandwidth_gbps=1.0, latency_ms=1.0, cost_per_gb=1e-4)
    res = npx.clear_market(G, mode="baseline")
    assert res.prices.loc[("N2", "code"), "price"] == pytest.approx(100.0000002, rel=1e-12)


# Zero-cost circulations: with no transport cost, tokens of a workload
# without a latency limit could go round a loop for free, and the simplex
# returned such loops at full link capacity (phantom traffic, phantom
# saturation, and once a verification failure).  netprice cancels them
# before anything reads the flows (netprice/lp/cycles.py).


def _no_transport_cost(bandwidths, capacity=1000.0, demand=None):
    G = npx.empty_network({"batch": {"bytes_per_token": 1.0}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=capacity, cost=1.0)
    for i, bandwidth in enumerate(bandwidths):
        node = "BC"[i]
        npx.add_site(G, node, -95.0 + 5 * i, 40.0,
                     demand=None if demand is None or i else {"batch": demand})
        npx.add_link(G, "A" if i == 0 else "B", node, bandwidth_gbps=bandwidth)
    return G


def test_links_carry_no_phantom_traffic():
    G = _no_transport_cost([1.0, 1.0], capacity=1e6, demand=1000.0)
    res = npx.clear_market(G)
    flow = res.links["flow_gbps"]
    # 1000 tokens/s of 1 byte from B to the site at A: 8e-6 Gbit/s, nothing else.
    assert flow["B", "A"] == pytest.approx(8e-6, rel=1e-9)
    assert flow.drop(("B", "A")).abs().max() <= 1e-12, res.links
    assert not res.links["saturated"].any()


def test_zero_demand_without_transport_cost_clears():
    G = _no_transport_cost([100.0, 56.2341], capacity=1.0)
    G.remove_edges_from([("B", "C"), ("C", "B")])
    npx.add_link(G, "A", "C", bandwidth_gbps=56.2341)
    res = npx.clear_market(G)
    assert res.objective == 0.0 and (res.links["flow_gbps"] == 0).all()
