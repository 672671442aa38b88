"""Markets small enough that their prices are known by hand.

The two- and three-node cases are the ``two_node`` and ``three_node``
factories of conftest.py.
"""

import math

import networkx as nx
import numpy as np
import pytest

import netprice as npx
from netprice.lp.scaling import Scaling


@pytest.mark.parametrize("mode, bytes_per_token, carried", [
    ("baseline", 4, 250_000.0), ("transfer", 8, 125_000.0)])
def test_two_nodes_prices_and_rent(mode, bytes_per_token, carried, two_node):
    res = npx.clear_market(two_node(), mode=mode)
    price = res.prices["price"]
    assert price["A", "chat"] == pytest.approx(10.0, abs=1e-9)
    assert price["B", "chat"] == pytest.approx(50.0, abs=1e-9)
    # Tokens travel from the demand at B to the cheap compute at A.
    link = res.links.loc[("B", "A")]
    assert link["saturated"]
    assert link["tokens_chat"] == pytest.approx(carried)
    # The rent is worth 40 $/Mtok: rent [$/h per Gbit/s] x Gbit/s per Mtok/s / 3600.
    gbit_per_mtok = bytes_per_token * 8 * 1e6 / 1e9
    assert link["rent"] * gbit_per_mtok / 3600 == pytest.approx(40.0, rel=1e-9)
    assert res.links.loc[("A", "B"), "rent"] == 0.0
    # Cost: carried tokens at 10, the rest at 50, per hour.
    expected = (carried * 10 + (5e5 - carried) * 50) * 3600 / 1e6
    assert res.objective == pytest.approx(expected, rel=1e-12)
    s = res.settlement
    assert s["payments"] - s["compute_rents"] - s["congestion_rents"] == pytest.approx(
        s["cost"], rel=1e-12)
    parts = res.prices.loc[("B", "chat")]
    assert parts[["processing", "scarcity", "transport", "congestion", "unserved"]].sum() == \
        pytest.approx(50.0)


def test_uncongested_two_nodes_one_price(two_node):
    res = npx.clear_market(two_node(bandwidth_gbps=100.0), mode="transfer")
    assert res.prices["price"].tolist() == pytest.approx([10.0, 10.0])
    assert not res.links["saturated"].any()
    assert res.nodes.loc["A", "compute_used"] == pytest.approx(5e5)


def test_tighter_latency_moves_service_and_raises_price(three_node):
    loose = npx.clear_market(three_node(100.0))
    tight = npx.clear_market(three_node(15.0))
    # 100 ms: served at FAR, 10 $/Mtok + 0.5 $/GB x 1000 B/token = 0.5 $/Mtok transport.
    assert loose.prices.at[("O", "chat"), "price"] == pytest.approx(10.5)
    assert loose.prices.at[("O", "chat"), "serving_node"] == "FAR"
    # 15 ms: FAR is out of reach; NEAR at 30 + 0.2 transport.
    assert tight.prices.at[("O", "chat"), "price"] == pytest.approx(30.2)
    assert tight.prices.at[("O", "chat"), "serving_node"] == "NEAR"
    rise = tight.prices.at[("O", "chat"), "price"] / loose.prices.at[("O", "chat"), "price"] - 1
    assert rise == pytest.approx(30.2 / 10.5 - 1)
    assert tight.routes["node"].tolist() == ["NEAR"]


def test_processing_latency_counts_against_the_limit(three_node):
    G = three_node(50.0)
    G.nodes["FAR"]["proc_latency_ms"] = 11.0  # 40 + 11 > 50
    res = npx.clear_market(G)
    assert res.prices.at[("O", "chat"), "serving_node"] == "NEAR"


def test_compute_scarcity_sets_the_price_at_the_marginal_site():
    G = npx.empty_network({"batch": {"latency_ms": None, "bytes_per_token": 4}})
    npx.add_site(G, "A", 0.0, 0.0, capacity=1e5, cost=10.0, demand={"batch": 3e5})
    npx.add_site(G, "B", 1.0, 0.0, capacity=1e6, cost=25.0)
    npx.add_link(G, "A", "B", bandwidth_gbps=100.0)
    res = npx.clear_market(G)
    # A is full; the marginal token goes to B at 25: A's scarcity rent is 15.
    assert res.prices["price"].tolist() == pytest.approx([25.0, 25.0])
    assert res.nodes.loc["A", "scarcity"] == pytest.approx(15.0)
    assert res.nodes.loc["A", "utilisation"] == pytest.approx(1.0)
    assert res.settlement["compute_rents"] == pytest.approx(15.0 * 1e5 * 3600 / 1e6)
    routes = res.routes.set_index("node")["tokens_per_s"]
    assert routes["A"] == pytest.approx(1e5) and routes["B"] == pytest.approx(2e5)


def test_compute_intensity_scales_capacity_use_and_cost():
    G = npx.empty_network({"image": {"latency_ms": None, "bytes_per_token": 4,
                                     "compute_intensity": 4.0}})
    npx.add_site(G, "A", 0.0, 0.0, capacity=1e6, cost=2.0, demand={"image": 1e5})
    res = npx.clear_market(G)
    assert res.prices.at[("A", "image"), "price"] == pytest.approx(8.0)
    assert res.nodes.loc["A", "compute_used"] == pytest.approx(4e5)


def test_per_workload_cost_overrides_intensity():
    G = npx.empty_network({"chat": {"bytes_per_token": 4, "compute_intensity": 2.0}})
    npx.add_site(G, "A", 0.0, 0.0, capacity=1e6, cost={"chat": 7.0}, demand={"chat": 1.0})
    assert npx.clear_market(G).prices.at[("A", "chat"), "price"] == pytest.approx(7.0)


