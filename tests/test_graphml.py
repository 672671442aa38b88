"""Importing Internet Topology Zoo GraphML: cleaning rules, synthesis, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import netprice
from netprice.errors import ValidationError
from netprice.graph import serving_sites
from netprice.io.geojson import read_geojson
from netprice.io.graphml import graphml_to_geojson, link_speed_gbps, read_graphml
from netprice.synth import electricity_price, site_cost, synthesise_market
from netprice.validate import validate

ZOO = Path(__file__).parent / "data" / "zoo"
#: The files chosen for a cleaning rule each (tests/data/zoo/README.md); the
#: folder also holds the benchmarks' networks, which these tests do not need.
FILES = [ZOO / f"{name}.graphml"
         for name in ("Abilene", "Airtel", "Belnet2005", "Ion", "KentmanApr2007")]
NAMES = [f.stem for f in FILES]


@pytest.fixture(scope="module")
def imported():
    return {f.stem: read_graphml(f, seed=0) for f in FILES}


def _snapshot(G) -> str:
    """Every attribute of a graph, as text: equal texts mean byte-identical attributes."""
    return json.dumps({
        "graph": G.graph,
        "nodes": [[n, d] for n, d in G.nodes(data=True)],
        "edges": [[u, v, d] for u, v, d in G.edges(data=True)],
    }, sort_keys=True, default=repr)


def _graphml(tmp_path, nodes, edges, *, multigraph=True, name="hand.graphml"):
    """A Topology-Zoo-shaped GraphML file: nodes {id: (lon, lat) or None}, edges [(u, v, bit/s)]."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        '<key attr.name="Latitude" attr.type="double" for="node" id="lat"/>',
        '<key attr.name="Longitude" attr.type="double" for="node" id="lon"/>',
        '<key attr.name="label" attr.type="string" for="node" id="label"/>',
        '<key attr.name="hyperedge" attr.type="int" for="node" id="hyper"/>',
        '<key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="raw"/>',
        '<graph edgedefault="undirected">',
    ]
    for n, pos in nodes.items():
        body = f'<data key="label">{n}</data>'
        if pos is None:
            body += '<data key="hyper">1</data>' if n.startswith("h") else ""
        else:
            body += f'<data key="lon">{pos[0]}</data><data key="lat">{pos[1]}</data>'
        lines.append(f'<node id="{n}">{body}</node>')
    for k, (u, v, raw) in enumerate(edges):
        body = "" if raw is None else f'<data key="raw">{raw}</data>'
        lines.append(f'<edge source="{u}" target="{v}" id="e{k}">{body}</edge>')
    lines += ["</graph>", "</graphml>"]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------- real files

@pytest.mark.parametrize("name", NAMES)
def test_zoo_file_imports_and_validates(imported, name):
    G = imported[name]
    validate(G)
    report = G.graph["import_report"]
    assert report["file"] == f"{name}.graphml"
    assert report["nodes"] == G.number_of_nodes()
    assert 2 * report["links"] == G.number_of_edges()
    assert all(isinstance(n, str) for n in G)
    assert sum(report["bandwidth_sources"].values()) <= report["links_in_file"]


def test_names_come_from_labels(imported):
    assert imported["Abilene"].nodes["0"]["name"] == "New York"
    assert imported["Abilene"].graph["name"] == "Abilene"


def test_link_latency_is_derived_from_the_geodesic(imported):
    G = imported["Abilene"]
    for u, v, d in G.edges(data=True):
        assert d["latency_source"] == "geodesic"
        assert d["latency_ms"] == pytest.approx(d["length_km"] * 1.4 / 204.2, rel=1e-3)


def test_parallel_links_are_merged_with_summed_bandwidth(imported):
    raw = nx.read_graphml(ZOO / "Belnet2005.graphml")
    G = imported["Belnet2005"]
    merged = G.graph["import_report"]["parallel_links_merged"]
    assert merged == {"7-10": 2, "10-14": 3}
    for link, count in merged.items():
        u, v = link.split("-")
        speeds = [d["LinkSpeedRaw"] for d in raw.get_edge_data(u, v).values()]
        assert len(speeds) == count
        for a, b in ((u, v), (v, u)):
            assert G.edges[a, b]["bandwidth_gbps"] == pytest.approx(sum(speeds) / 1e9)
            assert G.edges[a, b]["file_links"] == count


