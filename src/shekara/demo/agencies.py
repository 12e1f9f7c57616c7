"""Demo agencies of the member countries, and one demo user per role in several of them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from shekara.accounts.constants import Role
from shekara.agencies.constants import AgencyKind

MEMBER_COUNTRIES = ("KZ", "RU", "BY", "KG", "UZ", "TJ")
# One fixed password for every demo account. ``shekara demo`` refuses to run in production.
DEMO_PASSWORD = "shekara-demo"


@dataclass(frozen=True)
class AgencyDef:
    code: str
    country: str
    kind: AgencyKind
    name_en: str
    name_ru: str
    name_kk: str

    @property
    def contact(self) -> str:
        number = zlib.crc32(self.code.encode()) % 10000
        return f"duty@{self.code.lower()}.demo.example, +000 555 {number:04d} (SYNTHETIC)"


A = AgencyKind
AGENCIES: tuple[AgencyDef, ...] = (
    # Kazakhstan
    AgencyDef("KZ-PS-KNB", "KZ", A.border, "Border Service of the National Security Committee of "
              "Kazakhstan", "Пограничная служба КНБ Республики Казахстан",
              "ҚР ҰҚК Шекара қызметі"),
    AgencyDef("KZ-KGD-CUS", "KZ", A.customs, "Customs Control Committee of Kazakhstan",
              "Комитет таможенного контроля Республики Казахстан",
              "ҚР Кедендік бақылау комитеті"),
    AgencyDef("KZ-MVD", "KZ", A.police, "Ministry of Internal Affairs of Kazakhstan (police)",
              "Министерство внутренних дел Республики Казахстан",
              "ҚР Ішкі істер министрлігі"),
    AgencyDef("KZ-MVD-DN", "KZ", A.drug_control, "Anti-Drug Department of the Ministry of "
              "Internal Affairs of Kazakhstan", "Департамент по противодействию наркопреступности "
              "МВД РК", "ҚР ІІМ Есірткі қылмысына қарсы іс-қимыл департаменті"),
    AgencyDef("KZ-KNB", "KZ", A.security, "National Security Committee of Kazakhstan",
              "Комитет национальной безопасности Республики Казахстан",
              "ҚР Ұлттық қауіпсіздік комитеті"),
    AgencyDef("KZ-GP", "KZ", A.prosecutor, "Prosecutor General's Office of Kazakhstan",
              "Генеральная прокуратура Республики Казахстан", "ҚР Бас прокуратурасы"),
    AgencyDef("CARICC", "KZ", A.coordination_centre, "Central Asian Regional Information and "
              "Coordination Centre (Almaty)", "Центрально-Азиатский региональный информационный "
              "координационный центр (Алматы)", "Орталық Азиялық өңірлік ақпараттық үйлестіру "
              "орталығы (Алматы)"),
    # Russia
    AgencyDef("RU-PS-FSB", "RU", A.border, "Border Service of the Federal Security Service of "
              "Russia", "Пограничная служба ФСБ России", "Ресей ФҚҚ Шекара қызметі"),
    AgencyDef("RU-FTS", "RU", A.customs, "Federal Customs Service of Russia",
              "Федеральная таможенная служба России", "Ресей Федералдық кеден қызметі"),
    AgencyDef("RU-MVD", "RU", A.police, "Ministry of Internal Affairs of Russia (police)",
              "Министерство внутренних дел Российской Федерации", "Ресей Ішкі істер министрлігі"),
    AgencyDef("RU-MVD-GUNK", "RU", A.drug_control, "Main Directorate for Drug Control of the "
              "Ministry of Internal Affairs of Russia", "Главное управление по контролю за "
              "оборотом наркотиков МВД России", "Ресей ІІМ Есірткі айналымын бақылау бас "
              "басқармасы"),
    AgencyDef("RU-FSB", "RU", A.security, "Federal Security Service of Russia",
              "Федеральная служба безопасности России", "Ресей Федералдық қауіпсіздік қызметі"),
    AgencyDef("RU-GP", "RU", A.prosecutor, "Prosecutor General's Office of Russia",
              "Генеральная прокуратура Российской Федерации", "Ресей Бас прокуратурасы"),
    # Belarus
    AgencyDef("BY-GPK", "BY", A.border, "State Border Committee of Belarus",
              "Государственный пограничный комитет Республики Беларусь",
              "Беларусь Мемлекеттік шекара комитеті"),
    AgencyDef("BY-GTK", "BY", A.customs, "State Customs Committee of Belarus",
              "Государственный таможенный комитет Республики Беларусь",
              "Беларусь Мемлекеттік кеден комитеті"),
    AgencyDef("BY-MVD", "BY", A.police, "Ministry of Internal Affairs of Belarus",
              "Министерство внутренних дел Республики Беларусь",
              "Беларусь Ішкі істер министрлігі"),
    # Kyrgyzstan
    AgencyDef("KG-PS-GKNB", "KG", A.border, "Border Service of the State Committee for National "
              "Security of Kyrgyzstan", "Пограничная служба ГКНБ Кыргызской Республики",
              "Қырғызстан ҰҚМК Шекара қызметі"),
    AgencyDef("KG-GTS", "KG", A.customs, "State Customs Service of Kyrgyzstan",
              "Государственная таможенная служба Кыргызской Республики",
              "Қырғызстан Мемлекеттік кеден қызметі"),
    AgencyDef("KG-MVD-SBNON", "KG", A.drug_control, "Anti-Drug Service of the Ministry of "
              "Internal Affairs of Kyrgyzstan", "Служба по борьбе с незаконным оборотом "
              "наркотиков МВД КР", "Қырғызстан ІІМ Есірткінің заңсыз айналымына қарсы қызметі"),
    # Uzbekistan
    AgencyDef("UZ-CHV-SGB", "UZ", A.border, "Border Troops of the State Security Service of "
              "Uzbekistan", "Пограничные войска СГБ Республики Узбекистан",
              "Өзбекстан МҚҚ Шекара әскерлері"),
    AgencyDef("UZ-GTK", "UZ", A.customs, "State Customs Committee of Uzbekistan",
              "Государственный таможенный комитет Республики Узбекистан",
              "Өзбекстан Мемлекеттік кеден комитеті"),
    AgencyDef("UZ-MVD", "UZ", A.police, "Ministry of Internal Affairs of Uzbekistan",
              "Министерство внутренних дел Республики Узбекистан",
              "Өзбекстан Ішкі істер министрлігі"),
    # Tajikistan
    AgencyDef("TJ-GUPV-GKNB", "TJ", A.border, "Border Troops of the State Committee for National "
              "Security of Tajikistan", "Главное управление пограничных войск ГКНБ Республики "
              "Таджикистан", "Тәжікстан ҰҚМК Шекара әскерлері"),
    AgencyDef("TJ-AKN", "TJ", A.drug_control, "Drug Control Agency of Tajikistan",
              "Агентство по контролю за наркотиками при Президенте Республики Таджикистан",
              "Тәжікстан Есірткіні бақылау агенттігі"),
    AgencyDef("TJ-GTS", "TJ", A.customs, "Customs Service of Tajikistan",
              "Таможенная служба при Правительстве Республики Таджикистан",
              "Тәжікстан Кеден қызметі"),
)
AGENCY_BY_CODE = {a.code: a for a in AGENCIES}


def agencies_of(country: str, kind: AgencyKind | None = None) -> list[AgencyDef]:
    return [a for a in AGENCIES if a.country == country and (kind is None or a.kind == kind)]


def border_agency(country: str) -> AgencyDef | None:
    found = agencies_of(country, AgencyKind.border)
    return found[0] if found else None


def security_agency(country: str) -> AgencyDef | None:
    """Who takes over serious cases from the border service (national security committee)."""
    for kind in (AgencyKind.security, AgencyKind.drug_control, AgencyKind.police):
        found = agencies_of(country, kind)
        if found:
            return found[0]
    return None


ALL_ROLES = tuple(Role)
# agency code -> roles that get a demo account in it
DEMO_ACCOUNTS: dict[str, tuple[Role, ...]] = {
    "KZ-PS-KNB": ALL_ROLES,
    "KZ-KGD-CUS": (Role.officer, Role.inspector, Role.analyst, Role.supervisor),
    "KZ-KNB": (Role.analyst, Role.supervisor),
    "KZ-MVD-DN": (Role.analyst, Role.inspector),
    "CARICC": (Role.analyst, Role.duty_officer, Role.liaison_officer),
    "RU-PS-FSB": ALL_ROLES,
    "RU-FTS": (Role.officer, Role.analyst),
    "BY-GPK": (Role.officer, Role.analyst, Role.liaison_officer),
    "KG-PS-GKNB": (Role.officer, Role.inspector, Role.analyst, Role.supervisor),
    "UZ-CHV-SGB": (Role.officer, Role.analyst, Role.liaison_officer),
    "TJ-AKN": (Role.inspector, Role.analyst, Role.liaison_officer),
}


def demo_username(agency_code: str, role: Role) -> str:
    """``kz-ps-knb.officer``: the agency code in lower case, a dot, the role."""
    return f"{agency_code.lower()}.{role.value.replace('_', '-')}"


def demo_accounts() -> list[tuple[str, str, Role]]:
    """(username, agency code, role) of every demo account, in a stable order."""
    return [(demo_username(code, role), code, role)
            for code, roles in DEMO_ACCOUNTS.items() for role in roles]
