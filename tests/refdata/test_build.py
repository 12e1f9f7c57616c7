"""The derived files are what scripts/build_refdata.py produces from the pinned inputs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from shekara import refdata
from shekara.refdata.loaders import read_json

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_refdata.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_refdata", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_refdata", module)
    spec.loader.exec_module(module)
    return module


def test_cities_are_reproducible() -> None:
    build = _script()
    regions = read_json("regions.json")["regions"]
    rebuilt = build.build_cities(regions)
    committed = read_json("cities.json")
    assert json.loads(json.dumps(rebuilt, ensure_ascii=False)) == committed


def test_name_pickers() -> None:
    build = _script()
    assert build.pick_russian("Kazan", ["Казан", "Казань", "Qazan"]) == "Казань"
    assert build.pick_russian("Chelyabinsk", ["Челябинск", "Челябі", "Чиләбе"]) == "Челябинск"
    assert build.pick_russian("Nowhere", ["Nowhere"]) is None
    assert build.pick_kazakh("Aktobe", "KZ", ["Актобе", "Ақтөбе", "Актөбә"]) == "Ақтөбе"
    # a Tatar form with shared letters is not taken for Kazakh outside Kazakhstan
    assert build.pick_kazakh("Chelyabinsk", "RU", ["Челябинск", "Чиләбе"]) is None


def test_every_geonames_city_is_in_the_region() -> None:
    codes = {c.alpha2 for c in refdata.load_countries()}
    assert {c.country for c in refdata.load_cities()} == codes
