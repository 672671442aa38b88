"""Infeasible markets are an answer with a diagnosis, not a crash."""

import networkx as nx
import pytest

import netprice as npx


def network(limit_ms=100.0, demand=1e5, capacity=1e6):
    G = npx.empty_network({"chat": {"latency_ms": limit_ms, "bytes_per_token": 8},
                           "batch": {"latency_ms": None, "bytes_per_token": 4}})
    npx.add_site(G, "EAST", -75.0, 40.0, capacity=capacity, cost=5.0)
    npx.add_site(G, "MID", -90.0, 40.0, demand={"chat": demand, "batch": demand})
    npx.add_site(G, "WEST", -120.0, 40.0, demand={"chat": demand})
    npx.add_link(G, "EAST", "MID", bandwidth_gbps=100.0, latency_ms=10.0)
    npx.add_link(G, "MID", "WEST", bandwidth_gbps=100.0, latency_ms=20.0)
    return G


def test_unreachable_under_latency_limit():
    with pytest.raises(npx.InfeasibleMarket) as info:
        npx.clear_market(network(limit_ms=15.0))
    err = info.value
    assert isinstance(err, nx.NetworkXUnfeasible)
    no_route = err.diagnosis.no_route
    assert list(no_route.index) == [("WEST", "chat")]
    row = no_route.loc[("WEST", "chat")]
    assert row["nearest_site"] == "EAST"
    assert row["nearest_latency_ms"] == pytest.approx(30.0)
    assert "WEST/chat" in str(err) and "30.0 ms" in str(err)


def test_demand_over_capacity():
    with pytest.raises(npx.InfeasibleMarket) as info:
        npx.clear_market(network(demand=4e5, capacity=1e6))
    d = info.value.diagnosis
    assert d.aggregate_need == pytest.approx(1.2e6)
    assert d.aggregate_capacity == pytest.approx(1e6)
    assert d.unmet["unmet"].sum() == pytest.approx(2e5, rel=1e-9)
    assert list(d.binding["element"]) == ["EAST"]
    assert list(d.binding["kind"]) == ["compute"]
    assert "cannot be served" in d.summary()


def test_link_bottleneck_is_named():
    G = network()
    G.edges["MID", "WEST"]["bandwidth_gbps"] = 1e-4
    G.edges["WEST", "MID"]["bandwidth_gbps"] = 1e-4
    with pytest.raises(npx.InfeasibleMarket) as info:
        npx.clear_market(G)
    d = info.value.diagnosis
    assert ("WEST", "chat") in d.unmet.index
    assert "WEST->MID" in set(d.binding["element"])
    assert d.aggregate_need < d.aggregate_capacity


def test_voll_turns_infeasibility_into_a_price():
    G = network(demand=4e5, capacity=1e6)
    for spec in G.graph["workloads"].values():
        spec["voll"] = 1000.0
    res = npx.clear_market(G)
    assert res.nodes["unserved"].sum() == pytest.approx(2e5)
    assert res.prices.xs("MID", level="node")["price"].tolist() == pytest.approx([1000.0] * 2)
