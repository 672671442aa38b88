"""Reading and writing the GeoJSON format."""

import json

import networkx as nx
import pytest

import netprice as npx
from netprice.geo import DEFAULT_ROUTE_FACTOR, fibre_latency_ms, geodesic_length_km


def small():
    G = npx.empty_network({"chat": {"latency_ms": 100, "bytes_per_token": 8},
                           "batch": {"bytes_per_token": 4, "voll": 500.0}},
                          token_bytes=4, name="small")
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost={"chat": 3.0, "batch": 1.0},
                 demand={"chat": 1e5}, serves=["chat", "batch"], proc_latency_ms={"chat": 2.0},
                 name="Site A", operator="acme")
    npx.add_site(G, "B", -95.0, 41.0, demand={"batch": 2e5})
    npx.add_site(G, "C", -90.0, 42.0, capacity=5e5, cost=2.0, proc_latency_ms=1.0)
    npx.add_link(G, "A", "B", bandwidth_gbps=100, cost_per_gb=0.01)
    npx.add_link(G, "B", "C", bandwidth_gbps=40, latency_ms=9.5, directed=True,
                 geometry=[(-95.0, 41.0), (-92.0, 42.5), (-90.0, 42.0)])
    return G


def test_round_trip_loses_nothing(tmp_path):
    G = small()
    path = tmp_path / "small.geojson"
    npx.write_geojson(G, path)
    H = npx.read_geojson(path)
    assert nx.utils.graphs_equal(G, H)
    assert H.nodes["A"]["operator"] == "acme"
    assert not H.has_edge("C", "B")
    # Written again, the file is the same byte for byte.
    again = tmp_path / "again.geojson"
    npx.write_geojson(H, again)
    assert again.read_bytes() == path.read_bytes()


def test_written_file_matches_the_json_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads((resources.files("netprice") / "data" /
                         "netprice-geojson.schema.json").read_text())
    path = tmp_path / "small.geojson"
    npx.write_geojson(small(), path)
    jsonschema.validate(json.loads(path.read_text()), schema)


def test_latency_derived_from_the_geodesic(tmp_path):
    G = small()
    edge = G.edges["A", "B"]
    length = geodesic_length_km([(-100.0, 40.0), (-95.0, 41.0)])
    assert edge["latency_ms"] == pytest.approx(fibre_latency_ms(length, DEFAULT_ROUTE_FACTOR))
    assert edge["latency_source"] == "geodesic"
    assert G.edges["B", "C"]["latency_ms"] == 9.5


def test_file_route_factor_applies(tmp_path):
    G = small()
    path = tmp_path / "f.geojson"
    npx.write_geojson(G, path)
    doc = json.loads(path.read_text())
    doc["netprice"]["route_factor"] = 2.0
    path.write_text(json.dumps(doc))
    H = npx.read_geojson(path)
    assert H.edges["A", "B"]["latency_ms"] == pytest.approx(
        G.edges["A", "B"]["latency_ms"] * 2.0 / DEFAULT_ROUTE_FACTOR)


def test_sidecar_scenario(tmp_path):
    path = tmp_path / "net.geojson"
    npx.write_geojson(small(), path)
    doc = json.loads(path.read_text())
    scenario = doc.pop("netprice")
    path.write_text(json.dumps(doc))
    (tmp_path / "net.netprice.json").write_text(json.dumps(scenario))
    assert sorted(npx.read_geojson(path).graph["workloads"]) == ["batch", "chat"]


def test_annotated_graph_round_trips_its_results(tmp_path):
    G = small()
    H = npx.annotate(G, npx.clear_market(G))
    path = tmp_path / "annotated.geojson"
    npx.write_geojson(H, path)
    back = npx.read_geojson(path)
    assert back.nodes["A"]["price"] == pytest.approx(H.nodes["A"]["price"])
    assert back.edges["A", "B"]["flow_gbps"] == pytest.approx(H.edges["A", "B"]["flow_gbps"])
    assert back.edges["B", "A"]["flow_gbps"] == pytest.approx(H.edges["B", "A"]["flow_gbps"])


def test_failed_write_leaves_no_file(tmp_path):
    G = small()
    G.nodes["A"]["bad"] = object()  # not JSON: written as its str, so no failure here
    target = tmp_path / "out.geojson"
    npx.write_geojson(G, target)
    assert target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_geodataframes_round_trip():
    G = small()
    nodes, links = npx.to_geodataframes(G)
    assert nodes.crs.to_epsg() == 4326 and links.crs.to_epsg() == 4326
    assert list(nodes.index) == ["A", "B", "C"]
    assert set(links.index.names) == {"source", "target"}
    H = npx.from_geodataframes(nodes, links, workloads=G.graph["workloads"],
                               token_bytes=G.graph["token_bytes"])
    assert nx.utils.graphs_equal(G, H)


def test_the_shipped_day_matches_the_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads((resources.files("netprice") / "data" /
                         "netprice-geojson.schema.json").read_text())
    jsonschema.validate(json.loads(npx.dataset_path("us20-day").read_text()), schema)
