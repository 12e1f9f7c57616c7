"""Screening pages with the real app and database: the checkpoint form, MRZ, manifests,
watchlists and the hit inbox, entity resolution; the sharing policy on every page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shekara.audit.models import AuditEntry
from shekara.policy.constants import Distribution
from shekara.screening import index, resolution, scoring, service
from shekara.screening.models import HitStatus, WatchlistEntry, WatchlistHit
from shekara.screening.mrz import check_digit
from shekara.web.i18n import translator
from shekara.web.views import screening_text
from tests.conftest import ViewerFactory, World
from tests.screening_service.helpers import person, vehicle
from tests.web.helpers import csrf, login, post


@pytest.fixture(autouse=True)
def _fresh_screening_caches() -> Iterator[None]:
    service._CONFIG_CACHE.clear()
    index._COMMON.clear()
    yield
    service._CONFIG_CACHE.clear()
    index._COMMON.clear()


def td3(surname: str, given: str, number: str, nat: str, birth: str, expiry: str) -> str:
    """A passport's two MRZ lines with correct check digits."""
    cd = check_digit
    line1 = f"P<{nat}{surname}<<{given.replace(' ', '<')}".ljust(44, "<")[:44]
    num, opt = number.ljust(9, "<"), "<" * 14
    line2 = f"{num}{cd(num)}{nat}{birth}{cd(birth)}M{expiry}{cd(expiry)}{opt}{cd(opt)}"
    line2 += cd(line2[0:10] + line2[13:20] + line2[21:43])
    return f"{line1}\n{line2}"


def screen(client: TestClient, **fields: str) -> str:
    data = {k: "" for k in ("name", "birth_date", "nationality", "document", "plate", "mrz")}
    r = post(client, "/screening", {**data, **fields}, page="/screening")
    assert r.status_code in (200, 422), r.text
    return r.text


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_reason_code_has_a_translatable_template() -> None:
    """The console renders every code the scoring and the service emit, with the same
    English text (the Russian and Kazakh ones come from the catalogs)."""
    for code, english in {**scoring.MESSAGES["en"], **service.MESSAGES["en"]}.items():
        assert screening_text.REASONS.get(code) == english, code
    for how, english in scoring.PART_MESSAGES["en"].items():
        assert screening_text.PART_REASONS.get(how) == english, how
    ru = translator("ru")
    params = {"query": "Нургалиев", "candidate": "NURGALIEV", "standard": "ICAO 9303"}
    assert screening_text.reason_text(ru, "surname_translit", params) == (
        "Фамилия: Нургалиев = NURGALIEV, транслитерация (ICAO 9303)"
    )
    for lang in ("ru", "kk"):
        t = translator(lang)
        for code in scoring.MESSAGES[lang]:
            assert t.gettext(screening_text.REASONS[code]) == scoring.MESSAGES[lang][code]


