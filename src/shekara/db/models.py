"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests).

Areas in their own packages (screening, tracking) register their tables here too.
"""
import shekara.screening.models  # noqa: F401
import shekara.tracking.models  # noqa: F401
from shekara.accounts.models import ApiToken, User
from shekara.agencies.models import Agency, Country
from shekara.audit.models import AuditAccess, AuditEntry
from shekara.cases.models import Case, CaseEvent
from shekara.crossings.models import Crossing
from shekara.db.base import Base
from shekara.incidents.models import Incident, Involvement, Seizure
from shekara.organisations.models import Membership, Organisation
from shekara.persons.models import Document, Person, PersonName, PersonNameToken, Phone
from shekara.places.models import Place
from shekara.policy.models import ShareGrant
from shekara.sources.models import Source
from shekara.vehicles.models import Vehicle
from shekara.vocab.models import VocabTerm

__all__ = [
    "Agency",
    "ApiToken",
    "AuditAccess",
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvent",
    "Country",
    "Crossing",
    "Document",
    "Incident",
    "Involvement",
    "Membership",
    "Organisation",
    "Person",
    "PersonName",
    "PersonNameToken",
    "Phone",
    "Place",
    "Seizure",
    "ShareGrant",
    "Source",
    "User",
    "Vehicle",
    "VocabTerm",
]
