"""N-1 contingency: reused solves equal fresh ones, executors agree, failures are recorded,
an interrupted run resumes, a lost worker does not lose the run."""

import importlib
import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import netprice as npx
from netprice.cli import cli
from netprice.contingency import contingency, contingency_scenarios, ranking_plot, run_contingency
from netprice.distributed import ResultStore, StoreMismatch, run_tasks
from netprice import Market
from netprice.scenarios import Scenario

sweep_module = importlib.import_module("netprice.sweep")  # netprice.sweep is the function


def toy(voll=False):
    """Seven U.S. metros; the NYC-MIA link is a bridge (its outage strands MIA)."""
    G = npx.empty_network({
        "chat": {"latency_ms": 30, "bytes_per_token": 8, "voll": 2000.0 if voll else None},
        "batch": {"bytes_per_token": 64, "compute_intensity": 0.8,
                  "voll": 500.0 if voll else None}}, name="toy7")
    add = npx.add_site
    add(G, "SEA", -122.3, 47.6, capacity=4e5, cost=12.0, demand={"chat": 1e5, "batch": 5e4})
    add(G, "SFO", -122.4, 37.8, demand={"chat": 2e5, "batch": 1e5})
    add(G, "LAX", -118.2, 34.1, capacity=7e5, cost=8.0, demand={"chat": 1.5e5})
    add(G, "DEN", -105.0, 39.7, capacity=3e5, cost=15.0, demand={"chat": 5e4})
    add(G, "CHI", -87.6, 41.9, capacity=6e5, cost=10.0, demand={"chat": 2e5, "batch": 1e5})
    add(G, "NYC", -74.0, 40.7, capacity=3e5, cost=40.0, demand={"chat": 3e5})
    add(G, "MIA", -80.2, 25.8, demand={"chat": 5e4})
    for a, b, bw in [("SEA", "SFO", 0.1), ("SFO", "LAX", 0.1), ("LAX", "DEN", 0.03),
                     ("SEA", "DEN", 0.05), ("DEN", "CHI", 0.04), ("CHI", "NYC", 0.012),
                     ("LAX", "CHI", 0.02), ("NYC", "MIA", 0.01), ("SFO", "DEN", 0.03)]:
        npx.add_link(G, a, b, bandwidth_gbps=bw, cost_per_gb=0.5)
    return G


CHANGES = [Scenario("capacity x0.9", "capacity_scale", 0.9),
           Scenario("bandwidth x0.8", "bandwidth_scale", 0.8),
           Scenario("demand x1.05", "demand_scale", 1.05),
           Scenario("chat demand x0.9", "demand_scale:chat", 0.9),
           Scenario("costs x1.5", "cost_scale", 1.5),
           Scenario("LAX smaller", "capacity:LAX", 5e5),
           Scenario("SFO-LAX wider", "bandwidth:SFO-LAX", 0.08)]