def test_parallel_links_without_speeds_add_their_defaults(imported):
    G = imported["Airtel"]
    assert G.graph["import_report"]["parallel_links_merged"]["0-7"] == 3
    assert G.edges["0", "7"]["bandwidth_gbps"] == 3 * 100.0
    assert G.edges["0", "7"]["bandwidth_source"] == "default core"


def test_a_missing_speed_beside_known_ones_takes_the_file_median(imported):
    G = imported["KentmanApr2007"]
    raw = nx.read_graphml(ZOO / "KentmanApr2007.graphml")
    known = [d["LinkSpeedRaw"] / 1e9 for _, _, d in raw.edges(data=True) if "LinkSpeedRaw" in d]
    assert G.graph["import_report"]["bandwidth_sources"]["file median"] == 1
    assert G.edges["11", "21"]["bandwidth_gbps"] == pytest.approx(0.155 + np.median(known))
    assert G.edges["11", "21"]["bandwidth_source"] == "LinkSpeedRaw+file median"


def test_nodes_without_coordinates_are_placed_as_junctions(imported):
    G = imported["Belnet2005"]
    report = G.graph["import_report"]
    assert sorted(report["nodes_placed"]) == ["10", "11", "12"]
    for n, placed in report["nodes_placed"].items():
        data = G.nodes[n]
        assert (data["lon"], data["lat"]) == (placed["lon"], placed["lat"])
        assert data["role"] == "junction"
        assert not data.get("demand") and not data.get("capacity")
        for m in placed["from"]:
            assert G.has_edge(n, m)
    # The three could only be placed between 7 and 14, which share a place.
    assert (G.nodes["10"]["lon"], G.nodes["10"]["lat"]) == pytest.approx(
        (G.nodes["7"]["lon"], G.nodes["7"]["lat"]))
    assert report["nodes_dropped"] == {n: "no coordinates, and a dead end" for n in ("5", "8", "9")}
    for n in report["nodes_dropped"]:
        assert n not in G


def test_unplaceable_exchange_points_are_dropped_and_reported(imported):
    G = imported["Airtel"]
    raw = nx.read_graphml(ZOO / "Airtel.graphml")
    without = sorted(n for n, d in raw.nodes(data=True) if "Latitude" not in d)
    assert sorted(G.graph["import_report"]["nodes_dropped"]) == without
    assert all(n not in G for n in without)


def test_duplicate_hyperedges_are_one_junction(imported):
    G = imported["Ion"]
    report = G.graph["import_report"]
    assert report["duplicate_hyperedges_merged"] == {"22": "21"}
    assert "22" not in G and G.nodes["21"]["role"] == "junction"
    for town in ("54", "79", "80"):
        assert G.edges["21", town]["file_links"] == 2
        assert f"21-{town}" in report["parallel_links_merged"]


def test_disconnected_parts_keep_the_largest(imported):
    G = imported["KentmanApr2007"]
    assert G.graph["import_report"]["components_dropped"] == [["17"]]
    assert "17" not in G
    assert nx.is_strongly_connected(G)


def test_components_all_keeps_every_part_with_its_own_compute():
    G = read_graphml(ZOO / "KentmanApr2007.graphml", seed=0, components="all")
    validate(G)
    assert "17" in G and G.graph["import_report"]["components_dropped"] == []
    for part in nx.weakly_connected_components(G):
        assert any(G.nodes[n].get("capacity") for n in part)


def test_read_is_deterministic_for_a_seed():
    first = read_graphml(ZOO / "Ion.graphml", seed=7)
    again = read_graphml(ZOO / "Ion.graphml", seed=7)
    assert _snapshot(first) == _snapshot(again)


