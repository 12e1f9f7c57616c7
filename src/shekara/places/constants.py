from enum import StrEnum


class PlaceKind(StrEnum):
    checkpoint = "checkpoint"
    border_section = "border_section"
    region = "region"
    city = "city"
    other = "other"


class CheckpointKind(StrEnum):
    road = "road"
    rail = "rail"
    air = "air"
    sea = "sea"
    river = "river"
    pedestrian = "pedestrian"
    simplified = "simplified"


class ImpactLevel(StrEnum):
    """EU border surveillance impact levels of a border section."""

    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Precision(StrEnum):
    exact = "exact"
    approximate = "approximate"
    settlement = "settlement"
