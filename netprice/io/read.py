"""Read a network from a file that is either a netprice GeoJSON or a GraphML topology.

The command line takes both kinds for every command that clears markets;
which reader a file needs is told by its content, so a Topology Zoo file
saved as ``.xml`` or a GeoJSON topology saved as ``.json`` reads as well.
"""

from __future__ import annotations

from pathlib import Path

from .geojson import read_geojson

__all__ = ["read_network", "content_kind"]

_GRAPHML_SUFFIXES = (".graphml", ".xml")


def read_network(path, seed=0):
    """Read a netprice GeoJSON topology or a (Topology Zoo) GraphML file.

    XML content is read with :func:`netprice.read_graphml` (a market is
    synthesised from ``seed`` where the file has none), JSON content with
    :func:`netprice.read_geojson`.  A file that is neither (empty, not
    text) goes to the reader its suffix names, whose error then says what
    is wrong with it.

    Parameters
    ----------
    path : str or path-like
    seed : int
        Seed of the synthesised capacities, costs and demands of a GraphML
        file; a GeoJSON topology carries its own.

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    ValidationError
        From the reader, naming the file, the feature and the field.

    Examples
    --------
    >>> import netprice as npx
    >>> G = read_network(npx.dataset_path("us5"))
    >>> G.number_of_nodes()
    5
    """
    path = Path(path)
    kind = content_kind(path)
    if kind == "xml" or (kind is None and path.suffix.lower() in _GRAPHML_SUFFIXES):
        # The GraphML reader pulls in the market synthesis tables: load it when needed.
        from .graphml import read_graphml

        return read_graphml(path, seed=seed)
    return read_geojson(path)


def content_kind(path):
    """``"xml"`` or ``"json"`` by a file's first characters, or None (unreadable, empty, other).

    Examples
    --------
    >>> import netprice as npx
    >>> content_kind(npx.dataset_path("us5"))
    'json'
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError:  # the reader reports it, in its own words
        return None
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return {b"<": "xml", b"{": "json", b"[": "json"}.get(first)
