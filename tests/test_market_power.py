"""Market-power screens: residual supply index, pivotal suppliers, uniform price (model.md §10).

Each case is small enough to know its answer by hand: a seller pivotal by
its size, a small seller made pivotal by the network (a thin link, a
latency limit), sellers owning several sites, regions, and the one-price
counterfactual of a congested market.
"""

import pytest

import netprice as npx
from netprice.market_power import copper_plate, market_power, sellers, served_load, uniform_price

CHAT = {"chat": {"latency_ms": None, "bytes_per_token": 8.0}}


def _screen(G, **kwargs):
    screen = market_power(G, **kwargs)
    return screen.xs("chat", level="workload")


def test_a_seller_larger_than_the_rest_short_of_the_load_is_pivotal():
    """Load 5e5; BIG 8e5, SMALL 3e5: without BIG only 3e5 reach the load (RSI 0.6)."""
    G = npx.empty_network(CHAT)
    npx.add_site(G, "BIG", -100.0, 40.0, capacity=8e5, cost=1.0)
    npx.add_site(G, "SMALL", -99.0, 40.0, capacity=3e5, cost=2.0, demand={"chat": 5e5})
    npx.add_link(G, "BIG", "SMALL", bandwidth_gbps=100)
    screen = _screen(G).xs("network", level="region")
    assert screen["load"].tolist() == pytest.approx([5e5, 5e5])
    assert screen.loc["BIG", "deliverable_without"] == pytest.approx(3e5, rel=1e-9)
    assert screen.loc["SMALL", "deliverable_without"] == pytest.approx(8e5, rel=1e-9)
    assert screen["deliverable"].tolist() == pytest.approx([1.1e6, 1.1e6], rel=1e-9)
    assert screen["rsi"].to_dict() == pytest.approx({"BIG": 0.6, "SMALL": 1.6}, rel=1e-9)
    assert screen["pivotal"].to_dict() == {"BIG": True, "SMALL": False}
    # BIG is cheaper and serves all of it.
    assert screen["served"].to_dict() == pytest.approx({"BIG": 5e5, "SMALL": 0.0}, abs=1e-6)


def test_sites_of_one_owner_are_one_seller():
    """Two sites of 3e5 each owned by X: alone neither is pivotal, together they are."""
    G = npx.empty_network(CHAT)
    for name, lon, owner in (("X1", -101.0, "X"), ("X2", -100.0, "X"), ("Y", -99.0, "Y")):
        npx.add_site(G, name, lon, 40.0, capacity=3e5, cost=1.0, owner=owner)
    npx.add_site(G, "M", -98.0, 40.0, demand={"chat": 4e5})
    for a in ("X1", "X2", "Y"):
        npx.add_link(G, a, "M", bandwidth_gbps=100)
    assert sellers(G) == {"X": ["X1", "X2"], "Y": ["Y"]}
    screen = _screen(G).xs("network", level="region")
    assert screen["rsi"].to_dict() == pytest.approx({"X": 0.75, "Y": 1.5}, rel=1e-9)
    assert screen["pivotal"].to_dict() == {"X": True, "Y": False}
    assert screen.loc["X", "capacity"] == 6e5
    alone = _screen(G, owner="no such attribute").xs("network", level="region")
    assert not alone["pivotal"].any()


def _near_and_far(link_gbps, latency_ms=None):
    """NEAR (2e5, next to the load) and FAR (1e6, 10 ms away over one link); load 1.5e5."""
    G = npx.empty_network({"chat": {"latency_ms": latency_ms, "bytes_per_token": 8.0}})
    npx.add_site(G, "FAR", -110.0, 40.0, capacity=1e6, cost=1.0)
    npx.add_site(G, "NEAR", -99.0, 40.0, capacity=2e5, cost=5.0, demand={"chat": 1.5e5})
    npx.add_link(G, "FAR", "NEAR", bandwidth_gbps=link_gbps, latency_ms=10.0)
    return G


