"""Self-contained HTML for folium maps: every script and stylesheet inlined.

folium links Leaflet, jQuery and friends from CDNs, so a saved map is blank
on a machine without internet (a plane, an air-gapped cluster, a CI box).
This module swaps those links for the same files taken from pip packages
that ship them (the XStatic packages), inlined into the page. No JavaScript
is copied into netprice itself: the bytes come from the installed packages,
so upgrading them is a ``pip install -U``.

Which link becomes which file is decided by the file name in the URL, see
:data:`ASSETS`. Links that netprice maps do not need (Bootstrap, Font
Awesome, awesome-markers: netprice draws CircleMarkers, not icon markers)
are dropped. Any other remote link is dropped with an
:class:`OfflineAssetWarning`, so the page stays self-contained and the
warning names what went missing.

Examples
--------
>>> import folium
>>> m = make_offline(folium.Map(location=[40, -100], zoom_start=4, tiles=None))
>>> html = m.get_root().render()
>>> "<script src=\\"http" in html or "<link rel=\\"stylesheet\\" href=\\"http" in html
False
>>> "L.map(" in html and "Leaflet" in html
True
"""

from __future__ import annotations

import base64
import functools
import importlib
import mimetypes
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from branca.element import CssLink, Element, Figure, JavascriptLink

__all__ = [
    "ASSETS",
    "DROPPED",
    "REQUIRED",
    "Asset",
    "OfflineAssetWarning",
    "OfflineFigure",
    "make_offline",
    "asset_text",
    "inline_html",
]


class OfflineAssetWarning(UserWarning):
    """A remote script or stylesheet had no packaged copy and was left out."""


@dataclass(frozen=True)
class Asset:
    """A JavaScript or CSS file shipped inside a pip package.

    Attributes
    ----------
    module : str
        The module whose ``BASE_DIR`` holds the file (XStatic convention).
    filename : str
        Path of the file below ``BASE_DIR``.
    kind : str
        ``"js"`` or ``"css"``.
    pip : str
        The pip package to install when the module is missing.
    pattern : str
        Regular expression matched against the last path segment of a URL.
    """

    module: str
    filename: str
    kind: str
    pip: str
    pattern: str

    def path(self) -> Path:
        """Location of the file in the installed package (ImportError if missing)."""
        mod = importlib.import_module(self.module)
        return Path(mod.BASE_DIR) / self.filename


#: Packaged replacements, tried in order against the file name of each link.
ASSETS: dict[str, Asset] = {
    "leaflet_js": Asset("xstatic.pkg.leaflet", "leaflet.js", "js", "XStatic-Leaflet",
                        r"^leaflet(-src)?(\.min)?\.js$"),
    "leaflet_css": Asset("xstatic.pkg.leaflet", "leaflet.css", "css", "XStatic-Leaflet",
                         r"^leaflet(\.min)?\.css$"),
    "jquery": Asset("xstatic.pkg.jquery", "jquery.min.js", "js", "XStatic-jQuery",
                    r"^jquery(-3(\.\d+)*)?(\.min)?\.js$"),
    # branca's colormap legend draws with d3 v3; netprice's own legend does not
    # need it, so XStatic-D3 is optional and only used when installed.
    "d3": Asset("xstatic.pkg.d3", "d3.js", "js", "XStatic-D3", r"^d3(\.v3)?(\.min)?\.js$"),
}

#: Assets every folium map needs: :func:`make_offline` refuses to go on without them.
REQUIRED: tuple[str, ...] = ("leaflet_js", "leaflet_css", "jquery")


def _installed(asset: Asset) -> bool:
    try:
        return asset.path().is_file()
    except ImportError:
        return False


#: File-name patterns of folium defaults that netprice maps do not use.
DROPPED: tuple[str, ...] = (
    r"^bootstrap(\.bundle)?(\.min)?\.(js|css)$",
    r"^bootstrap-glyphicons\.css$",
    r"^all(\.min)?\.css$",  # Font Awesome
    r"^leaflet\.awesome[-.].*\.(js|css)$",
)


def _match(url: str):
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    for key, asset in ASSETS.items():
        if re.match(asset.pattern, name, flags=re.IGNORECASE):
            # d3 links are only safe to swap for v3, the version XStatic-D3 ships
            if key == "d3" and not re.search(r"(d3/3\.|d3@3|d3\.v3|/3\.\d)", url):
                continue
            return asset
    if any(re.match(p, name, flags=re.IGNORECASE) for p in DROPPED):
        return "drop"
    return None


