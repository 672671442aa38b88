"""Markets over periods (docs/model.md section 9): independent periods, deferred service, bad input.

Prices known by hand: one site whose cost changes by the hour and a
workload that may wait; the price of a token arriving in period t is the
cheapest way to serve it within its window (t .. t + D), and where the
cheap period's capacity runs short its scarcity rent is set by the next
cheapest way.
"""

import copy
import json

import numpy as np
import pandas as pd
import pytest

import netprice as npx
from netprice.periods import period_graph

HOURS = [f"2026-07-01T{h:02d}:00Z" for h in range(24)]


def _one_site(costs, *, defer_h, capacity=1e6, demand=1e5, cyclic=False, voll=None,
              latency_ms=None):
    """One metro with its own site, whose cost per reference token changes by period."""
    G = npx.empty_network({"batch": {"latency_ms": latency_ms, "bytes_per_token": 8,
                                     "defer_h": defer_h, "voll": voll}})
    G.graph["periods"] = HOURS[:len(costs)]
    if cyclic:
        G.graph["cyclic"] = True
    npx.add_site(G, "A", -100.0, 40.0, capacity=capacity, cost=list(costs),
                 demand={"batch": demand})
    return G


def _price(res, node="A", workload="batch"):
    return res.prices.xs((node, workload))["price"].round(9).tolist()


# -- deferred service: prices known by hand ----------------------------------------------------
def test_a_token_is_priced_at_the_cheapest_period_of_its_window():
    # Costs 5, 3, 1, 4; tokens may wait two periods (no backlog after the last).
    res = npx.clear_market(_one_site([5.0, 3.0, 1.0, 4.0], defer_h=2))
    assert _price(res) == [1.0, 1.0, 1.0, 4.0]
    assert res.prices.xs(("A", "batch"))["served_period"].tolist() == \
        [HOURS[2], HOURS[2], HOURS[2], HOURS[3]]
    moved = res.deferral.set_index("arrived")
    assert moved.loc[HOURS[0], "served"] == HOURS[2] and moved.loc[HOURS[0], "hours"] == 2.0
    # 3e5 tokens/s at 1 $/Mtok in period 2, 1e5 at 4 in period 3, one hour each.
    assert res.objective == pytest.approx((3e5 * 1 + 1e5 * 4) * 3600 / 1e6, rel=1e-12)
    assert res.settlement["identity_gap"] == pytest.approx(0.0, abs=1e-6)
    assert not res.independent and res.exact


def test_scarcity_in_the_cheap_period_sets_every_price_that_waits_for_it():
    # Period 2 (1 $/Mtok) serves two of the three arrivals that want it; the
    # third goes to period 1 (3 $/Mtok): the scarcity rent in period 2 is 2,
    # and every arrival whose window holds periods 1 or 2 pays 3.
    capacity = [1e6, 1e6, 2e5, 1e6]
    res = npx.clear_market(_one_site([5.0, 3.0, 1.0, 4.0], defer_h=2, capacity=capacity))
    assert _price(res) == [3.0, 3.0, 3.0, 4.0]
    assert res.nodes.xs("A")["scarcity"].round(9).tolist() == [0.0, 0.0, 2.0, 0.0]
    served = res.nodes.xs("A")["served"].round(6).tolist()
    assert served == [0.0, 1e5, 2e5, 1e5]
    res.verify()


def test_the_price_of_an_arrival_is_its_balance_dual_minus_nothing_it_cannot_reach():
    # A one-period window cannot reach period 2 from period 0.
    res = npx.clear_market(_one_site([5.0, 3.0, 1.0, 4.0], defer_h=1))
    assert _price(res) == [3.0, 1.0, 1.0, 4.0]


def test_a_cyclic_day_serves_late_arrivals_the_next_morning():
    res = npx.clear_market(_one_site([1.0, 5.0, 5.0], defer_h=1, cyclic=True))
    assert _price(res) == [1.0, 5.0, 1.0]
    assert res.prices.xs(("A", "batch"))["served_period"].tolist()[2] == HOURS[0]
    # Without the wrap the last arrivals must be served in the last period.
    assert _price(npx.clear_market(_one_site([1.0, 5.0, 5.0], defer_h=1))) == [1.0, 5.0, 5.0]


def test_demand_is_shed_on_arrival_at_its_value_of_lost_load_never_more_than_arrived():
    # Capacity 5e4 a period for 1e5 arriving each period: 2 periods x 5e4
    # are served (the two cheapest), the rest is shed at voll 20.
    res = npx.clear_market(_one_site([2.0, 4.0], defer_h=1, capacity=5e4, voll=20.0))
    assert _price(res) == [20.0, 20.0]
    service = res.service.xs(("A", "batch"))
    assert (service["unserved"] <= service["demand"] + 1e-9).all()
    assert service["unserved"].sum() == pytest.approx(1e5, rel=1e-12)
    res.verify()


