from enum import StrEnum


class CaseStatus(StrEnum):
    opened = "opened"
    investigation = "investigation"
    suspended = "suspended"
    referred_to_court = "referred_to_court"
    sentenced = "sentenced"
    closed = "closed"


ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.opened: frozenset({CaseStatus.investigation, CaseStatus.closed}),
    CaseStatus.investigation: frozenset(
        {CaseStatus.suspended, CaseStatus.referred_to_court, CaseStatus.closed}
    ),
    CaseStatus.suspended: frozenset({CaseStatus.investigation, CaseStatus.closed}),
    CaseStatus.referred_to_court: frozenset({CaseStatus.sentenced, CaseStatus.closed}),
    CaseStatus.sentenced: frozenset({CaseStatus.closed}),
    CaseStatus.closed: frozenset(),
}
