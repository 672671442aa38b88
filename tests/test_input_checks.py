"""Careless input never gives a silent wrong answer: the checks behind it, through the API.

Each class of careless input that used to clear silently (exit 0, no
warning) is refused with an error naming the feature, the field and the
fix, or warned about where the input is legitimate.  Files of each class
are in ``tests/malformed/`` (checked by ``test_malformed.py``, through the
command line too); these tests build the same mistakes in code.
"""

import json
import warnings

import pytest

import netprice as npx
from netprice.errors import InputWarning, OutputError
from netprice.io.files import check_writable, write_all
from netprice.schema import near_miss


def two_sites(**b_attrs):
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "A", -100.0, 40.0, capacity=1e6, cost=10.0, demand={"chat": 1e3})
    npx.add_site(G, "B", -95.0, 40.0, demand={"chat": 2e3}, **b_attrs)
    npx.add_link(G, "A", "B", bandwidth_gbps=10)
    return G


# -- near misses of contract names -------------------------------------------------------------

@pytest.mark.parametrize("name, meant", [
    ("capactiy", "capacity"), ("Capacity", "capacity"), ("costs", "cost"), ("demands", "demand"),
    ("proc_latency", "proc_latency_ms"), ("serve", "serves"),
])
def test_misspelt_node_attribute_is_refused_with_did_you_mean(name, meant):
    G = two_sites(**{name: 5.0})
    with pytest.raises(npx.ValidationError) as info:
        npx.validate(G)
    err = info.value
    assert (err.feature, err.field) == ("'B'", name)
    assert f"did you mean '{meant}'" in str(err) and f"rename it '{meant}'" in err.fix


@pytest.mark.parametrize("name, meant", [("latency", "latency_ms"), ("cost_per_GB", "cost_per_gb"),
                                         ("bandwith_gbps", "bandwidth_gbps")])
def test_misspelt_link_attribute_is_refused(name, meant):
    G = two_sites()
    G.edges["A", "B"][name] = 1.0
    with pytest.raises(npx.ValidationError) as info:
        npx.validate(G)
    assert info.value.field == name and f"'{meant}'" in str(info.value)
    assert info.value.feature == "'A-B'"


def test_misspelt_graph_attribute_is_refused():
    G = two_sites()
    G.graph["token_byte"] = 2
    with pytest.raises(npx.ValidationError, match="did you mean 'token_bytes'") as info:
        npx.validate(G)
    assert info.value.feature == "netprice"


def test_misspelt_workload_parameter_says_did_you_mean():
    with pytest.raises(npx.ValidationError, match="did you mean 'bytes_per_token'"):
        npx.validate(npx.empty_network({"chat": {"bytes_per_tokn": 8}}))


@pytest.mark.parametrize("name", ["operator", "country", "role", "electricity_usd_mwh", "region",
                                  "lng", "served", "price"])
def test_other_extra_attributes_stay_metadata(name):
    G = two_sites(**{name: "x"})
    npx.validate(G)
    assert near_miss(name, "node") is None


# -- link ids, geometry ------------------------------------------------------------------------

def test_two_links_with_one_id_are_refused():
    G = two_sites()
    npx.add_site(G, "C", -90.0, 40.0)
    npx.add_link(G, "B", "C", bandwidth_gbps=10, link="A-B")
    with pytest.raises(npx.ValidationError, match="used by 2 links: A-B and B-C") as info:
        npx.validate(G)
    assert (info.value.feature, info.value.field) == ("'A-B'", "id")


def test_an_undirected_link_and_a_pair_of_one_way_links_keep_their_ids():
    G = two_sites()
    npx.add_site(G, "C", -90.0, 40.0)
    npx.add_link(G, "B", "C", bandwidth_gbps=10, directed=True, link="B-C")
    npx.add_link(G, "C", "B", bandwidth_gbps=5, directed=True, link="C-B")
    npx.validate(G)


def test_geometry_that_runs_elsewhere_is_refused_and_says_where():
    G = two_sites()
    G.remove_edges_from([("A", "B"), ("B", "A")])
    npx.add_link(G, "A", "B", bandwidth_gbps=10, geometry=[(-100.0, 40.0), (-80.0, 30.0)])
    with pytest.raises(npx.ValidationError) as info:
        npx.validate(G)
    err = info.value
    assert err.field == "geometry"
    assert "ends at [-80, 30], 1,758 km from its target 'B' at [-95, 40]" in err.problem
    assert "within 1 km" in err.fix


def test_geometry_from_nodes_with_lon_and_lat_swapped_is_named():
    G = npx.empty_network({"chat": {"latency_ms": 50, "bytes_per_token": 8}})
    npx.add_site(G, "PAR", 2.35, 48.86, capacity=1e6, cost=1.0)
    npx.add_site(G, "BER", 13.40, 52.52, demand={"chat": 1e3})
    npx.add_link(G, "PAR", "BER", bandwidth_gbps=10, geometry=[(2.35, 48.86), (52.52, 13.40)])
    with pytest.raises(npx.ValidationError, match="longitude and latitude swapped") as info:
        npx.validate(G)
    assert "[lon, lat]" in info.value.fix