def test_geojson_export_is_byte_identical_for_a_seed(tmp_path):
    graphml_to_geojson(ZOO / "Airtel.graphml", tmp_path / "a.geojson", seed=11)
    graphml_to_geojson(ZOO / "Airtel.graphml", tmp_path / "b.geojson", seed=11)
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()


def test_different_seeds_give_different_markets():
    a = read_graphml(ZOO / "Abilene.graphml", seed=0)
    b = read_graphml(ZOO / "Abilene.graphml", seed=1)
    assert _snapshot(a) != _snapshot(b)
    assert ([d["demand"] for _, d in a.nodes(data=True)]
            != [d["demand"] for _, d in b.nodes(data=True)])
    # The topology is the file's, whatever the seed.
    assert list(a.edges) == list(b.edges)
    assert [d["bandwidth_gbps"] for *_, d in a.edges(data=True)] == \
           [d["bandwidth_gbps"] for *_, d in b.edges(data=True)]


@pytest.mark.parametrize("name", NAMES)
def test_latency_limits_bind_yet_every_demand_has_a_site(imported, name):
    G = imported[name]
    sites = [n for n, cap in G.nodes(data="capacity") if cap]
    fewer = 0
    for n, demand in G.nodes(data="demand"):
        for w, tokens in (demand or {}).items():
            admissible = serving_sites(G, n, w)
            assert tokens == 0 or admissible, f"{n} has no site for {w}"
            fewer += len(admissible) < len(sites)
    assert fewer > 0
    assert G.graph["workloads"]["chat"]["latency_ms"] < G.graph["workloads"]["code"]["latency_ms"]
    assert G.graph["workloads"]["batch"]["latency_ms"] is None


@pytest.mark.parametrize("name", NAMES)
def test_demand_is_60_to_80_percent_of_compute(imported, name):
    G = imported[name]
    specs = G.graph["workloads"]
    need = sum(tokens * specs[w]["compute_intensity"]
               for _, demand in G.nodes(data="demand") if demand for w, tokens in demand.items())
    capacity = sum(cap or 0.0 for _, cap in G.nodes(data="capacity"))
    assert 0.6 <= need / capacity <= 0.8
    n_demand = sum(1 for _, d in G.nodes(data="demand") if d)
    n_sites = sum(1 for _, cap in G.nodes(data="capacity") if cap)
    assert 2 <= n_sites <= max(2, math.ceil(0.25 * n_demand))


def test_site_costs_follow_regional_electricity(imported):
    assert electricity_price(10.8, 59.9) < electricity_price(-0.1, 51.5)  # Oslo < London
    assert site_cost(60.0) < site_cost(200.0)
    G = imported["Ion"]
    sites = [d for _, d in G.nodes(data=True) if d.get("capacity")]
    for d in sites:
        assert d["electricity_usd_mwh"] == pytest.approx(
            electricity_price(d["lon"], d["lat"]), rel=1e-2)
        # The seeded site factor is lognormal with sigma 0.1: within 4 sigma.
        assert 0.67 < d["cost"] / site_cost(d["electricity_usd_mwh"]) < 1.5
        assert 0.5 <= d["proc_latency_ms"] <= 2.0


# ---------------------------------------------------------------- hand-made files

