"""Geofences: corridors and border strips as buffered lines, sectors as polygons, one index.

Geometry is kept in longitude/latitude (GeoJSON order). Distances are metric: a line is cut
into pieces of at most ``max_piece_m`` and each piece is buffered in a local equirectangular
projection centred on it (error well under 0.1 % over 25 km), then projected back. The pieces
are what the index holds, so a 1,500 km border strip is a few hundred small polygons rather
than one huge thin polygon whose bounding box covers half a country: the index then returns
only the pieces near a fix, and the exact test (shapely's predicate after the STRtree's
bounding-box search) runs against a small polygon. Large polygons (sectors) are cut on a grid.

The antimeridian is not handled (no member region crosses it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Protocol

import numpy as np
import shapely  # type: ignore[import-untyped]
from shapely.geometry import (  # type: ignore[import-untyped]
    LineString,
    MultiPolygon,
    Point,
    Polygon,
    box,
    shape,
)
from shapely.strtree import STRtree  # type: ignore[import-untyped]

EARTH_RADIUS_M = 6_371_008.8
DEG_M = math.pi * EARTH_RADIUS_M / 180.0
"""Metres per degree of latitude (and of longitude at the equator)."""

LonLat = tuple[float, float]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection in metres around (lat0, lon0)."""

    lat0: float
    lon0: float

    @property
    def kx(self) -> float:
        return DEG_M * math.cos(math.radians(self.lat0))

    def forward(self, geom: Any) -> Any:
        kx, lon0, lat0 = self.kx, self.lon0, self.lat0

        def fwd(c: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            return np.column_stack(((c[:, 0] - lon0) * kx, (c[:, 1] - lat0) * DEG_M))

        return shapely.transform(geom, fwd)

    def inverse(self, geom: Any) -> Any:
        kx, lon0, lat0 = self.kx, self.lon0, self.lat0

        def inv(c: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
            return np.column_stack((c[:, 0] / kx + lon0, c[:, 1] / DEG_M + lat0))

        return shapely.transform(geom, inv)


def split_line(coords: Sequence[LonLat], max_piece_m: float) -> list[list[LonLat]]:
    """Cut a polyline into consecutive pieces no longer than ``max_piece_m`` (long segments
    are divided)."""
    pieces: list[list[LonLat]] = []
    current: list[LonLat] = [coords[0]]
    length = 0.0
    for (lon1, lat1), (lon2, lat2) in zip(coords, coords[1:], strict=False):
        seg = haversine_m(lat1, lon1, lat2, lon2)
        steps = max(1, math.ceil(seg / max_piece_m))
        for k in range(1, steps + 1):
            pt = (lon1 + (lon2 - lon1) * k / steps, lat1 + (lat2 - lat1) * k / steps)
            step_len = seg / steps
            if length + step_len > max_piece_m and len(current) > 1:
                pieces.append(current)
                current = [current[-1]]
                length = 0.0
            current.append(pt)
            length += step_len
    if len(current) > 1:
        pieces.append(current)
    return pieces


def buffer_line(
    coords: Sequence[LonLat], radius_m: float, max_piece_m: float = 25_000.0
) -> list[Polygon]:
    """Polygons (lon/lat) covering every point within ``radius_m`` of the polyline, one per
    piece of at most ``max_piece_m``; consecutive pieces overlap at their joints."""
    out = []
    for piece in split_line(coords, max_piece_m):
        lons = [p[0] for p in piece]
        lats = [p[1] for p in piece]
        proj = LocalProjection((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)
        metric = proj.forward(LineString(piece)).buffer(radius_m, quad_segs=4)
        out.append(proj.inverse(metric))
    return out


def circle(lat: float, lon: float, radius_m: float) -> Polygon:
    proj = LocalProjection(lat, lon)
    return proj.inverse(Point(0.0, 0.0).buffer(radius_m, quad_segs=8))


def subdivide(geom: Any, cell_deg: float = 0.25) -> list[Polygon]:
    """Cut a polygon on a grid of ``cell_deg`` so that each piece's bounding box is small."""
    minx, miny, maxx, maxy = geom.bounds
    if maxx - minx <= cell_deg and maxy - miny <= cell_deg:
        return [geom]
    out: list[Polygon] = []
    x = minx
    while x < maxx:
        y = miny
        while y < maxy:
            part = geom.intersection(box(x, y, x + cell_deg, y + cell_deg))
            if not part.is_empty:
                if isinstance(part, Polygon):
                    out.append(part)
                elif isinstance(part, MultiPolygon):
                    out.extend(part.geoms)
                else:  # lines or points on a cell edge
                    out.extend(g for g in getattr(part, "geoms", []) if isinstance(g, Polygon))
            y += cell_deg
        x += cell_deg
    return out


def line_coords(geojson: Mapping[str, Any]) -> list[list[LonLat]]:
    """The polylines of a GeoJSON LineString or MultiLineString."""
    kind = geojson.get("type")
    if kind == "LineString":
        return [[(float(x), float(y)) for x, y, *_ in geojson["coordinates"]]]
    if kind == "MultiLineString":
        return [[(float(x), float(y)) for x, y, *_ in line] for line in geojson["coordinates"]]
    raise ValueError(f"expected a LineString or MultiLineString, not {kind!r}")


class FenceKind:
    corridor = "corridor"
    border_strip = "border_strip"
    checkpoint_zone = "checkpoint_zone"
    sector = "sector"
    zone = "zone"


@dataclass(frozen=True)
class Geofence:
    """A named area, held as small pieces (lon/lat polygons)."""

    id: str
    kind: str
    pieces: tuple[Polygon, ...]
    props: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_lines(
        cls,
        id: str,
        kind: str,
        lines: Iterable[Sequence[LonLat]],
        radius_m: float,
        max_piece_m: float = 25_000.0,
        **props: Any,
    ) -> Geofence:
        pieces = [p for line in lines for p in buffer_line(line, radius_m, max_piece_m)]
        return cls(id, kind, tuple(pieces), props)

    @classmethod
    def from_geojson(cls, id: str, kind: str, geojson: Mapping[str, Any], **props: Any) -> Geofence:
        geom = shape(geojson)
        polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        return cls(id, kind, tuple(p for poly in polys for p in subdivide(poly)), props)

    @classmethod
    def disc(cls, id: str, kind: str, lat: float, lon: float, radius_m: float) -> Geofence:
        return cls(id, kind, (circle(lat, lon, radius_m),))


OWN_KINDS = frozenset({FenceKind.corridor, FenceKind.sector})
"""Geofences that concern one device (its trip's corridor, its sector); the others concern
every device."""


class GeoQueries(Protocol):
    """What the rules ask of the geofences (`GeofenceIndex`, or its batch `Prefetched`)."""

    fences: dict[str, Geofence]

    def kind(self, fence_id: str) -> str: ...

    def at(self, lat: float, lon: float) -> AbstractSet[str]: ...

    def crossed(self, lat1: float, lon1: float, lat2: float, lon2: float) -> AbstractSet[str]: ...

    def segment_within(
        self, fence_id: str, lat1: float, lon1: float, lat2: float, lon2: float
    ) -> bool: ...


class GeofenceIndex:
    """Every geofence's pieces in one STRtree; queries return geofence ids."""

    def __init__(self, fences: Iterable[Geofence] = ()):
        self.fences: dict[str, Geofence] = {}
        geoms: list[Polygon] = []
        owners: list[str] = []
        self._span: dict[str, tuple[int, int]] = {}
        """Each geofence's pieces: (first index, count), consecutive in ``_geoms``."""
        for fence in fences:
            self.fences[fence.id] = fence
            start = len(geoms)
            for piece in fence.pieces:
                geoms.append(piece)
                owners.append(fence.id)
            self._span[fence.id] = (start, len(geoms) - start)
        self._owners = np.array(owners, dtype=object)
        self._geoms = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms)
        # What every device asks about (border strips, checkpoint zones, zones) in a tree of
        # its own; a device's own corridor or sector is tested directly against its pieces.
        shared = np.array(
            [self.fences[o].kind not in OWN_KINDS for o in owners], dtype=bool
        ).reshape(-1)
        self._shared_idx = np.flatnonzero(shared)
        self._shared_tree = STRtree(self._geoms[self._shared_idx])

    def __len__(self) -> int:
        return len(self.fences)

    @property
    def pieces(self) -> int:
        return len(self._geoms)

    def kind(self, fence_id: str) -> str:
        return self.fences[fence_id].kind

    def at(self, lat: float, lon: float) -> set[str]:
        """Ids of the geofences containing the point (index search, then exact test)."""
        if not len(self._geoms):
            return set()
        hits = self._tree.query(Point(lon, lat), predicate="intersects")
        return set(self._owners[hits])

    def at_many(self, lats: Sequence[float], lons: Sequence[float]) -> list[set[str]]:
        """`at` for many points at once (vectorised)."""
        out: list[set[str]] = [set() for _ in lats]
        if not len(self._geoms) or not len(lats):
            return out
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        src, dst = self._tree.query(points, predicate="intersects")
        for i, j in zip(src.tolist(), dst.tolist(), strict=True):
            out[i].add(self._owners[j])
        return out

    def crossed(self, lat1: float, lon1: float, lat2: float, lon2: float) -> set[str]:
        """Ids of the geofences the straight segment between two fixes touches."""
        if not len(self._geoms):
            return set()
        hits = self._tree.query(LineString([(lon1, lat1), (lon2, lat2)]), predicate="intersects")
        return set(self._owners[hits])

    def segment_within(
        self, fence_id: str, lat1: float, lon1: float, lat2: float, lon2: float
    ) -> bool:
        """Whether the segment stays inside the geofence (the union of its pieces)."""
        fence = self.fences[fence_id]
        seg = LineString([(lon1, lat1), (lon2, lat2)])
        rest = seg
        for piece in fence.pieces:
            if rest.intersects(piece):
                rest = rest.difference(piece)
                if rest.is_empty or rest.length < 1e-9:
                    return True
        return bool(rest.is_empty or rest.length < 1e-9)

    def crossed_many(self, segments: Sequence[tuple[float, float, float, float]]) -> list[set[str]]:
        """`crossed` for many segments at once (vectorised)."""
        out: list[set[str]] = [set() for _ in segments]
        if not len(self._geoms) or not len(segments):
            return out
        coords = np.array(
            [[(lon1, lat1), (lon2, lat2)] for lat1, lon1, lat2, lon2 in segments], dtype=float
        )
        lines = shapely.linestrings(coords)
        src, dst = self._tree.query(lines, predicate="intersects")
        for i, j in zip(src.tolist(), dst.tolist(), strict=True):
            out[i].add(self._owners[j])
        return out

    def prefetch(
        self,
        points: Sequence[tuple[float, float]],
        segments: Sequence[tuple[float, float, float, float]] = (),
        own: Sequence[tuple[str, ...]] | None = None,
    ) -> Prefetched:
        """Answer the point and segment queries of a batch of fixes with vectorised searches;
        other queries fall through to the index.

        With ``own`` (for each point, the ids of the corridor or sector of the device asking),
        a point's answer holds the shared geofences (border strips, checkpoint zones, zones)
        and those own geofences that contain it, and a segment's answer the shared geofences
        it touches: exactly what the rules ask, without testing the corridors of the other
        ten thousand trucks that happen to pass nearby."""
        if own is None:
            at = dict(
                zip(
                    points,
                    self.at_many([p[0] for p in points], [p[1] for p in points]),
                    strict=True,
                )
            )
            return Prefetched(
                self, at, dict(zip(segments, self.crossed_many(segments), strict=True))
            )
        at_hits: dict[tuple[float, float], set[str]] = {}
        if points and len(self._geoms):
            coords = np.fromiter(chain.from_iterable(points), float, 2 * len(points))
            pts = shapely.points(coords[1::2], coords[0::2])
            if len(self._shared_idx):
                src, dst = self._shared_tree.query(pts, predicate="intersects")
                owners = self._owners[self._shared_idx[dst]]
                for i, o in zip(src.tolist(), owners.tolist(), strict=True):
                    at_hits.setdefault(points[i], set()).add(o)
            # own geofences: every (point, piece) pair, one vectorised exact test
            pair_pts: list[int] = []
            starts: list[int] = []
            counts: list[int] = []
            span = self._span
            spans_of: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # a device's, once
            for i, fence_ids in enumerate(own):
                spans = spans_of.get(fence_ids)
                if spans is None:
                    spans = spans_of[fence_ids] = [span[f] for f in fence_ids if f in span]
                for start, count in spans:
                    pair_pts.append(i)
                    starts.append(start)
                    counts.append(count)
            if pair_pts:
                n = np.asarray(counts)
                idx = np.repeat(np.asarray(pair_pts), n)
                first = np.cumsum(n) - n  # where each pair's pieces begin in the flat list
                pieces_idx = np.repeat(np.asarray(starts) - first, n) + np.arange(int(n.sum()))
                hit = shapely.intersects(self._geoms[pieces_idx], pts[idx])
                for i, j in zip(idx[hit].tolist(), pieces_idx[hit].tolist(), strict=True):
                    at_hits.setdefault(points[i], set()).add(self._owners[j])
        crossed_hits: dict[tuple[float, float, float, float], set[str]] = {}
        if segments and len(self._shared_idx):
            flat = np.fromiter(chain.from_iterable(segments), float, 4 * len(segments))
            ends = flat.reshape(-1, 4)[:, [1, 0, 3, 2]].reshape(-1, 2, 2)
            src, dst = self._shared_tree.query(shapely.linestrings(ends), predicate="intersects")
            owners = self._owners[self._shared_idx[dst]]
            for i, o in zip(src.tolist(), owners.tolist(), strict=True):
                crossed_hits.setdefault(segments[i], set()).add(o)
        return Prefetched(self, at_hits, crossed_hits, set(points), set(segments))


_NOTHING: frozenset[str] = frozenset()


class Prefetched:
    """A `GeofenceIndex` with the answers for one batch of fixes already computed."""

    def __init__(
        self,
        index: GeofenceIndex,
        at: dict[tuple[float, float], set[str]],
        crossed: dict[tuple[float, float, float, float], set[str]],
        points: AbstractSet[tuple[float, float]] | None = None,
        segments: AbstractSet[tuple[float, float, float, float]] | None = None,
    ):
        """``at`` and ``crossed`` hold the answers; ``points`` and ``segments``, when given,
        are what was asked (those absent from the answers touch nothing), else the keys of
        the answers."""
        self.index = index
        self.fences = index.fences
        self._at = at
        self._crossed = crossed
        self._points = at.keys() if points is None else points
        self._segments = crossed.keys() if segments is None else segments

    def kind(self, fence_id: str) -> str:
        return self.index.fences[fence_id].kind

    def at(self, lat: float, lon: float) -> AbstractSet[str]:
        key = (lat, lon)
        hit = self._at.get(key)
        if hit is not None:
            return hit
        return _NOTHING if key in self._points else self.index.at(lat, lon)

    def crossed(self, lat1: float, lon1: float, lat2: float, lon2: float) -> AbstractSet[str]:
        key = (lat1, lon1, lat2, lon2)
        hit = self._crossed.get(key)
        if hit is not None:
            return hit
        return _NOTHING if key in self._segments else self.index.crossed(lat1, lon1, lat2, lon2)

    def segment_within(
        self, fence_id: str, lat1: float, lon1: float, lat2: float, lon2: float
    ) -> bool:
        return self.index.segment_within(fence_id, lat1, lon1, lat2, lon2)
