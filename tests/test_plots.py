"""Static charts drawn from hand-made result tables (no solver involved)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from netprice.plots import (
    latency_sweep_plot,
    merit_order_plot,
    merit_order_table,
    mode_comparison_plot,
    rent_plot,
)

NAN = float("nan")


def _nodes():
    # cheap site full (scarcity 8), middle site marginal, dear site idle, one metro
    return pd.DataFrame(
        {"capacity": [1000.0, 800.0, 500.0, 0.0], "cost": [10.0, 18.0, 40.0, NAN],
         "compute_used": [1000.0, 300.0, 0.0, 0.0], "utilisation": [1.0, 0.375, 0.0, NAN],
         "scarcity": [8.0, 0.0, 0.0, NAN], "served": [1000.0, 300.0, 0.0, 0.0],
         "demand": [200.0, 300.0, 100.0, 700.0]},
        index=pd.Index(["cheap", "middle", "dear", "metro"], name="node"))


def _prices(scale=1.0):
    idx = pd.MultiIndex.from_product([["cheap", "middle", "dear", "metro"], ["chat", "image"]],
                                     names=["node", "workload"])
    price = np.array([18.0, 360.0, 18.0, 360.0, 19.0, 380.0, 21.0, NAN]) * scale
    return pd.DataFrame({"price": price, "processing": 10.0, "scarcity": 0.0, "transport": 0.0,
                         "congestion": 0.0, "unserved": 0.0, "serving_node": "cheap",
                         "demand": 100.0}, index=idx)


def _links():
    idx = pd.MultiIndex.from_tuples([("cheap", "metro"), ("metro", "cheap"),
                                     ("middle", "metro"), ("dear", "middle")],
                                    names=["source", "target"])
    return pd.DataFrame({"link": ["L1", "L1", "L2", "L3"],
                         "bandwidth_gbps": [10.0, 10.0, 40.0, 5.0],
                         "flow_gbps": [10.0, 1.0, 40.0, 2.0],
                         "utilisation": [1.0, 0.1, 1.0, 0.4],
                         "saturated": [True, False, True, False],
                         "rent": [40.0, 0.0, 3.5, 0.0]}, index=idx)


def _res(mode="transfer", objective=1027.0, scale=1.0):
    return SimpleNamespace(mode=mode, objective=objective, nodes=_nodes(),
                           prices=_prices(scale), links=_links(),
                           workloads={"chat": {"compute_intensity": 1.0},
                                      "image": {"compute_intensity": 20.0}})


def test_merit_order_table_sorts_by_cost_and_drops_metros():
    t = merit_order_table(_res())
    assert list(t.index) == ["cheap", "middle", "dear"]
    assert t["end"].tolist() == [1000.0, 1800.0, 2300.0]


def test_merit_order_marks_cleared_quantity_and_clearing_price(tmp_path):
    path = tmp_path / "merit.png"
    fig = merit_order_plot(_res(), path=path)
    assert isinstance(fig, Figure) and path.stat().st_size > 5000
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "cleared 1,300 reference tokens/s" in labels
    # the marginal site (middle, 18) sets the price, above the full site's 10 + 8
    assert "clearing price 18.00 $/Mtok" in labels
    assert {t.get_text() for t in ax.texts} >= {"cheap", "middle", "dear"}


def test_merit_order_in_workload_units():
    fig = merit_order_plot(_res(), workload="image")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "cumulative capacity, image tokens/s"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "cleared 65 image tokens/s" in labels and "clearing price 360.00 $/Mtok" in labels


def test_merit_order_needs_the_intensity_of_a_workload():
    nodes = _nodes()
    with pytest.raises(ValueError, match="intensity="):
        merit_order_plot(nodes, workload="image")
    ax = merit_order_plot(nodes, workload="image", intensity=20.0).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "cleared 65 image tokens/s" in labels


def test_merit_order_accepts_a_table_without_results():
    fig = merit_order_plot(_nodes()[["capacity", "cost"]])
    assert fig.axes[0].get_legend() is not None
    with pytest.raises(ValueError, match="capacity"):
        merit_order_plot(pd.DataFrame({"cost": [1.0]}))


def test_latency_sweep_one_line_per_node_with_gaps(tmp_path):
    rows = []
    for lat in (100, 50, 30, 15):
        rows += [{"latency_ms": lat, "node": "chi", "workload": "chat", "price": 10 + 1000 / lat},
                 {"latency_ms": lat, "node": "nyc", "workload": "chat",
                  "price": NAN if lat == 15 else 12.0},
                 {"latency_ms": lat, "node": "nyc", "workload": "image", "price": 99.0}]
    table = pd.DataFrame(rows)
    fig = latency_sweep_plot(table, workload="chat", path=tmp_path / "sweep.png")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert ax.get_xlabel() == "latency limit, ms" and "$/Mtok" in ax.get_ylabel()
    assert ax.get_title().endswith("chat")
    nyc = next(line for line in ax.get_lines() if line.get_label() == "nyc")
    assert np.isnan(nyc.get_ydata()).sum() == 1
    with pytest.raises(ValueError, match="latency_ms"):
        latency_sweep_plot(table.drop(columns="latency_ms"))


def test_latency_sweep_reads_the_table_of_netprice_sweep():
    # npx.sweep: value + parameter columns, one node-less row per infeasible point
    rows = [{"parameter": "latency_ms:chat", "value": v, "status": "OPTIMAL", "node": n,
             "workload": w, "price": p}
            for v in (100.0, 15.0) for n in ("chi", "nyc") for w, p in (("chat", 10 + 100 / v),
                                                                      ("image", 50.0))]
    rows.append({"parameter": "latency_ms:chat", "value": 5.0, "status": "INFEASIBLE",
                 "node": None, "workload": None, "price": NAN})
    ax = latency_sweep_plot(pd.DataFrame(rows)).axes[0]
    assert ax.get_xlabel() == "latency limit of chat, ms"
    assert ax.get_title().endswith(": chat")
    assert [list(line.get_xdata()) for line in ax.get_lines()] == [[15.0, 100.0]] * 2


def test_rent_plot_shows_only_positive_rents_largest_first(tmp_path):
    fig = rent_plot(_res(), path=tmp_path / "rents.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cheap → metro", "middle → metro"]
    assert "$/h per Gbit/s" in ax.get_xlabel()
    assert {p.get_width() for p in ax.patches} == {40.0, 3.5}


def test_rent_plot_without_congestion_says_so():
    links = _links().assign(rent=0.0, saturated=False)
    fig = rent_plot(links)
    assert "no congestion" in fig.axes[0].texts[0].get_text()


def test_mode_comparison_cost_change_and_prices(tmp_path):
    base = _res("baseline", 1000.0, scale=0.9)
    xfer = _res("transfer", 1027.0)
    fig = mode_comparison_plot(base, xfer, path=tmp_path / "modes.png")
    ax_cost, ax_chat, ax_image = fig.axes  # one price panel per workload
    assert ax_cost.get_title() == "Operating cost: +2.7 %"
    assert [t.get_text() for t in ax_cost.get_xticklabels()] == ["baseline", "transfer"]
    assert ax_chat.get_title() == "Locational prices: chat"
    assert len(ax_chat.patches) == 2 * 4 and len(ax_image.patches) == 2 * 4
    heights = [p.get_height() for p in ax_image.patches]
    assert 360.0 in heights and sum(np.isnan(heights)) == 2  # no image price in the metro
    fig = mode_comparison_plot(base, xfer, workload="chat")
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "Locational prices: chat"


def _congested():
    # a saturated link keeps the cheap site half idle while the dear one runs:
    # two prices, 10 and 50, and no single clearing price
    nodes = pd.DataFrame(
        {"capacity": [1000.0, 1000.0], "cost": [10.0, 50.0], "compute_used": [500.0, 300.0],
         "scarcity": [0.0, 0.0]}, index=pd.Index(["cheap", "dear"], name="node"))
    idx = pd.MultiIndex.from_product([["cheap", "dear"], ["chat"]], names=["node", "workload"])
    prices = pd.DataFrame({"price": [10.0, 50.0]}, index=idx)
    return SimpleNamespace(nodes=nodes, prices=prices,
                           workloads={"chat": {"compute_intensity": 1.0}})


@pytest.mark.parametrize("workload", [None, "chat"])
def test_merit_order_of_a_congested_network_draws_each_sites_price(workload):
    ax = merit_order_plot(_congested(), workload=workload).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any(label.startswith(("clearing price", "cleared")) for label in labels)
    assert "price at the site, $/Mtok" in labels
    marks = [c for c in ax.collections if c.get_label() == "price at the site, $/Mtok"]
    segments = [seg for c in ax.collections if c.get_color()[0][0] > 0.8
                for seg in c.get_segments()]
    # each site's price over its own block: cheap at 10 on [0, 1000], dear at 50 on [1000, 2000]
    assert sorted((s[0][0], s[1][0], s[0][1]) for s in segments) == [
        (0.0, 1000.0, 10.0), (1000.0, 2000.0, 50.0)]
    assert marks and "2 local prices" in ax.get_title(loc="right")


def test_missing_glyphs_are_one_warning_naming_them():
    from netprice.errors import InputWarning
    from netprice.io.files import png_bytes

    fig = rent_plot(pd.DataFrame({"rent": [40.0]}, index=pd.MultiIndex.from_tuples(
        [("a🚀", "b🛰")], names=["source", "target"])))
    with pytest.warns(InputWarning) as caught:
        assert png_bytes(fig)[:4] == b"\x89PNG"
    assert [str(w.message) for w in caught] == [
        "the chart font has no glyph for 🚀 🛰; those characters of node or link names are "
        "drawn as empty boxes in the PNG charts"]