def test_deferral_shorter_than_a_period_is_no_deferral():
    G = _one_site([5.0, 3.0], defer_h=0.5)
    res = npx.clear_market(G)
    assert res.independent and _price(res) == [5.0, 3.0]


# -- independent periods are the single-period markets -------------------------------------------
def _us5_day(us5, defer_h=0.0):
    G = us5
    G.graph["periods"] = HOURS[:4]
    scale = [0.6, 0.8, 1.0, 0.9]
    for n, data in G.nodes(data=True):
        data["demand"] = {w: [v * s for s in scale] for w, v in data.get("demand", {}).items()}
    for w in G.graph["workloads"]:
        G.graph["workloads"][w]["defer_h"] = defer_h if w == "batch" else 0.0
    return G


def test_without_deferral_the_periods_are_exactly_the_single_period_markets(us5):
    G = _us5_day(us5)
    res = npx.clear_market(G)
    assert res.independent
    total = 0.0
    for t, label in enumerate(G.graph["periods"]):
        alone = npx.clear_market(period_graph(G, t))
        view = res.period(label)
        assert view.objective == alone.objective
        total += alone.objective
        for name in ("prices", "nodes", "links", "service"):
            mine, theirs = getattr(view, name), getattr(alone, name)
            mine = mine.drop(columns=["served_period"], errors="ignore")
            assert mine.index.equals(theirs.index)
            for column in theirs.columns:
                a, b = mine[column].to_numpy(), theirs[column].to_numpy()
                same = (a == b) | (pd.isna(a) & pd.isna(b))
                assert same.all(), (label, name, column)
        routes = view.routes.drop(columns="period")
        assert routes["tokens_per_s"].tolist() == alone.routes["tokens_per_s"].tolist()
        assert routes["path"].tolist() == alone.routes["path"].tolist()
    assert res.objective == total * 1.0


def test_one_lp_over_the_periods_without_deferral_agrees_with_the_separate_markets(us5):
    G = _us5_day(us5)
    separate = npx.clear_market(G)
    from netprice.horizon import clear_horizon
    coupled = clear_horizon(G, npx.clear_market, coupled=True)
    assert not coupled.independent
    assert coupled.objective == pytest.approx(separate.objective, rel=1e-9)
    a, b = coupled.prices["price"], separate.prices["price"]
    assert np.allclose(a.to_numpy(), b.loc[a.index].to_numpy(), rtol=1e-9, atol=1e-12,
                       equal_nan=True)


def test_cost_never_rises_as_the_window_widens(us5):
    costs = []
    for defer_h in (0.0, 1.0, 2.0, 3.0):
        G = _us5_day(copy.deepcopy(us5), defer_h)
        # Cheap sites at night: what waiting is for.
        for n, data in G.nodes(data=True):
            if data.get("capacity"):
                data["cost"] = [data["cost"] * f for f in (1.3, 1.1, 0.7, 0.9)]
        res = npx.clear_market(G)
        res.verify()
        costs.append(res.objective)
    for wider, narrower in zip(costs[1:], costs):
        assert wider <= narrower * (1 + 1e-12)
    assert costs[-1] < costs[0]


def test_a_latency_limited_workload_that_may_wait_is_generated_like_any_route(us5):
    # A limit of ten hours: any route is in time, so the route columns of
    # column generation must give what the arc-flow model of the same
    # workload with no limit gives.
    G = _us5_day(us5, defer_h=2.0)
    for n, data in G.nodes(data=True):
        if data.get("capacity"):
            data["cost"] = [data["cost"] * f for f in (1.3, 1.1, 0.7, 0.9)]
    unlimited = npx.clear_market(G)
    G.graph["workloads"]["batch"]["latency_ms"] = 3.6e7
    limited = npx.clear_market(G)
    assert limited.exact
    assert limited.objective == pytest.approx(unlimited.objective, rel=1e-9)
    a, b = limited.prices["price"], unlimited.prices["price"]
    assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-8, equal_nan=True)


# -- bad input ------------------------------------------------------------------------------------
def _error(G):
    with pytest.raises(npx.ValidationError) as err:
        npx.validate(G)
    return str(err.value)


def test_a_list_of_the_wrong_length_names_feature_field_and_lengths():
    G = _one_site([5.0, 3.0, 1.0], defer_h=2)
    G.nodes["A"]["demand"]["batch"] = [1.0, 2.0]
    assert _error(G) == ("feature 'A', field 'demand.batch': has 2 values, expected 3 "
                         "(one per period of netprice.periods)")