def test_hand_made_file_follows_every_rule(tmp_path):
    path = _graphml(tmp_path, {
        "a": (0.0, 50.0), "b": (1.0, 50.0), "c": (2.0, 50.0),
        "h1": None, "h2": None,        # duplicate hyperedges joining a, b, c
        "x": None,                    # a chain node between b and c
        "stub": None,                 # hangs off a: dropped
        "lost": None, "lost2": None,  # no geolocated node in their part: dropped
        "far": (10.0, 60.0), "far2": (10.5, 60.0),  # a smaller part: dropped
    }, [
        ("a", "b", 1e9), ("a", "b", 2e9), ("b", "c", 4e9), ("b", "x", None), ("x", "c", 1e10),
        ("h1", "a", 1e9), ("h1", "b", 1e9), ("h1", "c", 1e9),
        ("h2", "a", 1e9), ("h2", "b", 1e9), ("h2", "c", 1e9),
        ("a", "stub", None), ("lost", "lost2", None), ("far", "far2", 1e9), ("c", "c", 1e9),
    ])
    G = read_graphml(path, seed=3)
    report = G.graph["import_report"]
    assert report["self_loops_dropped"] == ["c"]
    assert report["parallel_links_merged"] == {"a-b": 2, "a-h1": 2, "b-h1": 2, "c-h1": 2}
    assert G.edges["a", "b"]["bandwidth_gbps"] == 3.0
    assert G.edges["h1", "a"]["bandwidth_gbps"] == 2.0
    assert report["duplicate_hyperedges_merged"] == {"h2": "h1"}
    assert sorted(report["nodes_placed"]) == ["h1", "x"]
    assert G.nodes["x"]["lon"] == pytest.approx(1.5, abs=1e-3)
    assert G.nodes["h1"]["lon"] == pytest.approx(1.0, abs=1e-3)
    assert report["nodes_dropped"] == {
        "stub": "no coordinates, and a dead end",
        "lost": "no coordinates, and no geolocated node in its part of the network",
        "lost2": "no coordinates, and no geolocated node in its part of the network",
        "far": "not in the largest connected part",
        "far2": "not in the largest connected part",
    }
    assert report["components_dropped"] == [["far", "far2"]]
    # The median of the file's known speeds (1, 2, 4, 10, 1 ... Gbit/s) fills the gap.
    assert G.edges["b", "x"]["bandwidth_source"] == "file median"
    assert sorted(G) == ["a", "b", "c", "h1", "x"]


def test_a_file_without_speeds_uses_the_default_classes(tmp_path):
    path = _graphml(tmp_path, {"a": (0.0, 50.0), "b": (1.0, 50.0), "c": (2.0, 50.0),
                               "d": (2.0, 51.0)},
                    [("a", "b", None), ("b", "c", None), ("c", "a", None), ("c", "d", None)])
    G = read_graphml(path)
    assert G.edges["a", "b"]["bandwidth_gbps"] == 100.0
    assert G.edges["c", "d"]["bandwidth_gbps"] == 10.0
    assert G.graph["import_report"]["bandwidth_sources"] == {"default access": 1,
                                                             "default core": 3}


def test_link_speeds_are_read_from_labels():
    assert link_speed_gbps({"LinkLabel": "45 Mbps DS-3"}) == (0.045, "LinkLabel")
    assert link_speed_gbps({"LinkLabel": "1-2.5 Gb/s"}) == (2.5, "LinkLabel")
    assert link_speed_gbps({"LinkLabel": "STM-64x2"})[0] == pytest.approx(19.90656)
    assert link_speed_gbps({"LinkLabel": "ANS CO+RE T1"})[0] == pytest.approx(0.001544)
    assert link_speed_gbps({"LinkLabel": "SeaMeWe-3"}) == (None, None)
    assert link_speed_gbps({"LinkSpeedRaw": float("nan"), "LinkLabel": "10 Gbps"}) == \
           (10.0, "LinkLabel")


# ---------------------------------------------------------------- refusals

def test_broken_xml_names_the_file(tmp_path):
    path = tmp_path / "broken.graphml"
    path.write_text('<?xml version="1.0"?><graphml><graph><node id="a"', encoding="utf-8")
    with pytest.raises(ValidationError, match="broken.graphml.*not well-formed XML") as info:
        read_graphml(path)
    assert info.value.file == str(path)


@pytest.mark.parametrize("content", [b"hello, world\n", b"\x89PNG\r\n\x1a\n\x00\x00",
                                     b'<?xml version="1.0"?><svg/>'])
def test_a_file_that_is_not_graphml_is_refused(tmp_path, content):
    path = tmp_path / "notes.graphml"
    path.write_bytes(content)
    with pytest.raises(ValidationError, match="notes.graphml") as info:
        read_graphml(path)
    assert info.value.file == str(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="nowhere.graphml.*cannot be read"):
        read_graphml(tmp_path / "nowhere.graphml")