def test_geometry_within_the_tolerance_is_accepted():
    G = two_sites()
    G.remove_edges_from([("A", "B"), ("B", "A")])
    # 0.005 degrees of longitude at 40 N: 0.43 km from each node
    npx.add_link(G, "A", "B", bandwidth_gbps=10, geometry=[(-100.005, 40.0), (-94.995, 40.0)])
    npx.validate(G)


# -- compute without a cost --------------------------------------------------------------------

def test_compute_without_cost_warns_and_names_the_sites():
    G = two_sites(capacity=5e5)  # B computes, with no cost
    with pytest.warns(InputWarning, match=r"1 compute site\(s\) have no cost.*'B'"):
        npx.validate(G)


def test_per_workload_cost_missing_a_served_workload_warns():
    G = npx.empty_network({"chat": {"bytes_per_token": 8}, "batch": {"bytes_per_token": 8}})
    npx.add_site(G, "A", 0.0, 0.0, capacity=1e6, cost={"chat": 2.0}, demand={"batch": 1.0})
    with pytest.warns(InputWarning, match=r"'A' \(batch\)"):
        npx.validate(G)


def test_cost_zero_given_is_free_compute_on_purpose():
    G = two_sites(capacity=5e5, cost=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        npx.validate(G)


# -- add_site / add_link on what exists --------------------------------------------------------

def test_add_site_on_an_existing_id_is_an_error_or_a_replacement():
    G = two_sites(capacity=5e5, cost=3.0)
    with pytest.raises(ValueError, match="already exists"):
        npx.add_site(G, "B", -95.0, 40.0, capacity=1e6)
    assert G.nodes["B"]["capacity"] == 5e5 and G.nodes["B"]["cost"] == 3.0
    npx.add_site(G, "B", -95.0, 40.0, capacity=1e6, replace=True)
    # replaced, not merged: no cost or demand survives from the old site
    assert G.nodes["B"] == {"lon": -95.0, "lat": 40.0, "capacity": 1e6}
    assert G.has_edge("A", "B")


def test_add_link_on_an_existing_pair_is_an_error_or_a_replacement():
    G = two_sites()
    with pytest.raises(ValueError, match="already exists"):
        npx.add_link(G, "B", "A", bandwidth_gbps=99)
    assert G.edges["B", "A"]["bandwidth_gbps"] == 10
    npx.add_link(G, "B", "A", bandwidth_gbps=99, replace=True)
    assert G.edges["A", "B"]["bandwidth_gbps"] == 99 and G.edges["A", "B"]["link"] == "B-A"


# -- files the user cannot write ---------------------------------------------------------------

def test_write_all_names_the_users_path_not_a_temporary_file(tmp_path):
    blocker = tmp_path / "report"
    blocker.write_text("a file where a folder is wanted")
    target = blocker / "out" / "prices.csv"
    with pytest.raises(OutputError) as info:
        write_all({tmp_path / "ok.csv": "x", target: "y"})
    assert str(info.value) == f"{target}: cannot write: {blocker} is a file, not a folder"
    assert isinstance(info.value, OSError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # nothing half-written


def test_write_all_into_proc_is_refused_with_the_path(tmp_path):
    with pytest.raises(OutputError, match=r"^/proc/netprice-map\.html: cannot write: "):
        write_all({"/proc/netprice-map.html": "<html>"})


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "a" / "map.html", folders=[tmp_path / "out"])
    assert list(tmp_path.iterdir()) == []


# -- the sidecar -------------------------------------------------------------------------------

def test_bad_workload_in_a_sidecar_names_the_sidecar(tmp_path):
    doc = json.loads(npx.dataset_path("us5").read_text())
    scenario = doc.pop("netprice")
    scenario["workloads"]["chat"]["latency"] = scenario["workloads"]["chat"].pop("latency_ms")
    (tmp_path / "net.geojson").write_text(json.dumps(doc))
    (tmp_path / "net.netprice.json").write_text(json.dumps(scenario))
    with pytest.raises(npx.ValidationError) as info:
        npx.read_geojson(tmp_path / "net.geojson")
    assert info.value.file == str(tmp_path / "net.netprice.json")
    assert "did you mean 'latency_ms'" in str(info.value)


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326",
                                  "urn:ogc:def:crs:EPSG::4326"])
def test_a_wgs84_crs_member_is_accepted(name, tmp_path):
    doc = json.loads(npx.dataset_path("us5").read_text())
    doc["crs"] = {"type": "name", "properties": {"name": name}}
    path = tmp_path / "with-crs.geojson"
    path.write_text(json.dumps(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G = npx.read_geojson(path)
    plain = npx.read_geojson(npx.dataset_path("us5"))
    assert npx.clear_market(G).objective == npx.clear_market(plain).objective


def test_a_report_folder_that_fails_part_way_is_not_left_behind(tmp_path):
    from netprice.io.files import folder_when_done

    out = tmp_path / "new" / "report"
    with pytest.raises(RuntimeError):
        with folder_when_done(out) as scratch:
            (scratch / "half.png").write_bytes(b"x")
            raise RuntimeError("the market was infeasible")
    assert list(tmp_path.iterdir()) == []
    with folder_when_done(out) as scratch:
        (scratch / "whole.png").write_bytes(b"x")
    assert [p.name for p in out.iterdir()] == ["whole.png"]