def test_form_is_keyboard_first_and_in_the_menu(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    page = client.get("/screening").text
    assert 'href="/screening"' in page
    name = re.search(r'<input id="f-name"[^>]*>', page)
    assert name and "autofocus" in name.group(0)
    assert '<button type="submit" class="primary">' in page  # Enter in any field screens


def test_cyrillic_query_finds_latin_record_with_reasons_in_russian(
    client: TestClient, session: Session, world: World
) -> None:
    p = person(session, "KZ-BS", ["NURGALIEV ERLAN"], dob="1984-03-12", nationalities=["KZ"])
    login(client, "kz-officer")
    post(client, "/lang", {"lang": "ru", "next": "/screening"})
    page = text_of(screen(client, name="Нургалиев Ерлан", birth_date="12.03.1984"))
    assert "NURGALIEV ERLAN" in page
    assert "Совпадение" in page  # the match flag
    assert "Дата рождения совпадает (12.03.1984)" in page  # the reason, in Russian
    assert "Фамилия: Нургалиев = NURGALIEV" in page
    assert "Agency KZ-BS" in page and "duty@kz-bs.example" in page  # owner and whom to call
    entry = (
        session.execute(
            select(AuditEntry).where(AuditEntry.action == "screen").order_by(AuditEntry.at.desc())
        )
        .scalars()
        .first()
    )
    assert entry is not None and str(p.id) in str(entry.result_ids)
    # Latin query, Kazakh page
    post(client, "/lang", {"lang": "kk", "next": "/screening"})
    page = text_of(screen(client, name="Erlan Nurgaliyev", birth_date="1984"))
    assert "NURGALIEV ERLAN" in page and "Туған күні сәйкес келеді" in page


def test_mrz_fills_the_fields_and_screens(
    client: TestClient, session: Session, world: World
) -> None:
    person(session, "KZ-BS", ["Нұрғалиев Ерлан"], dob="1984-03-12", documents=["N12345678"])
    zone = td3("NURGALIEV", "ERLAN", "N12345678", "KAZ", "840312", "300101")
    login(client, "kz-officer")
    token = csrf(client, "/screening")
    r = client.post("/screening/mrz", data={"mrz": zone, "csrf_token": token})
    assert r.status_code == 200
    assert 'value="NURGALIEV ERLAN"' in r.text and 'value="1984-03-12"' in r.text
    assert 'value="N12345678"' in r.text and "TD3" in r.text
    page = text_of(screen(client, mrz=zone))
    assert "Нұрғалиев Ерлан" in page and "Document number: same (N12345678)" in page
    # a misread digit: still filled in, the check digit problem named
    broken = zone[:-3] + ("1" if zone[-3] != "1" else "2") + zone[-2:]
    r = client.post("/screening/mrz", data={"mrz": broken, "csrf_token": token})
    assert "check digit does not match" in r.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "name", "Type a name, a document number or a plate"),
        ({"name": "Нургалиев", "birth_date": "soon"}, "birth_date", "such as 1985"),
        ({"mrz": "NOT A ZONE"}, "mrz", "not a machine-readable zone"),
    ],
)
def test_bad_input_is_named_on_its_field(
    client: TestClient, world: World, fields: dict[str, str], field: str, message: str
) -> None:
    login(client, "kz-officer")
    data = {k: "" for k in ("name", "birth_date", "nationality", "document", "plate", "mrz")}
    r = post(client, "/screening", {**data, **fields}, page="/screening")
    assert r.status_code == 422
    err = re.search(rf'<span class="err" id="err-{field}"[^>]*>([^<]*)</span>', r.text)
    assert err and message in err.group(1)
    assert f'id="f-{field}"' in r.text and 'aria-invalid="true"' in r.text


def test_foreign_user_sees_nothing_and_hit_only_shows_whom_to_contact(
    client: TestClient, session: Session, world: World
) -> None:
    person(session, "KZ-BS", ["Сапаров Бауыржан"], dob="1979-05-01",
           distribution=Distribution.agency)  # fmt: skip
    person(session, "KZ-POL", ["Жумабеков Аскар"], dob="1990-02-02", hit_only=True)
    login(client, "ru-officer")
    results = screen(client, name="Сапаров Бауыржан", birth_date="1979-05-01")
    results = text_of(results.split('id="results"')[1])
    assert "No hit among the records you may see." in results
    assert "Сапаров" not in results and "KZ-BS" not in results
    assert "0 candidates considered" in results  # not even counted
    results = screen(client, name="Жумабеков Аскар", birth_date="1990-02-02")
    results = text_of(results.split('id="results"')[1])
    assert "the owner holds information — contact Agency KZ-POL" in results
    assert "duty@kz-pol.example" in results
    assert "Жумабеков" not in results and "Match" not in results and "Score" not in results


def test_plate_screening(client: TestClient, session: Session, world: World) -> None:
    vehicle(session, "KZ-BS", "123ABC02")
    login(client, "kz-police")
    page = text_of(screen(client, plate="123 АВС 02"))  # Cyrillic look-alike letters
    assert "123ABC02" in page and "Plate: same (123ABC02)" in page