@pytest.mark.parametrize("case", ["thin link", "latency limit"])
def test_the_network_makes_a_small_seller_pivotal(case):
    """FAR is five times NEAR's size, yet only NEAR is pivotal: the link carries 1e5 tokens/s
    (thin link), or FAR lies beyond the 5 ms limit (latency limit).  Without the network FAR
    alone could serve the load, and nobody would be pivotal."""
    if case == "thin link":
        G = _near_and_far(1e5 * 8 * 8e-9)
        reach = 1e5
    else:
        G = _near_and_far(100.0, latency_ms=5.0)
        reach = 0.0
    screen = _screen(G).xs("network", level="region")
    assert screen.loc["NEAR", "capacity"] < screen.loc["FAR", "capacity"]
    assert screen.loc["NEAR", "deliverable_without"] == pytest.approx(reach, abs=1e-6)
    assert screen.loc["NEAR", "rsi"] == pytest.approx(reach / 1.5e5, abs=1e-12)
    assert screen.loc["FAR", "rsi"] == pytest.approx(2e5 / 1.5e5, rel=1e-9)
    assert screen["pivotal"].to_dict() == {"FAR": False, "NEAR": True}
    wide = _screen(_near_and_far(100.0)).xs("network", level="region")
    assert not wide["pivotal"].any()


def test_regions_are_screened_apart():
    """Two metros a thin link apart, each with its own site: each site is pivotal at home.

    Without W, E serves its own 2e5 first and has 1e5 left, of which the link takes 5e4 to
    the west: RSI 0.25.  Without E, W sends the east the 5e4 the link carries first and keeps
    2.5e5 for its own 2e5: RSI 1.25."""
    G = npx.empty_network(CHAT)
    npx.add_site(G, "W", -110.0, 40.0, capacity=3e5, cost=1.0, demand={"chat": 2e5},
                 region="west")
    npx.add_site(G, "E", -80.0, 40.0, capacity=3e5, cost=1.0, demand={"chat": 2e5},
                 region="east")
    npx.add_link(G, "W", "E", bandwidth_gbps=5e4 * 8 * 8e-9)       # 5e4 tokens/s
    screen = _screen(G)
    assert screen.loc[("west", "W"), "rsi"] == pytest.approx(0.25, rel=1e-9)
    assert screen.loc[("west", "E"), "rsi"] == pytest.approx(1.25, rel=1e-9)
    assert screen.loc[("east", "E"), "pivotal"] and not screen.loc[("east", "W"), "pivotal"]


def test_the_rest_of_the_market_is_served_first():
    """Chat and code share X (4e5) and Y (3e5); load 3e5 of each.  Screened on chat alone, X
    would leave Y's 3e5 for 3e5 of chat (RSI 1); but Y serves code first: nothing is left."""
    G = npx.empty_network({"chat": {"latency_ms": None, "bytes_per_token": 8.0},
                           "code": {"latency_ms": None, "bytes_per_token": 8.0}})
    npx.add_site(G, "X", -100.0, 40.0, capacity=4e5, cost=1.0)
    npx.add_site(G, "Y", -99.0, 40.0, capacity=3e5, cost=2.0,
                 demand={"chat": 3e5, "code": 3e5})
    npx.add_link(G, "X", "Y", bandwidth_gbps=100)
    screen = market_power(G).xs("network", level="region")
    assert screen.loc[("chat", "X"), "deliverable_without"] == pytest.approx(0.0, abs=1e-6)
    assert screen.loc[("chat", "X"), "pivotal"] and screen.loc[("code", "X"), "pivotal"]
    # Without Y, X serves the other workload's 3e5 first and has 1e5 left: RSI 1/3.
    assert screen.loc[("chat", "Y"), "rsi"] == pytest.approx(1 / 3, rel=1e-9)
    # With everyone, 7e5 of capacity: 4e5 left for each workload once the other is served.
    assert screen.loc[("chat", "X"), "deliverable"] == pytest.approx(4e5, rel=1e-9)


