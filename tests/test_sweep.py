"""Parameter sweeps: the tidy table, model reuse, Dask, the command line."""

import logging

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import netprice as npx
from netprice.cli import cli
from netprice.sweep import LONG_COLUMNS, SUMMARY_COLUMNS, run_scenarios, scenarios_for


def network():
    """Cheap West, dear East, one binding link between them."""
    G = npx.empty_network({"chat": {"latency_ms": 40, "bytes_per_token": 8},
                           "batch": {"bytes_per_token": 32}})
    npx.add_site(G, "WEST", -120.0, 40.0, capacity=1.2e6, cost=10.0, demand={"chat": 2e5})
    npx.add_site(G, "MID", -100.0, 40.0, capacity=2e5, cost=30.0,
                 demand={"chat": 3e5, "batch": 1e5})
    npx.add_site(G, "EAST", -80.0, 40.0, capacity=8e5, cost=50.0, demand={"chat": 4e5})
    npx.add_link(G, "WEST", "MID", bandwidth_gbps=0.04, cost_per_gb=1.0)
    npx.add_link(G, "MID", "EAST", bandwidth_gbps=0.02, cost_per_gb=1.0)
    return G


def test_sweep_table_keeps_its_shape_and_records_infeasible_points():
    table = npx.sweep(network(), "demand_scale", [1.0, 0.5, 10.0])
    assert list(table.columns) == LONG_COLUMNS
    status = table.groupby("value", sort=False)["status"].first().to_dict()
    assert status == {1.0: "OPTIMAL", 0.5: "OPTIMAL", 10.0: "INFEASIBLE"}
    infeasible = table[table["value"] == 10.0]
    assert len(infeasible) == 1 and infeasible["node"].isna().all()
    assert "cannot be served" in infeasible["reason"].iloc[0]
    base = table[table["value"] == 1.0]
    assert len(base) == 3 * 2 and (base["price_change"].abs() < 1e-9).all()
    east = table[(table["value"] == 0.5) & (table["node"] == "EAST")
                 & (table["workload"] == "chat")].iloc[0]
    assert east["price"] < east["base_price"]


@pytest.mark.parametrize("parameter,values", [
    ("capacity_scale", [0.8, 1.0, 1.5]),
    ("bandwidth_scale", [0.5, 2.0]),
    ("demand_scale:chat", [0.7, 1.2]),
    ("cost_scale", [2.0]),
    ("capacity:MID", [0.0, 5e4]),
    ("outage:MID-EAST", [None]),
])
def test_reuse_gives_the_tables_of_clearing_from_scratch(parameter, values):
    G = network()
    reused = run_scenarios(G, scenarios_for(parameter, values))
    fresh = run_scenarios(G, scenarios_for(parameter, values), reuse=False)
    assert reused.summary["reused"].all() or (reused.summary["status"] != "OPTIMAL").any()
    assert not fresh.summary["reused"].any()
    a, b = reused.prices, fresh.prices
    assert list(a["status"]) == list(b["status"])
    # Prices are unique here; their split into parts is not where two routes
    # carry flow at the same full cost (either decomposes the price).
    for col in ("objective", "price", "price_change"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9, atol=1e-9, err_msg=col)
    parts = a[["processing", "scarcity", "transport", "congestion", "unserved"]].sum(axis=1)
    np.testing.assert_allclose(parts, a["price"], rtol=1e-9)


def test_summary_measures_changes_against_the_base():
    tables = run_scenarios(network(), scenarios_for("bandwidth:MID-EAST", [0.01, 0.1]))
    summary = tables.summary.set_index("value")
    assert list(tables.summary.columns) == SUMMARY_COLUMNS
    narrow, wide = summary.loc[0.01], summary.loc[0.1]
    assert narrow["cost_change"] > 0 > wide["cost_change"]
    assert wide["max_change_node"] == "EAST" and wide["max_price_change"] < 0
    assert "MID-EAST" in wide["relieved_links"]
    assert wide["saturated_links"] < tables.runner.base.summary()["saturated_links"] + 1
    assert "EAST/chat" in wide["top_price_changes"]


def test_a_scenario_that_fails_is_recorded():
    from netprice.scenarios import Scenario

    scenarios = [Scenario("ok", "capacity_scale", 1.1), Scenario("typo", "capacity:NOPE", 1.0),
                 Scenario("ok too", "capacity_scale", 0.9)]
    summary = run_scenarios(network(), scenarios).summary
    assert list(summary["status"]) == ["OPTIMAL", "FAILED", "OPTIMAL"]
    assert summary["reason"].iloc[1] == "ValueError: capacity:NOPE: no node 'NOPE'"


def test_latency_sweep_is_cleared_from_scratch():
    tables = run_scenarios(network(), scenarios_for("latency_ms:chat", [30, 20, 1]))
    summary = tables.summary
    assert not summary["reused"].any()
    assert list(summary["status"]) == ["OPTIMAL", "OPTIMAL", "INFEASIBLE"]
    assert "MID/chat" in summary["reason"].iloc[2]  # every site serves only itself


def test_sweep_on_a_dask_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    G = network()
    serial = npx.sweep(G, "capacity_scale", [0.5, 0.9, 1.1, 3.0])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c, \
            distributed.Client(c) as client:
        parallel = npx.sweep(G, "capacity_scale", [0.5, 0.9, 1.1, 3.0], client=client)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_cli_sweep_writes_tables(tmp_path):
    path = tmp_path / "net.geojson"
    npx.write_geojson(network(), path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["sweep", str(path), "--param", "demand_scale",
                                      "--values", "0.5:1.5:3,20", "--no-progress",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "demand_scale=20" in result.output and "infeasible" in result.output
    for name in ("sweep", "sweep_summary"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    summary = pd.read_csv(out / "sweep_summary.csv")
    assert list(summary["value"]) == [0.5, 1.0, 1.5, 20]
    assert (out / "parts" / "results.jsonl").exists()
    again = CliRunner().invoke(cli, ["sweep", str(path), "--param", "demand_scale",
                                     "--values", "0.5:1.5:3,20", "--no-progress",
                                     "--out", str(out)])
    assert again.exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "sweep_summary.csv").drop(columns="seconds"),
                                  summary.drop(columns="seconds"))


def test_cli_sweep_rejects_an_unknown_parameter(tmp_path):
    path = tmp_path / "net.geojson"
    npx.write_geojson(network(), path)
    result = CliRunner().invoke(cli, ["sweep", str(path), "--param", "latency:chat",
                                      "--values", "10"])
    assert result.exit_code == 2
    assert "unknown sweep parameter" in result.output
