"""Roles and what each may do. Checked on every endpoint through ``require``."""

from enum import StrEnum


class Role(StrEnum):
    officer = "officer"
    inspector = "inspector"
    analyst = "analyst"
    duty_officer = "duty_officer"
    liaison_officer = "liaison_officer"
    supervisor = "supervisor"
    administrator = "administrator"


class Perm(StrEnum):
    read = "read"  # read records the sharing policy lets the user see
    write = "write"  # create and edit records of the own agency
    export = "export"  # bulk export
    stats = "stats"  # statistics and analysis
    audit_own = "audit_own"  # who accessed the own agency's records
    admin = "admin"  # agencies, users, vocabularies, places
    import_ = "import"  # bulk import


ROLE_PERMS: dict[Role, frozenset[Perm]] = {
    Role.officer: frozenset({Perm.read, Perm.write}),
    Role.inspector: frozenset({Perm.read, Perm.write}),
    Role.analyst: frozenset({Perm.read, Perm.export, Perm.stats, Perm.import_}),
    Role.duty_officer: frozenset({Perm.read, Perm.stats}),
    Role.liaison_officer: frozenset({Perm.read, Perm.export}),
    Role.supervisor: frozenset({Perm.read, Perm.write, Perm.export, Perm.stats, Perm.audit_own}),
    Role.administrator: frozenset({Perm.admin, Perm.audit_own, Perm.import_}),
}