def test_watchlist_alert_inbox_and_decisions(
    client: TestClient, session: Session, world: World
) -> None:
    p = person(session, "KZ-BS", ["Ахметов Тимур"], dob="1988-07-07")
    login(client, "kz-officer")
    r = post(client, "/screening/watchlist", {
        "target_type": "person", "target_id": str(p.id), "reason": "Wanted for smuggling",
        "on_hit": "arrest", "distribution": "country", "valid_until": "2099-12-31",
    }, page="/screening/watchlist")  # fmt: skip
    assert r.status_code == 303, r.text
    listing = text_of(client.get("/screening/watchlist").text)
    assert "Wanted for smuggling" in listing and "Arrest" in listing

    login(client, "kz-police")  # another agency of the same country screens the man
    page = text_of(screen(client, name="Akhmetov Timur", birth_date="07.07.1988"))
    assert "On hit: Arrest" in page and "Wanted for smuggling" in page
    assert "answers by" in page

    login(client, "kz-officer2")  # the owner agency's inbox
    inbox = client.get("/screening/hits").text
    assert "Akhmetov Timur" in inbox and re.search(r"1[01] h \d+ min left", text_of(inbox))
    assert "1 new hit since this inbox was last opened." in inbox  # the notification, read
    assert "Wanted for smuggling" in inbox  # which entry was hit
    assert "new hit since" not in client.get("/screening/hits").text
    hit = session.execute(select(WatchlistHit)).scalars().one()
    r = post(client, f"/screening/hits/{hit.id}/decision",
             {"status": "rejected", "note": "namesake, other father"},
             page="/screening/hits")  # fmt: skip
    assert r.status_code == 303
    session.refresh(hit)
    assert hit.status == HitStatus.rejected and hit.decision_note == "namesake, other father"
    assert "namesake, other father" in client.get("/screening/hits?status=rejected").text

    login(client, "kz-police")  # the same traveller again: no new alert
    page = text_of(screen(client, name="Akhmetov Timur", birth_date="07.07.1988"))
    assert "rejected this match earlier; no new alert" in page
    assert len(session.execute(select(WatchlistHit)).scalars().all()) == 1

    login(client, "ru-officer")  # a foreign agency: neither the entry nor the hits
    assert "Wanted for smuggling" not in client.get("/screening/watchlist").text
    assert "Akhmetov" not in client.get("/screening/hits?status=all").text


def test_watchlist_form_errors_and_roles(
    client: TestClient, session: Session, world: World
) -> None:
    p = person(session, "KZ-BS", ["Ахметов Тимур"], dob="1988-07-07")
    login(client, "kz-officer")
    r = post(client, "/screening/watchlist",
             {"target_type": "person", "target_id": str(p.id), "reason": "", "on_hit": "arrest"},
             page="/screening/watchlist")  # fmt: skip
    assert r.status_code == 422 and "Fill this in." in r.text
    r = post(client, "/screening/watchlist", {
        "target_type": "person", "target_id": str(p.id), "reason": "x", "on_hit": "arrest",
        "valid_from": "2030-01-02", "valid_until": "2030-01-01",
    }, page="/screening/watchlist")  # fmt: skip
    assert r.status_code == 422 and "must follow valid_from" in r.text
    assert session.execute(select(WatchlistEntry)).first() is None  # nothing half-written
    login(client, "kz-duty")  # reads, does not write: no form, and a POST is refused
    assert "Add an entry" not in client.get("/screening/watchlist").text
    r = post(client, "/screening/watchlist",
             {"target_type": "person", "target_id": str(p.id), "reason": "x", "on_hit": "arrest"},
             page="/screening/watchlist")  # fmt: skip
    assert r.status_code == 403