def test_voll_prices_unserved_demand():
    G = npx.empty_network({"chat": {"latency_ms": None, "bytes_per_token": 4, "voll": 100.0}})
    npx.add_site(G, "A", 0.0, 0.0, capacity=1e5, cost=10.0, demand={"chat": 3e5})
    res = npx.clear_market(G)
    assert res.prices.at[("A", "chat"), "price"] == pytest.approx(100.0)
    assert res.prices.at[("A", "chat"), "unserved"] == pytest.approx(100.0)
    assert res.nodes.loc["A", "unserved"] == pytest.approx(2e5)
    assert res.nodes.loc["A", "scarcity"] == pytest.approx(90.0)


def test_serves_restricts_sites(two_node):
    G = two_node(bandwidth_gbps=100.0)
    G.nodes["A"]["serves"] = []
    res = npx.clear_market(G)
    assert res.prices.at[("B", "chat"), "price"] == pytest.approx(50.0)


def test_zero_demand_costs_nothing(two_node):
    G = two_node()
    G.nodes["B"]["demand"] = {}
    res = npx.clear_market(G)
    assert res.objective == 0.0
    # Prices still tell what the next token would cost.
    assert res.prices["price"].tolist() == pytest.approx([10.0, 10.0])


@pytest.mark.parametrize("flow_unit, cost_unit", [(1.0, 1.0), (1e3, 1e-2), (1e6, 10.0)])
def test_prices_do_not_depend_on_lp_units(flow_unit, cost_unit, two_node):
    from netprice.lp.build import build_lp
    from netprice.lp.data import compile_market
    from netprice.lp.duals import compute_prices
    from netprice.lp.solve import solve_lp
    from netprice.lp.routes import enumerate_routes

    data = compile_market(two_node(), "transfer")
    routes = enumerate_routes(data)
    lp = build_lp(data, routes, scaling=Scaling(flow_unit, cost_unit))
    solution = solve_lp(lp)
    prices = compute_prices(data, routes, lp, solution.y)
    assert prices.price[:, 0] == pytest.approx([10.0, 50.0])
    assert lp.scaling.objective_per_hour(solution.objective) == pytest.approx(
        npx.clear_market(two_node()).objective)


def test_unlimited_workload_arc_model_equals_route_model():
    """The arc-flow transport model and complete route enumeration agree."""
    results = {}
    for limit in (None, 1e4):
        rng = np.random.default_rng(3)
        G = npx.empty_network({"w": {"latency_ms": limit, "bytes_per_token": 500}})
        for i in range(7):
            npx.add_site(G, i, -100 + 3 * i, 35 + (i % 3), capacity=float(rng.uniform(0, 4e5)),
                         cost=float(rng.uniform(5, 40)), demand={"w": float(rng.uniform(0, 2e5))})
        for i, j in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 3), (2, 6), (1, 5)]:
            npx.add_link(G, i, j, bandwidth_gbps=float(rng.uniform(0.05, 0.4)),
                         cost_per_gb=float(rng.uniform(0, 2)))
        results[limit] = npx.clear_market(G, max_routes_per_pair=10_000)
    arc, route = results[None], results[1e4]
    assert route.truncated_routes == []
    assert route.links["saturated"].any()
    assert arc.objective == pytest.approx(route.objective, rel=1e-9)
    assert arc.prices["price"].to_numpy() == pytest.approx(route.prices["price"].to_numpy(),
                                                           rel=1e-9)


def test_truncated_enumeration_is_reported():
    G = npx.empty_network({"chat": {"latency_ms": 1000, "bytes_per_token": 8}})
    for i in range(4):
        npx.add_site(G, i, float(i), 0.0, capacity=1e6 if i == 3 else 0.0, cost=1.0,
                     demand={"chat": 1.0} if i == 0 else None)
    for i, j in [(0, 1), (1, 3), (0, 2), (2, 3), (1, 2)]:
        npx.add_link(G, i, j, bandwidth_gbps=10.0)
    # The cap belongs to the enumerated-route approximation.
    res = npx.clear_market(G, formulation="route", max_routes_per_pair=1)
    assert (0, 3) in res.truncated_routes
    full = npx.clear_market(G, formulation="route", max_routes_per_pair=100)
    assert full.truncated_routes == []


def test_annotate_writes_the_contract_on_a_copy(two_node):
    G = two_node()
    res = npx.clear_market(G)
    H = npx.annotate(G, res)
    assert "price" not in G.nodes["A"]
    assert H.nodes["B"]["price"]["chat"] == pytest.approx(50.0)
    assert H.nodes["A"]["served"]["chat"] == pytest.approx(125_000.0)
    assert H.edges["B", "A"]["saturated"] and H.edges["B", "A"]["rent"] > 0
    assert H.graph["result"]["mode"] == "transfer"
    assert math.isclose(H.graph["result"]["objective"], res.objective)
    assert isinstance(H, nx.DiGraph)


def test_highs_gives_the_same_verified_prices(two_node):
    pytest.importorskip("highspy")
    glop = npx.clear_market(two_node())
    for solver in ("highs", "highs-ipm"):
        other = npx.clear_market(two_node(), solver=solver)
        assert other.objective == pytest.approx(glop.objective, rel=1e-9)
        assert other.prices["price"].tolist() == pytest.approx(glop.prices["price"].tolist())
