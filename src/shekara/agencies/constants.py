from enum import StrEnum


class AgencyKind(StrEnum):
    border = "border"
    customs = "customs"
    police = "police"
    security = "security"
    prosecutor = "prosecutor"
    drug_control = "drug_control"
    coordination_centre = "coordination_centre"
