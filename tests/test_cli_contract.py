"""The command line keeps the promises of the README.

Exit codes: 0 success, 2 input or usage (the user's to fix), 3 infeasible,
4 solver or verification, 130 interrupted, 1 only for bugs.  Every error
is one line on stderr, every warning one line, and a failed command
writes nothing.  These run the installed module in a subprocess, as a
user does.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import netprice as npx

HERE = Path(__file__).parent
ROOT = HERE.parent


def run(*args, cwd=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "netprice", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300, **kwargs)


def one_error_line(proc, code):
    lines = proc.stderr.strip("\n").splitlines()
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("netprice: error: ")
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return lines[0]


@pytest.fixture
def two(tmp_path):
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0)
    npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    npx.add_link(G, "A", "B", bandwidth_gbps=0.008)
    path = tmp_path / "two.geojson"
    npx.write_geojson(G, path)
    return path


# -- usage ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["clear", "--bogus"], "No such option '--bogus'"),
    (["clear"], "Missing argument 'FILE'"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["clear", "x.geojson", "--mode", "fast"], "'fast' is not one of"),
])
def test_usage_errors_are_one_line_exit_2(args, needle):
    line = one_error_line(run(*args), 2)
    assert needle in line and "--help" in line


def test_help_and_version_are_not_errors():
    alone = run()
    assert alone.stderr.startswith("Usage: netprice [OPTIONS] COMMAND") and "clear" in alone.stderr
    assert run("--version").returncode == 0 and run("clear", "--help").returncode == 0


def test_empty_sweep_value_is_refused_not_skipped(two, tmp_path):
    out = tmp_path / "out"
    proc = run("sweep", two, "--param", "latency_ms:chat", "--values", "100,,15", "--out", out)
    line = one_error_line(proc, 2)
    assert "value 2 of '100,,15' is empty" in line
    assert not out.exists()


# -- outputs the user cannot write -------------------------------------------------------------

def _targets(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return blocker


@pytest.mark.parametrize("command", [
    ["clear", "{file}", "--map", "{blocker}/maps/m.html"],
    ["clear", "{file}", "--out", "{blocker}/out"],
    ["clear", "{file}", "--map", "/proc/netprice-test.html"],
    ["sweep", "{file}", "--param", "demand_scale", "--values", "1,2", "--out", "{blocker}/o"],
    ["contingency", "{file}", "--out", "{blocker}/o", "--no-progress"],
    ["contingency", "{file}", "--out", "/proc/netprice-test", "--no-progress"],
    ["import", str(HERE / "data" / "zoo" / "Abilene.graphml"), "-o", "{blocker}/a.geojson"],
    ["compare", "{file}", "--map", "{blocker}/compare.html"],
    ["market", "{file}", "--out", "{blocker}/o"],
    ["market", "{file}", "--out", "/proc/netprice-test"],
    ["day", "{day}", "--out", "{blocker}/o"],
])
def test_unwritable_output_is_the_users_input_exit_2(command, two, tmp_path):
    blocker = _targets(tmp_path)
    day = ROOT / "datasets" / "us20-day.geojson"
    args = [a.format(file=two, blocker=blocker, day=day) for a in command]
    target = next(a for a in args if a.startswith((str(blocker), "/proc")))
    line = one_error_line(run(*args, cwd=tmp_path), 2)
    assert line.startswith(f"netprice: error: {target}: cannot write: ")
    assert ".tmp" not in line and "Dask" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "two.geojson"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_the_users_input(two, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_error_line(run("clear", two, "--out", folder / "out"), 2)
        assert f"{folder / 'out'}: cannot write: Permission denied" in line
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# -- warnings ------------------------------------------------------------------------------------

def test_compute_without_cost_is_one_warning_line(tmp_path):
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, demand={"chat": 1e3})
    path = tmp_path / "free.geojson"
    npx.write_geojson(G, path)
    proc = run("clear", path, "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("netprice: warning: 1 compute site(s)")
    assert "have no cost" in lines[0] and "'A'" in lines[0]
    assert json.loads(proc.stdout)["results"]["transfer"]["objective_per_h"] == 0


def test_emoji_in_names_is_one_warning_without_a_source_path(tmp_path):
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "A🚀", -100.0, 40.0, capacity=1e6, cost=10.0, name="Rocket 🚀")
    npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, cost=50.0, demand={"chat": 5e5})
    npx.add_link(G, "A🚀", "B", bandwidth_gbps=0.008)
    path = tmp_path / "emoji.geojson"
    npx.write_geojson(G, path)
    proc = run("clear", path, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip("\n").splitlines()
    assert lines == ["netprice: warning: the chart font has no glyph for 🚀; those characters "
                     "of node or link names are drawn as empty boxes in the PNG charts"]
    assert (tmp_path / "out" / "merit_order.png").stat().st_size > 0


# -- pipes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_a_closed_pipe_is_not_an_error(two, extra):
    proc = subprocess.Popen([sys.executable, "-m", "netprice", "clear", str(two), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "COLUMNS": "100"})
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and err == b""


# -- Ctrl-C ----------------------------------------------------------------------------------------

def _interrupt_when(proc, results, count, timeout=240):
    """Send SIGINT to the command's process group, as a terminal does, once
    ``count`` scenarios are kept in ``results``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if results.exists() and results.read_bytes().count(b"\n") >= count:
            break
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return err