_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|https?:|//|#)([^'\")]+)\1\s*\)")


@functools.lru_cache(maxsize=None)
def asset_text(key: str) -> str:
    """Text of a packaged asset, ready to sit inside ``<script>`` or ``<style>``.

    Source-map comments are removed (browsers would fetch the map), a
    ``</script`` inside JavaScript is escaped, and images a stylesheet refers
    to (Leaflet's layer-control icon) become ``data:`` URIs.

    Parameters
    ----------
    key : str
        A key of :data:`ASSETS`.

    Examples
    --------
    >>> "L.Map" in asset_text("leaflet_js") or "Leaflet" in asset_text("leaflet_js")
    True
    >>> "url(images/" in asset_text("leaflet_css")
    False
    """
    asset = ASSETS[key]
    path = asset.path()
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*//[#@] sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"/\*[#@] sourceMappingURL=.*?\*/", "", text)
    if asset.kind == "js":
        # the HTML parser ends a script element at the first "</script", even in a string
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    else:
        text = re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)

        def _data_uri(m):
            target = (path.parent / m.group(2)).resolve()
            if not target.is_file():
                return m.group(0)
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            data = base64.b64encode(target.read_bytes()).decode("ascii")
            return f'url("data:{mime};base64,{data}")'

        text = _CSS_URL.sub(_data_uri, text)
    return text


def _inline_element(key: str) -> Element:
    asset = ASSETS[key]
    tag = "script" if asset.kind == "js" else "style"
    return Element(f"<{tag} data-netprice-asset=\"{key}\">\n{asset_text(key)}\n</{tag}>")


def _is_remote(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), flags=re.IGNORECASE))


class _InliningHeader(Element):
    """A figure header that swaps remote links for inlined assets when rendered.

    folium and branca add their links while the figure's children render,
    and the header renders after them, so this is the one place that sees
    every link.
    """

    def render(self, **kwargs):
        for name, child in list(self._children.items()):
            if not isinstance(child, (JavascriptLink, CssLink)):
                continue
            url = getattr(child, "url", "")
            if not _is_remote(url):
                continue
            asset = _match(url)
            if asset == "drop":
                del self._children[name]
                continue
            key = None
            if asset is not None and _installed(asset):
                key = next(k for k, a in ASSETS.items() if a is asset)
            if key is None:
                hint = f" (pip install {asset.pip})" if isinstance(asset, Asset) else ""
                warnings.warn(
                    f"offline map: no packaged copy of {url}{hint}; it was left out, "
                    "so whatever needs it will not work. Use offline=False to keep "
                    "the CDN link instead.", OfflineAssetWarning, stacklevel=2)
                del self._children[name]
                continue
            self._children[name] = _inline_element(key)
        return super().render(**kwargs)


class OfflineFigure(Figure):
    """A :class:`branca.element.Figure` whose rendered page loads nothing remote.

    Scripts and stylesheets that folium or branca link from CDNs are inlined
    from pip packages when the page renders (see :data:`ASSETS`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        header = _InliningHeader()
        header._parent = self
        header._children.update(self.header._children)
        self.header = header


def make_offline(m):
    """Re-home a folium map in an :class:`OfflineFigure`; returns the same map.

    After this, ``m.save(path)`` and ``m._repr_html_()`` produce a page with
    every script and stylesheet inlined.

    Parameters
    ----------
    m : folium.Map

    Returns
    -------
    folium.Map
        ``m`` itself.

    Raises
    ------
    ImportError
        If a package that ships Leaflet or jQuery (:data:`REQUIRED`) is missing.
    """
    missing = sorted({ASSETS[k].pip for k in REQUIRED if not _installed(ASSETS[k])})
    if missing:
        # without Leaflet the saved page would be blank: fail now, not at save time
        raise ImportError(f"an offline map needs {', '.join(missing)}: pip install "
                          f"{' '.join(missing)} (or pass offline=False for CDN links)")
    parent = m._parent
    if isinstance(parent, OfflineFigure):
        return m
    figure = OfflineFigure(width=getattr(parent, "width", "100%"),
                           height=getattr(parent, "height", None),
                           ratio=getattr(parent, "ratio", "60%"),
                           title=getattr(parent, "title", None))
    figure.add_child(m)
    return m


def inline_html(m) -> str:
    """The complete self-contained HTML page of a folium map, as a string.

    Parameters
    ----------
    m : folium.Map

    Returns
    -------
    str
    """
    return make_offline(m).get_root().render()
