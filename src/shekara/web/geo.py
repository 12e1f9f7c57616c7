"""GeoJSON for the map: incidents through the sharing policy (audited), places, the basemap.

``incidents_geojson`` (in :mod:`shekara.incidents.geo`) is the query of
``/api/v1/incidents.geojson`` too, so that the page and the API answer the same way.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def basemap_bytes() -> bytes:
    """The shipped offline basemap (country outlines), as stored."""
    return (files("shekara.refdata") / "data" / "basemap.geojson").read_bytes()