@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster for the module: a scheduler here, two worker processes."""
    import logging

    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c, \
            distributed.Client(c) as client:
        yield c, client


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy") / "toy7.geojson"
    npx.write_geojson(toy(), path)
    return path


def _clear_or_none(fn, errors=None):
    try:
        return fn()
    except npx.InfeasibleMarket as err:
        if errors is not None:
            errors.append(str(err))
        return None


# -- model reuse ------------------------------------------------------------
@pytest.mark.parametrize("formulation", ["route", "layered"])
def test_reused_solves_equal_clearing_from_scratch(formulation):
    G = toy()
    market = Market(G, formulation=formulation)
    reused = 0
    for scenario in contingency_scenarios(G) + CHANGES:
        why_fresh, why = [], []
        fresh = _clear_or_none(lambda: npx.clear_market(scenario.apply(G),
                                                        formulation=formulation), why_fresh)
        res = _clear_or_none(lambda: market.resolve(scenario), why)
        assert (res is None) == (fresh is None), scenario.name
        if res is None:
            assert why == why_fresh  # the same diagnosis
            continue
        reused += res.stats["reused"]
        assert res.checks, "every reused solve is verified"
        assert res.objective == pytest.approx(fresh.objective, rel=1e-9), scenario.name
        # This market's duals are unique, so every price agrees, zero-demand
        # nodes included: a removed link is priced as removed.
        mine, theirs = res.prices["price"], fresh.prices["price"].reindex(res.prices.index)
        assert (mine.isna() == theirs.isna()).all(), scenario.name
        np.testing.assert_allclose(mine.dropna(), theirs.dropna(), rtol=1e-9, atol=1e-12,
                                   err_msg=scenario.name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 utilisation of a removed arc
            rents = res.links["rent"].reindex(fresh.links.index)
        np.testing.assert_allclose(rents, fresh.links["rent"], rtol=1e-9, atol=1e-9)
    assert reused == len(contingency_scenarios(G)) + len(CHANGES) - 3  # 3 outages infeasible


def test_degenerate_prices_still_verified_and_costs_equal():
    # With voll, NYC's compute and MIA's unserved demand tie: NYC's scarcity
    # rent is any value in an interval.  Objectives agree; each solve is verified.
    G = toy(voll=True)
    market = Market(G)
    for scenario in contingency_scenarios(G):
        res, fresh = market.resolve(scenario), npx.clear_market(scenario.apply(G))
        assert res.objective == pytest.approx(fresh.objective, rel=1e-9)
        assert res.stats["reused"] and res.checks
    demand = res.prices["demand"] > 0
    assert (res.prices.loc[demand, "price"] > 0).all()


def test_structural_changes_fall_back_to_a_rebuild():
    G = toy()
    market = Market(G)
    res = market.resolve(Scenario("tight chat", "latency_ms:chat", 25))
    assert not res.stats["reused"]
    assert "latency_limit_ms" in res.stats["rebuild_reason"]
    fresh = npx.clear_market(Scenario("x", "latency_ms:chat", 25).apply(G))
    assert res.objective == pytest.approx(fresh.objective, rel=1e-12)
    # a site that stops serving one workload: its columns go, its row stays
    H = G.copy()
    H.nodes["LAX"]["serves"] = ["batch"]
    res = market.resolve(H)
    assert res.stats["reused"]
    assert res.objective == pytest.approx(npx.clear_market(H).objective, rel=1e-9)


def test_warm_start_solves_from_the_base_basis():
    G = toy()
    warm, cold = Market(G), Market(G, warm_start=False)
    scenario = Scenario("link SFO-LAX", "outage:SFO-LAX")
    a, b = warm.resolve(scenario), cold.resolve(scenario)
    assert a.stats["warm_start"] and not b.stats["warm_start"]
    assert a.stats["simplex_iterations"] is not None
    assert a.objective == pytest.approx(b.objective, rel=1e-9)
    # answers do not depend on what was solved before (same start every time)
    again = Market(G)
    for other in contingency_scenarios(G)[:4]:
        _clear_or_none(lambda: again.resolve(other))
    c = again.resolve(scenario)
    assert c.objective == a.objective
    np.testing.assert_array_equal(c.prices["price"], a.prices["price"])


# -- the contingency table ------------------------------------------------------------------------
def test_infeasible_outage_is_recorded_with_its_diagnosis():
    table = contingency(toy(), progress=False)
    assert len(table) == 9 + 5  # nine links, five sites
    assert list(table["rank"]) == list(range(1, 15))
    bridge = table.set_index("scenario").loc["link NYC-MIA"]
    assert bridge["status"] == "INFEASIBLE"
    assert "MIA/chat" in bridge["reason"] and "no admissible route" in bridge["reason"]
    diagnosis = json.loads(bridge["diagnosis"])
    assert [r["node"] for r in diagnosis["no_route"]] == ["MIA"]
    nyc = table.set_index("scenario").loc["site NYC"]
    assert nyc["status"] == "INFEASIBLE" and "cannot be served" in nyc["reason"]
    # infeasible outages rank first, then the largest price change
    assert set(table["status"].head(3)) == {"INFEASIBLE"}
    feasible = table[table["status"] == "OPTIMAL"]
    assert feasible["max_price_change"].abs().is_monotonic_decreasing
    worst = feasible.iloc[0]
    assert (worst["scenario"], worst["max_change_node"], worst["max_change_workload"]) == \
        ("site CHI", "CHI", "batch")
    assert worst["cost_change"] > 0 and "DEN-CHI" in worst["newly_saturated_links"]
    assert feasible["reused"].all()
    fig = ranking_plot(table)
    assert "outages that move prices most" in fig.axes[0].get_title()


@pytest.mark.slow
def test_serial_workers_and_cluster_give_identical_tables(toy_file, tmp_path, cluster):
    runner = CliRunner()
    serial, workers = tmp_path / "serial", tmp_path / "workers"
    result = runner.invoke(cli, ["contingency", str(toy_file), "--no-progress", "--out",
                                 str(serial)])
    assert result.exit_code == 0, result.output
    assert "site CHI" in result.output
    result = runner.invoke(cli, ["contingency", str(toy_file), "--workers", "2", "--no-progress",
                                 "--out", str(workers)])
    assert result.exit_code == 0, result.output
    _, client = cluster
    inproc = tmp_path / "cluster"
    run_contingency(npx.read_geojson(toy_file), client=client, progress=False, out=inproc)
    for name in ("contingency", "contingency_prices"):
        first = pd.read_csv(serial / f"{name}.csv").drop(columns="seconds", errors="ignore")
        for other in (workers, inproc):
            again = pd.read_csv(other / f"{name}.csv").drop(columns="seconds", errors="ignore")
            pd.testing.assert_frame_equal(first, again, check_exact=True)
        parquet = pd.read_parquet(serial / f"{name}.parquet")
        assert len(parquet) == len(first)
    for name in ("contingency_ranking.png", "worst_outage.html"):
        assert (serial / name).stat().st_size > 1000
    html = (serial / "worst_outage.html").read_text()
    assert "Outaged element" in html and "site CHI" in html


def test_existing_scheduler_and_lost_worker(cluster, toy_file, tmp_path):
    c, client = cluster
    result = CliRunner().invoke(cli, ["contingency", str(toy_file), "--elements", "links",
                                      "--scheduler", c.scheduler_address, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "link NYC-MIA" in result.output
    # A worker process dies mid-task: the scheduler reruns the task elsewhere.
    marker = tmp_path / "died"
    results = run_tasks(_die_once, str(marker), list(range(6)), [str(i) for i in range(6)],
                        on_error=lambda item, err: {"error": repr(err)}, client=client)
    assert marker.exists()
    assert results == {str(i): i * i for i in range(6)}


def test_a_task_that_raises_is_recorded_and_the_run_goes_on(cluster):
    _, client = cluster

    def on_error(item, err):
        return {"error": f"{type(err).__name__}: {err}"}

    serial = run_tasks(_invert, None, [1, 0, 2], ["a", "b", "c"], on_error=on_error)
    parallel = run_tasks(_invert, None, [1, 0, 2], ["a", "b", "c"], on_error=on_error,
                         client=client, batch=3)
    assert serial == parallel == {"a": 1.0, "b": {"error": "ZeroDivisionError: division by zero"},
                                  "c": 0.5}


def _invert(shared, item):
    return 1 / item


def _die_once(marker, item):
    if item == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return item * item


def test_interrupted_run_resumes_where_it_stopped(tmp_path, monkeypatch):
    G = toy()
    complete = run_contingency(G, progress=False, out=tmp_path / "complete").ranking
    calls = []
    original = sweep_module._run_one

    def interrupt_after_five(runner, scenario):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(scenario.name)
        return original(runner, scenario)

    out = tmp_path / "run"
    monkeypatch.setattr(sweep_module, "_run_one", interrupt_after_five)
    with pytest.raises(KeyboardInterrupt):
        run_contingency(G, progress=False, out=out)
    assert len((out / "parts" / "results.jsonl").read_text().splitlines()) == 5
    assert not (out / "contingency.csv").exists()
    with open(out / "parts" / "results.jsonl", "a") as handle:
        handle.write('{"key": "cut short by a crash')  # a line the interruption cut
    calls.clear()
    monkeypatch.setattr(sweep_module, "_run_one", lambda r, s: calls.append(1) or original(r, s))
    resumed = run_contingency(G, progress=False, out=out).ranking
    assert len(calls) == len(complete) - 5
    pd.testing.assert_frame_equal(resumed.drop(columns="seconds"),
                                  complete.drop(columns="seconds"))
    # nothing left to do: a third run computes nothing
    calls.clear()
    run_contingency(G, progress=False, out=out, plot=False, map=False)
    assert calls == []


def test_a_folder_of_another_run_is_not_mixed_in(tmp_path):
    store = ResultStore(tmp_path, "run-a")
    store.append("k", {"x": 1})
    with pytest.raises(StoreMismatch, match="different run"):
        ResultStore(tmp_path, "run-b")
    assert ResultStore(tmp_path, "run-b", resume=False).load() == {}
    G = toy()
    run_contingency(G, progress=False, out=tmp_path / "a", elements="sites", plot=False,
                    map=False)
    G.nodes["LAX"]["capacity"] = 6.5e5
    with pytest.raises(StoreMismatch):
        run_contingency(G, progress=False, out=tmp_path / "a", elements="sites")


def test_cli_help_shows_executor_options():
    runner = CliRunner()
    for command in ("contingency", "sweep"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0
        for option in ("--workers", "--scheduler", "--out", "--no-resume"):
            assert option in result.output, (command, option)
    result = runner.invoke(cli, ["contingency", "x.geojson", "--workers", "2", "--scheduler",
                                 "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
