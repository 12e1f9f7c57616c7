from enum import StrEnum


class NameKind(StrEnum):
    """How a name was obtained."""

    native = "native"  # as written in the person's own script
    passport = "passport"  # passport Latin (MRZ / data page)
    transliteration = "transliteration"  # rendered by an agency from another script
    alias = "alias"  # nickname, false name


class Script(StrEnum):
    cyrillic = "Cyrl"
    latin = "Latn"
    arabic = "Arab"
    other = "Zyyy"


class Sex(StrEnum):
    male = "M"
    female = "F"
    unknown = "U"


class DocumentKind(StrEnum):
    passport = "passport"
    id_card = "id_card"
    driving_licence = "driving_licence"
    residence_permit = "residence_permit"
    visa = "visa"
    seaman_book = "seaman_book"
    other = "other"