def _upload(client: TestClient, name: str, content: bytes) -> str:
    token = csrf(client, "/screening/manifest")
    r = client.post(
        "/screening/manifest",
        data={"csrf_token": token},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def test_manifest_upload_progress_results_and_download(
    client: TestClient, session: Session, world: World
) -> None:
    person(session, "KZ-BS", ["NURGALIEV ERLAN"], dob="1984-03-12")
    rows = ["ФИО;дата рождения;гражданство", "Нургалиев Ерлан;12.03.1984;KZ"]
    rows += [f"Traveller{i} Unknown{i};1970;RU" for i in range(60)]
    login(client, "kz-officer")
    job = _upload(client, "bus 17.csv", "\n".join(rows).encode())
    page = client.get(job).text
    assert "<progress" in page and 'hx-trigger="load"' in page
    token = csrf(client, job)
    steps = 0
    while "Download the result" not in page:
        steps += 1
        assert steps < 100
        r = client.post(job + "/step", data={"csrf_token": token}, headers={"HX-Request": "true"})
        assert r.status_code == 200
        page = r.text
    assert "Done: 61 rows screened" in text_of(page)
    assert "NURGALIEV ERLAN" in page and "Нургалиев Ерлан" in page
    r = client.get(job + "/result.csv")
    assert r.status_code == 200 and "bus-17-screening.csv" in r.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(r.text)))
    assert len(lines) == 61 and lines[0]["label"] == "NURGALIEV ERLAN"
    assert lines[0]["match"] == "True" and lines[1]["hits"] == "0"
    audits = (
        session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "screen", AuditEntry.resource == "manifest"
            )
        )
        .scalars()
        .all()
    )
    assert sum((a.query or {})["rows"] for a in audits) == 61  # every part audited
    login(client, "kz-officer2")  # someone else's manifest answers like a missing one
    assert client.get(job).status_code == 404
    assert client.get(job + "/result.csv").status_code == 404


def test_manifest_bad_file_is_refused_on_its_field(client: TestClient, world: World) -> None:
    login(client, "kz-officer")
    token = csrf(client, "/screening/manifest")
    broken = {"file": ("list.xlsx", b"PK\x03\x04 broken", "application/zip")}
    r = client.post("/screening/manifest", data={"csrf_token": token}, files=broken)
    assert r.status_code == 422
    assert re.search(r'id="err-file"[^>]*>[^<]*not an XLSX file', r.text)


def test_linkage_review_and_cluster_per_viewer(
    client: TestClient, session: Session, world: World, viewer: ViewerFactory
) -> None:
    kz = person(session, "KZ-BS", ["Нұрғалиев Ерлан"], dob="1985-03-12")
    ru = person(session, "RU-FSB-PS", ["Нургалиев Ерлан"], dob="1985-03-12")
    kz_only = person(session, "KZ-POL", ["NURGALIEV ERLAN"], dob="1985-03-12",
                     distribution=Distribution.country)  # fmt: skip
    resolution.run(session)
    login(client, "kz-analyst")
    page = client.get("/screening/resolution").text
    assert page.count("/judgement") >= 2
    assert "Date of birth: same (1985-03-12)" in page
    for pair in resolution.list_pairs(session, viewer("kz-analyst")):
        r = post(client, f"/screening/resolution/pairs/{pair.id}/judgement",
                 {"verdict": "positive", "note": "same photo"},
                 page="/screening/resolution")  # fmt: skip
        assert r.status_code == 303
    cluster = client.get(f"/screening/resolution/records/{kz.id}/cluster").text
    assert str(kz_only.id) in cluster and str(ru.id) in cluster

    login(client, "ru-analyst")  # sees the KZ and RU records, not the KZ-only one
    cluster = client.get(f"/screening/resolution/records/{ru.id}/cluster").text
    assert str(kz.id) in cluster and str(ru.id) in cluster
    assert str(kz_only.id) not in cluster
    assert str(kz_only.id) not in client.get("/screening/resolution?all=1").text
    assert client.get(f"/screening/resolution/records/{kz_only.id}/cluster").status_code == 404

    login(client, "kz-officer")  # officers do not review linkage
    assert client.get("/screening/resolution").status_code == 403
