"""The command line: summary tables, outputs, one-line errors, exit codes."""

import json
import subprocess
import sys

import pytest

import netprice as npx


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "netprice", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture
def market_file(tmp_path, two_node):
    G = two_node(workloads={"chat": {"latency_ms": 50, "bytes_per_token": 8},
                            "batch": {"bytes_per_token": 4}},
                 demand_b={"chat": 5e5, "batch": 1e5})
    path = tmp_path / "two.geojson"
    npx.write_geojson(G, path)
    return path


@pytest.mark.slow
def test_clear_both_modes_prints_summary_and_writes_tables(market_file, tmp_path):
    out = tmp_path / "out"
    result = run("clear", market_file, "--mode", "both", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Locational prices" in result.stdout
    assert "baseline" in result.stdout and "transfer" in result.stdout
    assert "Saturated links" in result.stdout
    for name in ("prices_baseline.csv", "links_transfer.csv", "routes_transfer.csv",
                 "annotated_transfer.geojson", "summary.json", "modes.png",
                 "rents_transfer.png", "merit_order_baseline.png"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["transfer"]["status"] == "OPTIMAL"
    back = npx.read_geojson(out / "annotated_transfer.geojson")
    assert back.nodes["B"]["price"]["chat"] == pytest.approx(50.0)


def test_json_output(market_file):
    result = run("clear", market_file, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["results"]["transfer"]["prices"]["B/chat"] == pytest.approx(50.0)


@pytest.mark.parametrize("content, code, needle", [
    ("{not json", 2, "is not valid JSON"),
    ('{"type": "Feature"}', 2, "not a GeoJSON FeatureCollection"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, content, code, needle):
    bad = tmp_path / "bad.geojson"
    bad.write_text(content)
    out = tmp_path / "out"
    result = run("clear", bad, "--out", out, "--map", out / "m.html")
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "bad.geojson" in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file(tmp_path):
    result = run("clear", tmp_path / "nope.geojson")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_infeasible_market_exit_3(tmp_path):
    G = npx.empty_network({"chat": {"latency_ms": 1.0, "bytes_per_token": 8}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    npx.add_site(G, "B", -80.0, 40.0, demand={"chat": 5e5})
    npx.add_link(G, "A", "B", bandwidth_gbps=10)
    path = tmp_path / "far.geojson"
    npx.write_geojson(G, path)
    result = run("clear", path, "--out", tmp_path / "out")
    assert result.returncode == 3
    assert "no admissible route for B/chat" in result.stderr
    assert not (tmp_path / "out").exists()


def test_help_lists_examples():
    result = run("clear", "--help")
    assert result.returncode == 0
    assert "Examples" in result.stdout and "--mode" in result.stdout


@pytest.mark.parametrize("command", [
    ["sweep", "--param", "latency_ms:chat", "--values", "50,1"],
    ["contingency", "--elements", "links"],
])
def test_scenario_commands_print_json(market_file, command):
    result = run(command[0], market_file, *command[1:], "--no-progress", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    statuses = {row["status"] for row in doc["scenarios"]}
    assert statuses <= {"OPTIMAL", "INFEASIBLE"} and statuses
    if command[0] == "sweep":
        # At 1 ms B's chat cannot reach the cheap site A: B serves it at 50 $/Mtok.
        tight = next(row for row in doc["scenarios"] if row["value"] == 1)
        assert tight["status"] == "OPTIMAL" and tight["cost_change"] > 0


@pytest.mark.slow
def test_market_command_writes_surplus_screens_and_charts(tmp_path):
    out = tmp_path / "market"
    result = run("market", npx.dataset_path("us5-market"), "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Pivotal sellers" in result.stdout and "Uniform price" in result.stdout
    for name in ("prices.csv", "offers.csv", "bids.csv", "surplus.csv", "settlement.json",
                 "rsi.csv", "rsi_map.html", "uniform_price.csv", "uniform_totals.csv",
                 "supply_demand_chat.png", "supply_demand_image.png"):
        assert (out / name).exists(), name
    settlement = json.loads((out / "settlement.json").read_text())
    assert settlement["checks"]["surplus identity"][0] <= 1e-8
    rsi = (out / "rsi.csv").read_text()
    assert "hyperscaler" in rsi and "True" in rsi


def test_market_command_refuses_bad_bids_one_line_nothing_written(tmp_path):
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0,
                 bids={"chat": [{"tokens_per_s": 1e5, "price": 1.0},
                                {"tokens_per_s": 1e5, "price": 2.0}]})
    path = tmp_path / "bad.geojson"
    npx.write_geojson(G, path)
    out = tmp_path / "out"
    result = run("market", path, "--out", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bids.chat[1].price" in lines[0] and "bad.geojson" in lines[0]
    assert not out.exists()
