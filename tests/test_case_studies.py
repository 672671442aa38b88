"""The shipped cases reproduce the published figures (docs/model.md section 1)."""

import numpy as np
import pytest

import netprice as npx
from netprice import studies


@pytest.fixture(scope="module")
def modes(us5_shared):
    return studies.mode_comparison(us5_shared)


def test_transfer_saturates_four_links_baseline_fewer(modes):
    assert len(modes.transfer.saturated_links()) == 4
    assert len(modes.baseline.saturated_links()) < 4


def test_transfer_costs_2_7_percent_more(modes):
    assert modes.cost_increase_pct == pytest.approx(2.7, abs=0.1)


def test_chat_latency_15ms_raises_one_price_117_percent(us5):
    table = studies.latency_sweep(us5, "chat", (100, 15))
    node, rise, rises = studies.largest_price_rise(table, 100.0, 15.0)
    assert rise == pytest.approx(117.0, abs=1.0)
    # At one node: every other node's rise is well short of it.
    assert (rises.drop(node) < rise - 50).all()


def test_us20_dispatch_follows_merit_order(us20):
    res = npx.clear_market(studies.relaxed(us20))
    assert not res.links["saturated"].any()
    order = studies.merit_order(res)
    spare = order["capacity"] - order["compute_used"]
    running = order["compute_used"] > 1e-6 * order["capacity"]
    # No cheaper site keeps spare capacity while a dearer one runs.
    for i, site in enumerate(order.index):
        if spare[site] > 1e-6 * order.at[site, "capacity"]:
            dearer = order.index[i + 1:]
            costlier = order.loc[dearer, "cost"] > order.at[site, "cost"] + 1e-12
            assert not (running[dearer] & costlier).any(), site
    # Without transport costs, one price per reference token: the marginal site's cost.
    free = studies.relaxed(us20)
    for u, v in free.edges:
        free.edges[u, v]["cost_per_gb"] = 0.0
    res = npx.clear_market(free)
    intensity = {w: s["compute_intensity"] for w, s in us20.graph["workloads"].items()}
    per_reference = res.prices["price"] / res.prices.index.get_level_values("workload").map(
        intensity)
    marginal = studies.merit_order(res).query("0 < utilisation < 1")["cost"]
    assert len(marginal) == 1
    assert per_reference.to_numpy() == pytest.approx(marginal.iloc[0], rel=1e-9)


def test_us20_infeasible_beyond_capacity_over_need(us20):
    relaxed = studies.relaxed(us20)
    threshold = studies.infeasibility_threshold(relaxed)
    table = studies.demand_scaling(relaxed, [threshold * (1 - 1e-6), threshold * (1 + 1e-6)])
    status = table.groupby("demand_scale")["status"].first().tolist()
    assert status == ["OPTIMAL", "INFEASIBLE"]
    reason = table["reason"].dropna().iloc[0]
    assert "cannot be served" in reason


def test_us20_is_heterogeneous(us20):
    capacity = np.array([d.get("capacity", 0) for _, d in us20.nodes(data=True)])
    costs = {d["cost"] for _, d in us20.nodes(data=True) if d.get("capacity")}
    assert us20.number_of_nodes() == 20 and (capacity == 0).any() and len(costs) > 5
    assert len(us20.graph["workloads"]) >= 3


@pytest.mark.slow
def test_reproduce_writes_the_report(tmp_path):
    from netprice.reproduce import reproduce

    report = reproduce(tmp_path)
    text = report.read_text()
    assert "| saturated backbone links, transfer-aware | 4 | 4 |" in text
    for name in ("us5_modes.png", "us5_rents.png", "us5_latency.png", "us20_merit_order.png",
                 "us20_demand.png", "us5_map.html", "us20_map.html"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".reproduce-")]