def test_a_file_without_coordinates_is_refused(tmp_path):
    path = _graphml(tmp_path, {"a": None, "b": None}, [("a", "b", 1e9)], name="blind.graphml")
    with pytest.raises(ValidationError, match="blind.graphml.*no node has coordinates"):
        read_graphml(path)


def test_one_geolocated_node_is_not_a_network(tmp_path):
    path = _graphml(tmp_path, {"a": (0.0, 50.0), "b": None, "c": None},
                    [("a", "b", 1e9), ("b", "c", 1e9)], name="lonely.graphml")
    with pytest.raises(ValidationError, match="lonely.graphml.*fewer than 2 geolocated nodes"):
        read_graphml(path)


# ---------------------------------------------------------------- GeoJSON and synthesis

def test_graphml_to_geojson_round_trips(tmp_path):
    dst = tmp_path / "belnet.geojson"
    G = graphml_to_geojson(ZOO / "Belnet2005.graphml", dst, seed=0)
    H = read_geojson(dst)
    assert list(H.nodes) == list(G.nodes)
    assert set(H.edges) == set(G.edges)
    for u, v in G.edges:
        assert H.edges[u, v]["bandwidth_gbps"] == G.edges[u, v]["bandwidth_gbps"]
        assert H.edges[u, v]["latency_ms"] == pytest.approx(G.edges[u, v]["latency_ms"])
    for n in G:
        assert H.nodes[n].get("demand") == G.nodes[n].get("demand")
        assert H.nodes[n]["capacity"] == G.nodes[n]["capacity"]
    assert H.graph["workloads"] == G.graph["workloads"]
    assert H.graph["import_report"]["nodes_placed"] == G.graph["import_report"]["nodes_placed"]


def test_synthesise_market_works_on_a_graph_built_in_code():
    G = netprice.empty_network({})
    places = {"SEA": (-122.3, 47.6), "SFO": (-122.4, 37.8), "DEN": (-105.0, 39.7),
              "CHI": (-87.6, 41.9), "ATL": (-84.4, 33.7), "NYC": (-74.0, 40.7)}
    for n, (lon, lat) in places.items():
        netprice.add_site(G, n, lon, lat)
    for a, b in [("SEA", "SFO"), ("SEA", "DEN"), ("SFO", "DEN"), ("DEN", "CHI"),
                 ("CHI", "NYC"), ("DEN", "ATL"), ("ATL", "NYC")]:
        netprice.add_link(G, a, b, bandwidth_gbps=100)
    H = synthesise_market(G, seed=5, voll=1000.0)
    validate(H)
    assert G.graph["workloads"] == {}  # the input is left alone
    assert all(spec["voll"] == 1000.0 for spec in H.graph["workloads"].values())
    assert all(d["demand"]["chat"] > 0 for _, d in H.nodes(data=True))
    assert sum(1 for _, cap in H.nodes(data="capacity") if cap) == 2


def test_user_workloads_keep_their_given_limits():
    G = read_graphml(ZOO / "Abilene.graphml", workloads={
        "chat": {"latency_ms": 80.0, "bytes_per_token": 8, "share": 0.7},
        "video": {"bytes_per_token": 4096, "compute_intensity": 8.0},
    })
    specs = G.graph["workloads"]
    assert specs["chat"]["latency_ms"] == 80.0 and specs["video"]["latency_ms"] is None
    assert "share" not in specs["chat"]
    assert G.graph["synthesis"]["workload_hints"]["video"]["share"] == pytest.approx(0.3)


# ---------------------------------------------------------------- clearing

@pytest.mark.parametrize("name", NAMES)
def test_imported_markets_clear(imported, name):
    market = pytest.importorskip("netprice.market")
    res = market.clear_market(imported[name], mode="transfer")
    assert res.status == "OPTIMAL"


def test_geojson_given_as_graphml_points_to_read_geojson(tmp_path):
    import netprice as npx
    from netprice.io.graphml import read_graphml

    path = tmp_path / "us5.graphml"
    path.write_text(npx.dataset_path("us5").read_text())
    with pytest.raises(npx.ValidationError) as info:
        read_graphml(path)
    assert "is JSON, not GraphML" in str(info.value) and "read_geojson" in str(info.value)