def test_the_load_is_what_the_market_served_with_bids():
    """Accepted bids count as load; rejected ones do not."""
    G = npx.empty_network(CHAT)
    npx.add_site(G, "S", -100.0, 40.0, offers=[{"capacity": 3e5, "price": 10.0}])
    npx.add_site(G, "M", -99.0, 40.0, demand={"chat": 1e5},
                 bids={"chat": [{"tokens_per_s": 1e5, "price": 30.0},
                                {"tokens_per_s": 1e5, "price": 5.0}]})
    npx.add_link(G, "S", "M", bandwidth_gbps=100)
    res = npx.clear_market(G)
    assert served_load(res)[("M", "chat")] == pytest.approx(2e5)
    screen = market_power(G, res).xs(("chat", "network", "S"))
    assert screen["load"] == pytest.approx(2e5)
    assert screen["rsi"] == 0.0 and screen["pivotal"]


def test_the_shipped_market_screens(us5_shared):
    screen = market_power(us5_shared)
    assert set(screen.index.get_level_values("workload")) == set(us5_shared.graph["workloads"])
    assert len(screen) == 4 * 5
    assert (screen["deliverable_without"] <= screen["deliverable"] * (1 + 1e-9)).all()
    assert (screen["rsi"] >= 0).all()


# -- the uniform-price counterfactual -------------------------------------------------------------
def test_one_price_for_a_congested_pair_by_hand(two_node):
    """A at 10, B at 50 behind a full link.  On a copper plate A serves everything at 10: B's
    5e5 tokens/s pay 10 instead of 50 $/Mtok, 72,000 $/h less."""
    G = two_node(workloads={"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    comparison = uniform_price(G)
    assert comparison.prices.to_dict() == pytest.approx({"chat": 10.0})
    row = comparison.table.loc[("B", "chat")]
    assert row["load"] == 5e5
    assert row["locational_payment"] == pytest.approx(50.0 * 5e5 * 3600 / 1e6)
    assert row["uniform_payment"] == pytest.approx(10.0 * 5e5 * 3600 / 1e6)
    assert row["pays"] == "less"
    assert comparison.totals.loc["total", "difference"] == pytest.approx(-72_000.0)
    assert list(comparison.table.index) == [("B", "chat")]     # only nodes with load


def test_when_nothing_binds_uniform_and_locational_prices_agree(us5_shared):
    """Baseline mode with free transport: no link binds, the merit order sets one price."""
    G = us5_shared.copy()
    for u, v in G.edges:
        G.edges[u, v]["cost_per_gb"] = 0.0
    res = npx.clear_market(G, mode="baseline")
    assert not res.links["saturated"].any()
    comparison = uniform_price(G, res)
    assert (comparison.table["pays"] == "same").all()
    assert comparison.totals.loc["total", "difference"] == pytest.approx(0.0, abs=1e-6)


def test_uniform_payments_add_up(us5_shared):
    res = npx.clear_market(us5_shared)
    comparison = uniform_price(us5_shared, res)
    table = comparison.table
    assert comparison.totals.loc["total", "uniform_payment"] == pytest.approx(
        table["uniform_payment"].sum())
    assert {"more", "less"} <= set(table["pays"])      # congestion: some gain, some lose
    # One price per workload: the copper plate's price at every node with load.
    plate = comparison.result.prices["price"].unstack("workload")
    for w, price in comparison.prices.items():
        assert plate[w].max() - plate[w].min() <= 1e-12 * price


def test_the_copper_plate_has_no_distance(us5_shared):
    H, hub = copper_plate(us5_shared)
    assert all(spec["latency_ms"] is None for spec in H.graph["workloads"].values())
    assert H.number_of_edges() == 2 * us5_shared.number_of_nodes()
    assert all(d["cost_per_gb"] == 0.0 and d["latency_ms"] == 0.0
               for _, _, d in H.edges(data=True))
    assert set(H.predecessors(hub)) == set(us5_shared.nodes)