@pytest.mark.slow
@pytest.mark.parametrize("executor", [[], ["--workers", "2"]], ids=["serial", "workers"])
def test_ctrl_c_keeps_finished_scenarios_and_the_same_command_resumes(executor, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "netprice", "sweep", str(npx.dataset_path("us20")),
               "--param", "demand_scale", "--values", "0.5:1.5:200", "--out", str(out),
               "--no-progress", "--json", *executor]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    results = out / "parts" / "results.jsonl"
    err = _interrupt_when(proc, results, 3)
    lines = err.strip("\n").splitlines()
    assert proc.returncode == 130, err
    assert len(lines) == 1 and "Traceback" not in err, err
    kept = results.read_bytes().count(b"\n")
    assert 3 <= kept < 200
    assert lines[0] == (f"netprice: error: interrupted; the {kept} finished scenario(s) are "
                        f"kept in {out / 'parts'}, and the same command resumes from there")
    assert not (out / "sweep.csv").exists()
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert len(json.loads(again.stdout)["scenarios"]) == 200
    assert results.read_bytes().count(b"\n") == 200  # the kept ones were not run again


def test_ctrl_c_without_out_says_nothing_was_written(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "netprice", "sweep",
                             str(npx.dataset_path("us20")), "--param", "demand_scale",
                             "--values", "0.5:1.5:200", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)
    time.sleep(6)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [
        "netprice: error: interrupted; nothing was written (with --out DIR, finished scenarios "
        "are kept and the same command resumes)"]
    assert list(tmp_path.iterdir()) == []


# -- tables --------------------------------------------------------------------------------------

def test_long_tables_show_their_top_rows_and_say_how_many_more(tmp_path):
    G = npx.empty_network({"chat": {"bytes_per_token": 8}})
    for i in range(40):
        npx.add_site(G, f"N{i}", -100.0 + i * 0.5, 40.0, capacity=1e6, cost=1.0 + i,
                     demand={"chat": 1e3})
        if i:
            npx.add_link(G, f"N{i - 1}", f"N{i}", bandwidth_gbps=1e-4)
    path = tmp_path / "line.geojson"
    npx.write_geojson(G, path)
    proc = run("clear", path, "--rows", "10", "--out", tmp_path / "out",
               env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    assert "│ N9 " in proc.stdout and "│ N10 " not in proc.stdout
    assert f"\n... and 30 more rows (the tables in {tmp_path / 'out'} hold every row)\n" \
        in proc.stdout
    assert (tmp_path / "out" / "prices.csv").read_text().count("\n") == 41


def test_zoo_tables_follow_the_file_with_names():
    proc = run("clear", HERE / "data" / "zoo" / "Abilene.graphml", "--rows", "0",
               env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    prices = proc.stdout.split("Locational prices")[1]
    rows = [line.split("│")[1:3] for line in prices.splitlines() if line.startswith("│ ")]
    ids = [r[0].strip() for r in rows if r and r[0].strip().isdigit()]
    assert ids == [str(i) for i in range(11)]
    assert rows[0][1].strip() == "New York"


def test_sweep_labels_are_short(two):
    proc = run("sweep", two, "--param", "demand_scale", "--values", "0.5:1.5:14", "--json",
               "--no-progress")
    assert proc.returncode == 0, proc.stderr
    names = [row["scenario"] for row in json.loads(proc.stdout)["scenarios"]]
    assert "demand_scale=0.576923" in names
    assert max(len(n) for n in names) <= len("demand_scale=0.576923")


# -- maps ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, needle", [("5:1", "LOW must be below HIGH"),
                                           ("video=0:1", "no workload 'video'"),
                                           ("cheap", "is not [WORKLOAD=]LOW:HIGH")])
def test_a_bad_price_range_is_a_usage_error_before_anything_runs(two, tmp_path, given, needle):
    proc = run("clear", two, "--map", tmp_path / "m.html", "--price-range", given)
    assert needle in one_error_line(proc, 2)
    assert not (tmp_path / "m.html").exists()


def test_a_fixed_price_range_reaches_the_map(two, tmp_path):
    path = tmp_path / "m.html"
    proc = run("clear", two, "--map", path, "--price-range", "chat=0:100", "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    html = path.read_text()
    assert "fixed scale: prices beyond it take its end colours" in html
