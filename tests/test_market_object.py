"""The Market object: one pipeline, its LP held between solves, its blocks named."""

import dataclasses

import numpy as np
import pytest

import netprice as npx
from netprice.lp.build import build_lp
from netprice.lp.change import describe_change
from netprice.lp.data import compile_market
from netprice.scenarios import Scenario


def test_clear_market_is_market_solve(us5):
    a = npx.clear_market(us5)
    b = npx.Market(us5).solve()
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.prices["price"], b.prices["price"])


def test_add_columns_appends_routes_without_rebuilding(us5):
    """Routes withheld from a route LP, then appended: the full LP's answer."""
    full = npx.clear_market(us5, formulation="route")
    market = npx.Market(us5, formulation="route")
    routes = market.routes
    short = routes.hops() <= 1
    market.formulation = dataclasses.replace(market.formulation, routes=routes.subset(short))
    market.lp = build_lp(market.data, market.routes)
    partial = market.resolve()
    assert partial.objective > full.objective          # the two-hop routes matter here
    columns = market.lp.shape[1]
    ids = market.add_columns(routes.subset(~short))
    assert len(ids) and market.lp.shape[1] == columns + len(ids)
    again = market.resolve()
    assert again.objective == pytest.approx(full.objective, rel=1e-12)
    np.testing.assert_allclose(again.prices["price"], full.prices["price"], rtol=1e-9)


def test_blocks_are_named_and_map_their_duals(us5):
    market = npx.Market(us5)
    res = market.solve()
    lp = market.lp
    assert list(lp.rows) == ["demand", "compute", "link", "layer"]
    assert set(lp.column_blocks) <= {"route", "arc", "layered", "unserved"}
    assert len(lp.columns("route")) + len(lp.columns("arc")) == lp.shape[1]
    # The rents a result reports are the link block's duals, signs fixed once.
    rent = res.links["rent"].to_numpy()
    assert (rent >= 0).all() and (rent > 0).sum() == 4
    block = lp.blocks["link"]
    back = block.result_to_dual(lp, rent)
    assert (back <= 0).all()
    np.testing.assert_allclose(block.dual_to_result(lp, back), rent, rtol=1e-12)


def test_resolve_takes_a_scenario_a_graph_or_a_change(us5):
    market = npx.Market(us5)
    scenario = Scenario("SEA-SJC out", "outage:SEA-SJC")
    by_scenario = market.resolve(scenario)
    H = scenario.apply(us5)
    by_graph = market.resolve(H)
    change = describe_change(market.data, market.lp, market.routes, compile_market(H, "transfer"))
    by_change = market.resolve(change)
    fresh = npx.clear_market(H)
    for res in (by_scenario, by_graph, by_change):
        assert res.stats["reused"] and res.exact
        assert res.objective == pytest.approx(fresh.objective, rel=1e-9)
    with pytest.raises(TypeError, match="scenario, a changed graph or an LPChange"):
        market.resolve(42)


def test_a_structural_change_is_rebuilt_and_says_why(us5):
    market = npx.Market(us5)
    res = market.resolve(Scenario("tight chat", "latency_ms:chat", 15))
    assert not res.stats["reused"] and "latency_limit_ms" in res.stats["rebuild_reason"]
