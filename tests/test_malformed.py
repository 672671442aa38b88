"""Bad input is refused with a message that names the file, the feature and the field.

Every file in ``tests/malformed/`` is one class of bad input (see its
README.md); all but the file-level and GraphML classes are a small edit of
:data:`REFERENCE`, a valid two-site network.  The table :data:`CORPUS`
records, per file, the reader that gets it and the feature, field and fix
the error must name.  The command line is held to its contract on the same
files: one line on stderr, exit code 2, nothing written.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import netprice as npx

HERE = Path(__file__).parent / "malformed"

#: The valid network every feature-level file in the corpus is a mutation of.
REFERENCE = {
    "type": "FeatureCollection",
    "netprice": {"schema_version": 1,
                 "workloads": {"chat": {"latency_ms": 50, "bytes_per_token": 8}}},
    "features": [
        {"type": "Feature", "id": "A", "geometry": {"type": "Point", "coordinates": [-100.0, 40.0]},
         "properties": {"capacity": 1000000, "cost": 10, "demand": {"chat": 1000}}},
        {"type": "Feature", "id": "B", "geometry": {"type": "Point", "coordinates": [-95.0, 40.0]},
         "properties": {"capacity": 1000000, "cost": 20, "demand": {"chat": 2000}}},
        {"type": "Feature", "id": "A-B",
         "geometry": {"type": "LineString", "coordinates": [[-100.0, 40.0], [-95.0, 40.0]]},
         "properties": {"source": "A", "target": "B", "bandwidth_gbps": 10,
                        "cost_per_gb": 0.01}},
    ],
}

FIX_FINITE = "write a finite number"
TOP_LEVEL = "the top level must be"

#: (file, reader, feature, field, fix): the error must have ``feature`` and
#: ``field`` as substrings of ``err.feature`` / ``err.field`` (None: must be
#: None), and ``fix`` as a substring of ``err.fix`` (None: no fix required).
CORPUS = [
    # -- the file itself -------------------------------------------------------
    ("not_json.geojson", "geojson", None, None, "GeoJSON FeatureCollection"),
    ("empty_file.geojson", "geojson", None, None, "GeoJSON FeatureCollection"),
    ("binary_not_utf8.geojson", "geojson", None, None, "UTF-8"),
    ("utf8_bom.geojson", "geojson", None, None, "without BOM"),
    ("not_an_object.geojson", "geojson", None, "type", TOP_LEVEL),
    ("not_featurecollection.geojson", "geojson", None, "type", TOP_LEVEL),
    ("features_not_list.geojson", "geojson", None, "features", TOP_LEVEL),
    ("empty_features.geojson", "geojson", None, "features", "add Point features"),
    ("graphml_given_to_read_geojson.graphml", "geojson", None, None, "read_graphml"),
    # -- the netprice member: schema, workloads, scenario ---------------------
    ("no_netprice_member.geojson", "geojson", None, "netprice", "top-level 'netprice'"),
    ("wrong_schema_version.geojson", "geojson", "netprice", "schema_version",
     '"schema_version": 1'),
    ("no_workloads.geojson", "geojson", "netprice", "workloads", "declare at least one"),
    ("workloads_not_object.geojson", "geojson", "netprice", "workloads", '"workloads": {'),
    ("workload_not_object.geojson", "geojson", "workload 'chat'", "workloads", None),
    ("unknown_workload_parameter.geojson", "geojson", "workload 'chat'", "latency",
     "latency_ms"),
    ("workload_latency_zero.geojson", "geojson", "workload 'chat'", "latency_ms",
     "null for no latency limit"),
    ("workload_latency_negative.geojson", "geojson", "workload 'chat'", "latency_ms",
     "null for no latency limit"),
    ("bytes_per_token_zero.geojson", "geojson", "workload 'chat'", "bytes_per_token", None),
    ("bytes_per_token_missing.geojson", "geojson", "workload 'chat'", "bytes_per_token",
     "payload per token"),
    ("compute_intensity_negative.geojson", "geojson", "workload 'chat'", "compute_intensity",
     None),
    ("negative_voll.geojson", "geojson", "workload 'chat'", "voll", None),
    ("nan_voll.geojson", "geojson", "workload 'chat'", "voll", FIX_FINITE),
    ("negative_token_bytes.geojson", "geojson", "netprice", "token_bytes", None),
    ("route_factor_below_one.geojson", "geojson", "netprice", "route_factor", None),
    ("route_factor_string.geojson", "geojson", "netprice", "route_factor", "without quotes"),
    ("netprice_member_misspelt.geojson", "geojson", "netprice", "token_byte", "'token_bytes'"),
    ("sidecar_bad_workload.geojson", "geojson", "workload 'chat'", "bytes_per_tokens",
     "did you mean 'bytes_per_token'"),
    ("crs_projected.geojson", "geojson", None, "crs", "ogr2ogr -t_srs EPSG:4326"),
    ("coordinates_in_metres.geojson", "geojson", "'A'", "geometry.coordinates",
     "ogr2ogr -t_srs EPSG:4326"),
    # -- features: GeoJSON structure ------------------------------------------
    ("feature_not_a_feature.geojson", "geojson", "features[1]", "type", None),
    ("properties_not_object.geojson", "geojson", "'B' (features[1])", "properties", None),
    ("node_without_geometry.geojson", "geojson", "'B' (features[1])", "geometry", "Point"),
    ("link_without_geometry.geojson", "geojson", "'A-B' (features[2])", "geometry",
     "LineString"),
    ("polygon_geometry.geojson", "geojson", "'B' (features[1])", "geometry.type",
     "Points"),
    ("point_without_coordinates.geojson", "geojson", "'B'", "geometry.coordinates", None),
    ("linestring_one_position.geojson", "geojson", "'A-B' (features[2])",
     "geometry.coordinates", None),
    # -- nodes ------------------------------------------------------------------
    ("node_without_id.geojson", "geojson", "features[1]", "id", "'id' member"),
    ("node_id_not_scalar.geojson", "geojson", "features[1]", "id", None),
    ("conflicting_ids.geojson", "geojson", "'B' (features[1])", "id", "same in both"),
    ("duplicate_node_id.geojson", "geojson", "'A' (features[1])", "id", "its own id"),
    ("lon_out_of_range.geojson", "geojson", "'B'", "(lon)", None),
    ("lat_out_of_range.geojson", "geojson", "'B'", "(lat)", None),
    ("coordinates_as_strings.geojson", "geojson", "'B'", "geometry.coordinates[0]",
     "without quotes"),
    ("negative_infinity_lon.geojson", "geojson", "'B' (features[1])",
     "geometry.coordinates[0]", FIX_FINITE),
    ("negative_capacity.geojson", "geojson", "'B'", "capacity", None),
    ("nan_capacity.geojson", "geojson", "'B' (features[1])", "capacity", FIX_FINITE),
    ("huge_number.geojson", "geojson", "'B' (features[1])", "capacity", FIX_FINITE),
    ("huge_integer.geojson", "geojson", "'B' (features[1])", "capacity", FIX_FINITE),
    ("negative_cost.geojson", "geojson", "'B'", "cost", None),
    ("negative_demand.geojson", "geojson", "'B'", "demand.chat", None),
    ("demand_as_string.geojson", "geojson", "'B'", "demand.chat", "without quotes"),
    ("demand_as_number.geojson", "geojson", "'B'", "demand", None),
    ("demand_undeclared_workload.geojson", "geojson", "'B'", "demand.video",
     "declare it under netprice.workloads"),
    ("serves_undeclared_workload.geojson", "geojson", "'B'", "serves", "use one of"),
    ("serves_as_string.geojson", "geojson", "'B'", "serves", None),
    ("negative_proc_latency.geojson", "geojson", "'B'", "proc_latency_ms", None),
    ("node_property_misspelt.geojson", "geojson", "'B'", "capactiy", "rename it 'capacity'"),
    ("node_property_wrong_case.geojson", "geojson", "'B'", "Cost", "rename it 'cost'"),
    ("node_position_lat_lon.geojson", "geojson", "'B'", "geometry.coordinates",
     "swap the two numbers"),
    ("node_lon_property_disagrees.geojson", "geojson", "'B'", "lon", "remove the lon/lat"),
    # -- links ------------------------------------------------------------------
    ("link_without_source.geojson", "geojson", "'A-B' (features[2])", "source",
     "source node's id"),
    ("link_to_unknown_node.geojson", "geojson", "'A-B' (features[2])", "target",
     "id of a Point feature"),
    ("link_id_type_mismatch.geojson", "geojson", "'A-B' (features[2])", "source",
     "the number 1"),
    ("self_loop.geojson", "geojson", "'A-B' (features[2])", "target", "two different nodes"),
    ("parallel_link.geojson", "geojson", "'B-A' (features[3])", "source", "merge parallel"),
    ("missing_bandwidth.geojson", "geojson", "'A-B' (features[2])", "bandwidth_gbps",
     "Gbit/s"),
    ("zero_bandwidth.geojson", "geojson", "'A-B' (features[2])", "bandwidth_gbps", None),
    ("infinity_bandwidth.geojson", "geojson", "'A-B' (features[2])", "bandwidth_gbps",
     FIX_FINITE),
    ("negative_link_latency.geojson", "geojson", "'A-B' (features[2])", "latency_ms", None),
    ("negative_transport_cost.geojson", "geojson", "'A-B' (features[2])", "cost_per_gb",
     None),
    ("directed_not_boolean.geojson", "geojson", "'A-B' (features[2])", "directed", None),
    ("link_property_misspelt.geojson", "geojson", "'A-B'", "latency", "rename it 'latency_ms'"),
    ("link_derived_property.geojson", "geojson", "'A-B' (features[2])", "length_km",
     "remove it"),
    ("duplicate_link_id.geojson", "geojson", "'L1'", "id", "its own id"),
    ("link_geometry_elsewhere.geojson", "geojson", "'A-B'", "geometry", "within 1 km"),
    ("link_geometry_reversed.geojson", "geojson", "'A-B'", "geometry", "reverse its positions"),
    ("link_position_lat_lon.geojson", "geojson", "'A-B' (features[2])",
     "geometry.coordinates[1]", "swap the two numbers"),
    # -- GraphML (netprice.io.graphml.read_graphml) -----------------------------
    ("geojson_with_graphml_extension.graphml", "graphml", None, None, None),
    ("graphml_broken_xml.graphml", "graphml", None, None, "GraphML XML"),
    ("graphml_not_graphml.graphml", "graphml", None, None, "GraphML file"),
    ("graphml_bad_data_type.graphml", "graphml", None, None, "attr.type"),
    ("graphml_no_nodes.graphml", "graphml", None, None, "<node>"),
    ("graphml_no_coordinates.graphml", "graphml", None, "Latitude", "Longitude"),
    ("graphml_coordinates_out_of_range.graphml", "graphml", None, "Latitude", "Longitude"),
    ("graphml_one_geolocated_node.graphml", "graphml", None, "Latitude", "two connected sites"),
]

#: Classes the installed command is run on in a subprocess, one per stage of
#: reading (the whole corpus goes through ``netprice.cli.main`` in-process).
CLI_SAMPLE = [
    "not_json.geojson", "binary_not_utf8.geojson", "graphml_broken_xml.graphml",
    "wrong_schema_version.geojson", "nan_capacity.geojson", "huge_integer.geojson",
    "duplicate_node_id.geojson", "link_to_unknown_node.geojson",
    "negative_demand.geojson", "workload_latency_zero.geojson",
    "node_property_misspelt.geojson", "duplicate_link_id.geojson",
    "link_geometry_elsewhere.geojson", "crs_projected.geojson", "sidecar_bad_workload.geojson",
]


#: Classes whose error is in a sidecar file beside the one read: the error
#: must name the sidecar, where the fix is to be made.
SIDECARS = {"sidecar_bad_workload.geojson": "sidecar_bad_workload.netprice.json"}


def _blamed(path):
    return path.with_name(SIDECARS.get(path.name, path.name))


#: Refused by read_geojson but good input for the command line, which reads
#: GraphML too (netprice.io.read.read_network).
CLI_READS = {"graphml_given_to_read_geojson.graphml"}


def _reader(kind):
    if kind == "geojson":
        return npx.read_geojson
    graphml = pytest.importorskip("netprice.io.graphml")
    return graphml.read_graphml


def test_reference_is_valid_and_clears(tmp_path):
    path = tmp_path / "reference.geojson"
    path.write_text(json.dumps(REFERENCE))
    res = npx.clear_market(npx.read_geojson(path))
    assert res.objective > 0


def test_corpus_table_and_readme_list_every_file():
    files = {p.name for p in HERE.iterdir()
             if p.name != "README.md" and p.name not in SIDECARS.values()}
    listed = [row[0] for row in CORPUS]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert files == set(listed)
    readme = (HERE / "README.md").read_text()
    missing = [name for name in listed if f"`{name}`" not in readme]
    assert not missing, f"not documented in tests/malformed/README.md: {missing}"
    assert len(CORPUS) >= 25


@pytest.mark.parametrize("name, reader, feature, field, fix", CORPUS, ids=[r[0] for r in CORPUS])
def test_malformed_input_is_named(name, reader, feature, field, fix):
    path = HERE / name
    with pytest.raises(npx.ValidationError) as info:
        _reader(reader)(path)
    err = info.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert err.file == str(_blamed(path))
    assert message.startswith(str(_blamed(path)))
    assert "\n" not in message
    if feature is None:
        assert err.feature is None, message
    else:
        assert err.feature is not None and feature in err.feature, message
        assert f"feature {err.feature}" in message
    if field is None:
        assert err.field is None, message
    else:
        assert err.field is not None and field in err.field, message
        assert f"field '{err.field}'" in message
    if fix is not None:
        assert err.fix is not None and fix in err.fix, message
        assert err.fix in message
    assert err.problem and err.problem in message


def _run_cli(path, workdir, entry="module"):
    out = workdir / "out"
    command = ([sys.executable, "-m", "netprice"] if entry == "module"
               else [str(Path(sys.executable).with_name("netprice"))])
    proc = subprocess.run(
        command + ["clear", str(path), "--out", str(out), "--map", str(out / "m.html")],
        cwd=workdir, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "100"})
    return proc, out


def _check_cli(path, proc, out):
    lines = proc.stderr.strip("\n").splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(_blamed(path)) in lines[0]
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())
    leftovers = [p.name for p in out.parent.iterdir() if p != out]
    assert not leftovers, leftovers


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_cli_refuses_bad_input_in_one_line(name, tmp_path):
    path = HERE / name
    proc, out = _run_cli(path, tmp_path)
    _check_cli(path, proc, out)


def test_cli_console_script_has_the_same_contract(tmp_path):
    script = Path(sys.executable).with_name("netprice")
    if not script.exists():
        pytest.skip("the netprice console script is not installed next to this python")
    path = HERE / "negative_capacity.geojson"
    proc, out = _run_cli(path, tmp_path, entry="script")
    _check_cli(path, proc, out)
    assert "feature 'B'" in proc.stderr and "field 'capacity'" in proc.stderr


@pytest.mark.parametrize("name", [row[0] for row in CORPUS if row[0] not in CLI_READS])
def test_cli_main_refuses_every_class(name, tmp_path, capsys, monkeypatch):
    """The whole corpus through the CLI's entry function, in-process (fast)."""
    from netprice.cli import main

    monkeypatch.chdir(tmp_path)
    path = HERE / name
    out = tmp_path / "out"
    code = main(["clear", str(path), "--out", str(out), "--map", str(out / "m.html")])
    captured = capsys.readouterr()
    lines = captured.err.strip("\n").splitlines()
    assert code == 2, (code, captured.err)
    assert len(lines) == 1 and str(_blamed(path)) in lines[0], captured.err
    assert not out.exists() or not any(out.iterdir())
    assert not [p for p in tmp_path.iterdir() if p != out]


@pytest.mark.parametrize("name", sorted(CLI_READS))
def test_cli_reads_graphml_by_content(name, capsys):
    from netprice.cli import main

    code = main(["clear", str(HERE / name), "--seed", "0", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["results"]["transfer"]["status"] == "OPTIMAL"
