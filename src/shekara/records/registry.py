"""Every shared-record resource, in one list (API, search, exports and tests iterate it)."""

from __future__ import annotations

from shekara.cases.resource import CASES
from shekara.crossings.resource import CROSSINGS
from shekara.incidents.resource import INCIDENTS
from shekara.organisations.resource import ORGANISATIONS
from shekara.persons.resource import DOCUMENTS, PERSONS, PHONES
from shekara.records.spec import ResourceSpec
from shekara.sources.resource import SOURCES
from shekara.vehicles.resource import VEHICLES

RESOURCES: dict[str, ResourceSpec] = {
    r.name: r
    for r in (
        PERSONS,
        DOCUMENTS,
        PHONES,
        VEHICLES,
        ORGANISATIONS,
        INCIDENTS,
        CROSSINGS,
        CASES,
        SOURCES,
    )
}
