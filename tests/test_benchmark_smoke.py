"""Smoke tests of the benchmark scripts, run as a user would, in a subprocess.

``benchmarks/run.py --quick`` runs on Abilene only (the copy in
``tests/data/zoo``), one measurement per cell: a few seconds (most of it
importing PyPSA when it is installed).  The tests check that the script
runs end to end and prints a table with netprice's phases for both cases
-- not the timings, which depend on the machine.  ``run.py --against``
and ``benchmarks/identical_tables.py`` are run with this checkout on both
sides.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Each starts Python processes that import netprice (and PyPSA): 5-20 s.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "run.py"
ZOO = ROOT / "tests" / "data" / "zoo"


def test_quick_run_prints_a_table(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--zoo", str(ZOO), "--plain", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("network"))
    for column in ("rows", "nnz", "validate", "build", "solve", "prices+verify", "tables",
                   "end to end", "overhead", "peak MiB", "PyPSA e2e"):
        assert column in header, column
    rows = [line.split() for line in lines if line.startswith("Abilene")]
    assert [r[3] for r in rows] == ["1", "4"], proc.stdout
    assert all(r[1] == "11" for r in rows)
    assert out.exists() and '"network": "Abilene"' in out.read_text()


def test_quick_does_not_need_the_shared_zoo(tmp_path):
    """--quick falls back to tests/data/zoo when --zoo has no Abilene."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--zoo", str(tmp_path), "--no-pypsa",
         "--cases", "1", "--plain"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any(line.startswith("Abilene") for line in proc.stdout.splitlines())


def test_against_another_checkout_prints_new_over_old(tmp_path):
    """--against measures a second checkout (here this one again) and prints new/old."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--no-pypsa", "--cases", "1", "--plain",
         "--against", str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("network  case"))
    assert "e2e new/old" in header and "same objective" in header
    row = next(line for line in lines if line.startswith("Abilene") and "yes" in line)
    assert float(row.split()[4].rstrip("!")) > 0


def test_identical_tables_of_a_checkout_against_itself(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "identical_tables.py"), "--against", str(ROOT),
         "--networks", "Abilene", "--datasets", "us5", "--modes", "transfer", "--keep",
         str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line.split() for line in proc.stdout.splitlines()
            if line.startswith(("us5 ", "Abilene "))]
    assert rows == [[name, "transfer"] + ["yes"] * 7 for name in ("us5", "Abilene")]
    assert "all identical" in proc.stdout
    assert (tmp_path / "new" / "us5" / "transfer" / "prices.csv").stat().st_size > 100
