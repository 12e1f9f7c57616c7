from enum import StrEnum


class Distribution(StrEnum):
    """Who may see a record besides its owner agency (each level includes the one before)."""

    agency = "agency"  # the owner agency only
    country = "country"  # every agency of the owner's country
    partners = "partners"  # the owner's country plus the named partner countries/agencies
    all = "all"  # every member agency


class HandlingCode(StrEnum):
    """Europol handling codes."""

    H0 = "H0"  # use only for law enforcement purposes
    H1 = "H1"  # not for use in court without permission of the provider
    H2 = "H2"  # do not disseminate further without permission of the provider
    H3 = "H3"  # other restrictions, stated in handling_note


class SourceReliability(StrEnum):
    """4x4 evaluation: reliability of the source."""

    A = "A"  # reliable
    B = "B"  # usually reliable
    C = "C"  # not usually reliable
    X = "X"  # cannot be judged


class InfoCredibility(StrEnum):
    """4x4 evaluation: credibility of the information."""

    known_true = "1"
    known_to_source = "2"
    corroborated = "3"
    cannot_judge = "4"