@pytest.mark.parametrize("field, curve", [
    ("offers", [{"capacity": 1e6, "price": 2.0}]),
    ("bids", {"batch": [{"tokens_per_s": 1e4, "price": 3.0}]}),
])
def test_offers_and_bids_are_refused_in_a_market_over_periods(field, curve):
    G = _one_site([5.0, 3.0], defer_h=0)
    G.nodes["A"][field] = curve
    if field == "offers":
        del G.nodes["A"]["cost"]
    message = _error(G)
    assert message.startswith(f"feature 'A', field '{field}': is not supported in a market over "
                              "periods")
    with pytest.raises(npx.ValidationError):
        npx.clear_market(G)


def test_a_list_under_period_is_taken_for_periods_misspelt():
    G = _one_site([5.0, 3.0], defer_h=0)
    G.graph["period"] = G.graph.pop("periods")
    assert _error(G).startswith("feature netprice, field 'period': names the one period")


def test_negative_deferral_is_refused():
    G = _one_site([5.0, 3.0], defer_h=-1)
    assert "field 'defer_h': must be at least 0" in _error(G)


def test_periods_without_labels_are_refused():
    G = _one_site([5.0, 3.0], defer_h=1)
    G.graph["periods"] = [HOURS[0], ""]
    assert "field 'periods[1]': period 1 has no label" in _error(G)
    G.graph["periods"] = 2
    assert "field 'periods': must be a non-empty list of period labels" in _error(G)


def test_lists_without_periods_are_refused():
    G = _one_site([5.0, 3.0], defer_h=0)
    del G.graph["periods"]
    assert "field 'cost': is a list of 2 values, but the network declares no periods" in \
        _error(G)


def test_a_latency_limit_shorter_than_the_deferral_is_refused():
    # Chat answers within 100 ms: it cannot also wait hours to be served.
    G = _one_site([5.0, 3.0], defer_h=1, latency_ms=100.0)
    message = _error(G)
    assert "workload 'batch', field 'defer_h': a workload with a latency limit of 100 ms " \
           "cannot wait 1 h" in message


def test_a_bad_list_in_a_file_names_the_file(tmp_path):
    G = _one_site([5.0, 3.0, 1.0], defer_h=2)
    path = tmp_path / "day.geojson"
    npx.write_geojson(G, path)
    doc = json.loads(path.read_text())
    doc["features"][0]["properties"]["capacity"] = [1.0, 2.0]
    path.write_text(json.dumps(doc))
    with pytest.raises(npx.ValidationError) as err:
        npx.read_geojson(path)
    assert str(err.value).startswith(f"{path}, feature 'A', field 'capacity': has 2 values, "
                                     "expected 3")


def test_periods_round_trip_through_geojson(tmp_path):
    G = _one_site([5.0, 3.0, 1.0], defer_h=2, cyclic=True)
    npx.add_site(G, "B", -99.0, 40.0)
    npx.add_link(G, "A", "B", bandwidth_gbps=[1.0, 2.0, 3.0])
    path = tmp_path / "day.geojson"
    npx.write_geojson(G, path)
    H = npx.read_geojson(path)
    assert H.graph["periods"] == G.graph["periods"] and H.graph["cyclic"] is True
    assert H.nodes["A"]["cost"] == [5.0, 3.0, 1.0]
    assert H.edges["A", "B"]["bandwidth_gbps"] == [1.0, 2.0, 3.0]
    assert H.graph["workloads"]["batch"]["defer_h"] == 2


def test_an_infeasible_horizon_says_where_and_when():
    G = _one_site([5.0, 3.0], defer_h=1, capacity=[1e5, 5e4])
    G.nodes["A"]["demand"]["batch"] = [1e5, 1e5]
    with pytest.raises(npx.InfeasibleMarket) as err:
        npx.clear_market(G)
    assert "cannot be served" in str(err.value) and HOURS[1] in str(err.value)


def test_one_period_annotates_like_a_single_period_result(us5):
    G = _us5_day(us5, defer_h=2.0)
    res = npx.clear_market(G)
    H = npx.annotate(G, res, period=HOURS[2])
    alone = npx.annotate(period_graph(G, 2), res.period(2))
    assert H.graph["result"]["period"] == HOURS[2]
    for n in G:
        assert H.nodes[n]["price"] == alone.nodes[n]["price"]
        assert not isinstance(H.nodes[n].get("demand", {}).get("chat", 0.0), list)


def test_starting_from_each_period_alone_gives_the_same_market(us5, monkeypatch):
    import netprice.horizon as horizon

    G = _us5_day(us5, defer_h=2.0)
    for n, data in G.nodes(data=True):
        if data.get("capacity"):
            data["cost"] = [data["cost"] * f for f in (1.3, 1.1, 0.7, 0.9)]
    cold = npx.clear_market(G)
    monkeypatch.setattr(horizon, "WARM_START_ROWS", 0)
    warm = npx.clear_market(G)
    warm.verify()
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert np.allclose(warm.prices["price"].to_numpy(), cold.prices["price"].to_numpy(),
                       rtol=1e-8, equal_nan=True)
