"""Every example in the documentation runs as written.

The README, ``docs/*.md`` and ``datasets/README.md`` hold three kinds of
example, each run here in a scratch folder laid out as the repository's
root is (``datasets/``, with ``Abilene.graphml`` and ``net.geojson`` beside
them, as the examples name them):

* fenced ``python`` blocks: run in order, one namespace per page, as a
  reader pasting them into one session would;
* fenced ``json`` blocks: a FeatureCollection is read and cleared; a part of
  one (a Feature, the ``netprice`` member) must be valid JSON;
* command lines (``netprice ...``, ``python ...``; in ``sh`` blocks, in
  plain fenced blocks and in the README's indented blocks): run, and must
  exit 0.

An example that names a Dask scheduler (``tcp://10.0.0.5:8786``) runs
against a local one started for it.  ``make`` targets, which install
things, are not run here (CI runs ``make test`` itself).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import netprice as npx

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "datasets" / "README.md"]
SCHEDULER = "tcp://10.0.0.5:8786"
#: Commands that take minutes or start Dask: CI runs them (marker "slow").
SLOW = ("reproduce", "--workers", "--scheduler", "contingency", "build_datasets",
        "check_calibration")


def fenced_blocks(path):
    """``(language, first line number, code)`` of every fenced block, dedented."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        found = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not found:
            i += 1
            continue
        indent, language, start = found.group(1), found.group(2), i + 1
        i += 1
        body = []
        while i < len(lines) and not re.match(rf"^{indent}```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        blocks.append((language, start + 1, textwrap.dedent("\n".join(body))))
        i += 1
    return blocks


def indented_commands(path):
    """``(line number, command)`` of the README's indented (not fenced) command lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    inside, commands = False, []
    for number, line in enumerate(lines, 1):
        if line.strip().startswith("```"):
            inside = not inside
        elif not inside and re.match(r"^ {4}(netprice|python) ", line):
            commands.append((number, line.strip()))
    return commands


def commands(path):
    """Every command line of a page: ``(line number, argv)``."""
    found = [(n, c) for n, c in indented_commands(path)] if path.name == "README.md" else []
    for language, start, code in fenced_blocks(path):
        if language not in ("", "sh", "bash", "console"):
            continue
        logical, first = "", None
        # in a transcript, only the prompted lines are commands; the rest is output
        prompted = any(line.startswith("$ ") for line in code.splitlines())
        for offset, line in enumerate(code.splitlines()):
            if prompted and first is None and not line.startswith("$ "):
                continue
            text = line[2:] if line.startswith("$ ") else line
            if first is None and not re.match(r"^(netprice|python) ", text):
                continue
            first = start + offset if first is None else first
            logical += text.rstrip("\\") + " "
            if not text.endswith("\\"):
                found.append((first, logical.strip()))
                logical, first = "", None
    return [(n, shlex.split(c, comments=True)) for n, c in found]


def _case_id(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


PYTHON_PAGES = [p for p in PAGES if any(b[0] == "python" for b in fenced_blocks(p))]
JSON_BLOCKS = [(p, start, code) for p in PAGES for language, start, code in fenced_blocks(p)
               if language == "json"]
COMMANDS = [pytest.param(p, line, argv, id=_case_id(p, line),
                         marks=[pytest.mark.slow] if any(s in argv for s in SLOW)
                         or any(s in " ".join(argv) for s in SLOW) else [])
            for p in PAGES for line, argv in commands(p)]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch folder laid out like the repository's root, as the examples assume."""
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    shutil.copy(ROOT / "tests" / "data" / "zoo" / "Abilene.graphml", tmp_path)
    shutil.copy(ROOT / "datasets" / "us5.geojson", tmp_path / "net.geojson")
    (tmp_path / "maps").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def scheduler():
    """A local Dask scheduler with two workers, standing in for the docs' remote one."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_every_page_has_been_looked_at():
    # a page whose examples moved to a new kind of block would silently drop out
    assert len(PYTHON_PAGES) >= 5 and len(JSON_BLOCKS) >= 1 and len(COMMANDS) >= 10


@pytest.mark.parametrize("page", [
    pytest.param(p, id=str(p.relative_to(ROOT)),
                 marks=[pytest.mark.slow] if any(s in code for _, _, code in fenced_blocks(p)
                                                 for s in ("contingency(", SCHEDULER)) else [])
    for p in PYTHON_PAGES])
def test_python_examples_run(page, workdir, request):
    blocks = [(start, code) for language, start, code in fenced_blocks(page)
              if language == "python"]
    namespace = {"__name__": f"docs:{page.name}"}
    for start, code in blocks:
        if SCHEDULER in code:
            code = code.replace(SCHEDULER, request.getfixturevalue("scheduler"))
        exec(compile(code, f"{page.relative_to(ROOT)}:{start}", "exec"), namespace)


@pytest.mark.parametrize("page, start, code", JSON_BLOCKS,
                         ids=[_case_id(p, s) for p, s, _ in JSON_BLOCKS])
def test_json_examples_are_networks_that_clear(page, start, code, workdir):
    doc = json.loads(code)
    if doc.get("type") != "FeatureCollection":
        # a part of a file (a Feature, a member): valid JSON, shown in a whole file elsewhere
        assert doc.get("type") == "Feature" or set(doc) <= {"netprice", "features"}, doc
        return
    path = workdir / "example.geojson"
    path.write_text(code)
    res = npx.clear_market(npx.read_geojson(path))
    assert res.status == "OPTIMAL"


@pytest.mark.parametrize("page, line, argv", COMMANDS)
def test_command_examples_run(page, line, argv, workdir, request):
    argv = [request.getfixturevalue("scheduler") if a == SCHEDULER else a for a in argv]
    if argv[0] == "netprice":
        argv = [sys.executable, "-m", "netprice", *argv[1:]]
    elif argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "COLUMNS": "100"})
    assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
