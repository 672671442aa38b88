"""The day-ahead market end to end: the shipped day, the command line, Dask, the report."""

import json
import logging
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import netprice as npx
from netprice.diurnal import DEMAND_SHAPES, PRICE_SHAPES, node_timezone
from netprice.period_runs import clear_periods
from netprice.periods import window_periods


@pytest.fixture(scope="module")
def day_shared():
    return npx.read_geojson(npx.dataset_path("us20-day"))


@pytest.fixture(scope="module")
def day_result(day_shared):
    return npx.clear_market(day_shared)


def run(*args):
    return subprocess.run([sys.executable, "-m", "netprice", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_shapes_have_24_hours_and_mean_one():
    for shape in list(DEMAND_SHAPES.values()) + list(PRICE_SHAPES.values()):
        assert len(shape) == 24 and np.mean(shape) == pytest.approx(1.0, rel=1e-12)


def test_the_shipped_day_spans_the_time_zones_and_lets_batch_wait(day_shared):
    G = day_shared
    assert len(G.graph["periods"]) == 24
    zones = {node_timezone(d["lon"], d["lat"]) for _, d in G.nodes(data=True)}
    assert {"America/Los_Angeles", "America/Denver", "America/Phoenix", "America/Chicago",
            "America/New_York"} <= zones
    specs = G.graph["workloads"]
    assert window_periods(G, specs["batch"]) >= 6
    assert all(window_periods(G, specs[w]) == 0 for w in ("chat", "code", "image"))
    # Chat peaks three hours later in Seattle than in New York (UTC periods).
    peak = {n: int(np.argmax(G.nodes[n]["demand"]["chat"])) for n in ("NYC", "SEA")}
    assert (peak["SEA"] - peak["NYC"]) % 24 == 3


def test_the_shipped_day_clears_exact_and_verified(day_result):
    res = day_result
    assert res.exact and not res.independent and res.status == "OPTIMAL"
    res.verify()
    assert abs(res.settlement["identity_gap"]) <= 1e-6 * res.objective
    assert res.objective == pytest.approx(res.objective_per_h.sum() * res.period_hours)
    moved = res.moved()
    assert moved.loc["batch", "moved_share"] > 0.3
    # A batch token waits at most its window.
    assert res.deferral["hours"].max() <= 8.0


def test_clear_prints_the_day_and_one_period(tmp_path):
    out = tmp_path / "out"
    result = run("clear", npx.dataset_path("us20-day"), "--period", "2026-07-01T09:00Z",
                 "--out", out, "--map", tmp_path / "day.html")
    assert result.returncode == 0, result.stderr
    assert "cost over the 24 periods" in result.stdout
    assert "Locational prices ($/Mtok) at" in result.stdout and "09:00Z" in result.stdout
    prices = pd.read_csv(out / "prices.csv")
    assert list(prices.columns[:3]) == ["node", "workload", "period"]
    assert len(prices) == 20 * 4 * 24
    assert (out / "deferral.csv").exists() and (out / "settlement_by_period.csv").exists()
    back = npx.read_geojson(out / "annotated.geojson")
    assert back.graph["result"]["period"] == "2026-07-01T09:00Z"
    assert "np-periods" in (tmp_path / "day.html").read_text()


def test_clear_refuses_a_period_that_is_not_there(tmp_path):
    result = run("clear", npx.dataset_path("us20-day"), "--period", "25", "--out",
                 tmp_path / "out")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "--period" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_day_file_is_one_line_and_exit_2(tmp_path, day_shared):
    doc = npx.io.geojson.to_feature_collection(day_shared)
    node = next(f for f in doc["features"] if f["id"] == "SEA")
    node["properties"]["demand"]["chat"] = node["properties"]["demand"]["chat"][:23]
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(doc))
    result = run("clear", path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("feature 'SEA', field 'demand.chat': has 23 values, "
                                          "expected 24 (one per period of netprice.periods))") \
        or "field 'demand.chat': has 23 values, expected 24" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_independent_periods_on_dask_equal_the_serial_run(day_shared):
    distributed = pytest.importorskip("distributed")
    G = npx.io.geojson.read_geojson(npx.dataset_path("us20-day"))
    G.graph["periods"] = G.graph["periods"][:6]
    for _, data in G.nodes(data=True):
        data["demand"] = {w: v[:6] for w, v in data["demand"].items()}
        if isinstance(data.get("cost"), list):
            data["cost"] = data["cost"][:6]
    G.graph["workloads"]["batch"]["defer_h"] = 0.0
    serial = npx.clear_market(G)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c, \
            distributed.Client(c) as client:
        parallel = clear_periods(G, client=client)
    assert parallel.independent and parallel.objective == serial.objective
    for name in ("prices", "nodes", "links", "service", "routes"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name),
                                      check_exact=True)
    assert parallel.checks == serial.checks


@pytest.mark.slow
def test_the_day_report(tmp_path):
    result = run("day", npx.dataset_path("us20-day"), "--out", tmp_path / "day")
    assert result.returncode == 0, result.stderr
    for name in ("report.md", "price_heatmap.png", "prices_over_day.png", "shifted_load.png",
                 "deferral_windows.png", "day_map.html", "deferral_windows.csv"):
        assert (tmp_path / "day" / name).exists(), name
    table = pd.read_csv(tmp_path / "day" / "deferral_windows.csv")
    assert list(table["window_h"]) == [0, 2, 6, 12]
    assert (np.diff(table["cost"]) <= 1e-9 * table["cost"].iloc[0]).all()
    assert table["peak_price"].iloc[-1] < table["peak_price"].iloc[0]
