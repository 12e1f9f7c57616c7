"""Browser tests of the screening pages: Chromium driven by Playwright against a real server.

A checkpoint officer screens a name in Cyrillic and in Latin and reads the reasons in Russian,
pastes an MRZ, screens a manifest and downloads the result; the owner agency confirms the
watchlist hit; an analyst links two agencies' records. Screenshots go to ``docs/screenshots/``
(``screening*.png``).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from shekara.accounts.constants import Role
from shekara.accounts.schemas import UserCreate
from shekara.accounts.service import create_user, viewer_for
from shekara.agencies.constants import AgencyKind
from shekara.agencies.schemas import AgencyCreate
from shekara.agencies.service import create_agency
from shekara.db.engine import make_engine
from shekara.db.migrate import upgrade
from shekara.persons.resource import PERSONS
from shekara.records.service import create_record
from shekara.screening import resolution, watchlist
from shekara.screening.mrz import check_digit
from shekara.screening.schemas import WatchlistEntryIn
from shekara.settings import Settings
from shekara.vocab.seed import seed_countries, seed_vocabularies
from shekara.web import assets
from tests.conftest import PASSWORD
from tests.web.live import live_server
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _require_browser, shot

pytestmark = pytest.mark.browser

REASON = "Suspected courier, case KZ-BS-2024-0117"


def _td3() -> str:
    cd = check_digit
    line1 = "P<KAZNURGALIEV<<ERLAN".ljust(44, "<")
    num, opt, birth, expiry = "N12345678", "<" * 14, "840312", "300101"
    line2 = f"{num}{cd(num)}KAZ{birth}{cd(birth)}M{expiry}{cd(expiry)}{opt}{cd(opt)}"
    return f"{line1}\n{line2}{cd(line2[0:10] + line2[13:20] + line2[21:43])}"


def _seed(session: Session) -> dict[str, str]:
    seed_countries(session, ["KZ", "RU", "KG"])
    seed_vocabularies(session)
    for code, name, country, kind in (
        ("KZ-BS", "Border Service of Kazakhstan", "KZ", AgencyKind.border),
        ("KZ-POL", "Police of Kazakhstan", "KZ", AgencyKind.police),
        ("RU-FSB-PS", "Border Service of Russia", "RU", AgencyKind.border),
    ):
        create_agency(
            session,
            AgencyCreate(
                code=code, name=name, country=country, kind=kind,
                contact=f"duty@{code.lower()}.example",
            ),
        )  # fmt: skip
    users = {}
    for username, agency, role in (
        ("kz-officer", "KZ-BS", Role.officer),
        ("kz-police", "KZ-POL", Role.officer),
        ("ru-analyst", "RU-FSB-PS", Role.analyst),
        ("ru-officer", "RU-FSB-PS", Role.officer),
    ):
        users[username] = create_user(
            session,
            UserCreate(
                username=username, agency=agency, role=role, password=PASSWORD,
                display_name=username,
            ),
        )  # fmt: skip
    kz = viewer_for(session, users["kz-officer"])
    man = create_record(
        session,
        kz,
        PERSONS,
        PERSONS.create_schema.model_validate(
            {
                "names": [
                    {"full_name": "Нұрғалиев Ерлан Серікұлы"},
                    {"full_name": "NURGALIEV ERLAN", "kind": "passport"},
                ],
                "sex": "M",
                "birth_year": 1984,
                "birth_month": 3,
                "birth_day": 12,
                "nationalities": ["KZ"],
                "distribution": "all",
            }
        ),
    )
    watchlist.create_entry(
        session,
        kz,
        WatchlistEntryIn.model_validate(
            {
                "target_type": "person",
                "target_id": man["id"],
                "reason": REASON,
                "action": "discreet_check",
                "distribution": "country",
            }
        ),
    )
    ru = viewer_for(session, users["ru-officer"])
    twin = create_record(
        session,
        ru,
        PERSONS,
        PERSONS.create_schema.model_validate(
            {
                "names": [{"full_name": "Нургалиев Ерлан Серикович"}],
                "birth_year": 1984,
                "birth_month": 3,
                "birth_day": 12,
                "distribution": "all",
            }
        ),
    )
    resolution.run(session)
    return {"person": str(man["id"]), "twin": str(twin["id"])}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    _require_browser()
    if assets.missing():
        assets.build()
    folder = tmp_path_factory.mktemp("screening-browser")
    settings = Settings(
        env="test",
        data_dir=folder,
        database_url=f"sqlite:///{folder}/web.db",
        secret_key="browser-test-secret-" + uuid.uuid4().hex,
        member_countries=["KZ", "RU", "KG"],
    )
    engine = make_engine(settings)
    upgrade(engine)
    with Session(engine) as s:
        ids = _seed(s)
        s.commit()
    with live_server(settings, engine) as url:
        yield url, ids
    engine.dispose()


@pytest.fixture(scope="module")
def browser(server: tuple[str, dict[str, str]]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: tuple[str, dict[str, str]]) -> Iterator[Any]:
    context = browser.new_context(
        viewport=VIEWPORT, base_url=server[0], locale="en-GB", accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def sign_in(page: Any, username: str, lang: str = "en") -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search$"))
    if lang != "en":
        page.click(f"button[name=lang][value={lang}]")
        page.wait_for_load_state()


def test_screen_cyrillic_and_latin_with_reasons_in_russian(page: Any) -> None:
    sign_in(page, "kz-police", "ru")
    page.click("header nav a[href='/screening']")
    page.wait_for_url(re.compile(r".*/screening$"))
    # keyboard first: the name field has the focus, Tab reaches the date, Enter screens
    assert page.evaluate("document.activeElement.id") == "f-name"
    page.keyboard.type("Нургалиев Ерлан")
    page.keyboard.press("Tab")
    page.keyboard.type("12.03.1984")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results .screening-hit")
    hit = page.inner_text("#results .screening-hit")
    assert "Нұрғалиев Ерлан Серікұлы" in hit and "Совпадение" in hit
    assert "Дата рождения совпадает (12.03.1984)" in hit
    assert "Фамилия: Нургалиев = Нұрғалиев" in hit or "Фамилия: Нургалиев" in hit
    assert "Скрытая проверка" in hit and REASON in hit  # the action on hit, and why
    assert "Border Service of Kazakhstan" in hit and "duty@kz-bs.example" in hit
    shot(page, "screening-ru")
    # the next traveller: Esc empties the form and gives the name field the focus again
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "f-name"
    assert page.input_value("#f-name") == ""
    page.click("button[name=lang][value=en]")
    page.wait_for_load_state()
    page.fill("#f-name", "Erlan Nurgaliyev")
    page.fill("#f-birth_date", "1984")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results .screening-hit")
    hit = page.inner_text("#results .screening-hit")
    assert "Нұрғалиев Ерлан Серікұлы" in hit and "Date of birth: compatible" in hit
    assert "On hit: Discreet check" in hit
    shot(page, "screening")


def test_mrz_fills_the_fields(page: Any) -> None:
    sign_in(page, "kz-police")
    page.goto("/screening")
    page.fill("#f-mrz", _td3())
    page.wait_for_selector("#f-name[value='NURGALIEV ERLAN']")  # swapped in by htmx
    assert page.input_value("#f-birth_date") == "1984-03-12"
    assert page.input_value("#f-document") == "N12345678"
    assert "TD3" in page.inner_text("#person-fields")
    page.click("#screen-form button.primary")
    page.wait_for_selector("#results .screening-hit")
    assert "Нұрғалиев Ерлан Серікұлы" in page.inner_text("#results")
    shot(page, "screening-mrz")


def test_manifest_upload_progress_and_download(page: Any, tmp_path: Path) -> None:
    sign_in(page, "kz-police")
    page.goto("/screening/manifest")
    rows = ["name,birth_date,nationality,document", "NURGALIEV ERLAN,12.03.1984,KAZ,"]
    rows += [f"Passenger{i} Travellerov{i},19{50 + i % 40},RUS," for i in range(120)]
    path = tmp_path / "bus-0417.csv"
    path.write_text("\n".join(rows), encoding="utf-8")
    page.set_input_files("#f-file", str(path))
    page.click("form button.primary")
    page.wait_for_url(re.compile(r".*/screening/manifest/[0-9a-f]{32}$"))
    page.wait_for_selector("a:has-text('Download the result')", timeout=120_000)
    summary = page.inner_text("#manifest-job")
    assert "Done: 121 rows screened" in summary
    assert "Нұрғалиев Ерлан Серікұлы" in page.inner_text("table.manifest-results")
    assert "Discreet check" in page.inner_text("table.manifest-results")
    shot(page, "screening-manifest")
    with page.expect_download() as info:
        page.click("a:has-text('Download the result')")
    download = info.value
    assert download.suggested_filename == "bus-0417-screening.csv"
    lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert len(lines) == 121
    assert lines[0]["label"] == "Нұрғалиев Ерлан Серікұлы" and lines[0]["match"] == "True"


def test_owner_confirms_the_hit(page: Any) -> None:
    sign_in(page, "kz-police")  # a hit is raised by screening...
    page.goto("/screening")
    page.fill("#f-name", "NURGALIEV ERLAN")
    page.fill("#f-birth_date", "12.03.1984")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results .alert")
    sign_in(page, "kz-officer")  # ...and answered by the owner agency
    page.goto("/screening/hits")
    row = page.locator("table.hit-inbox tbody tr").first
    assert re.search(r"1[01] h \d+ min left", row.inner_text())
    shot(page, "screening-hits")
    row.locator("input[name=note]").fill("Checked the passport: it is him")
    row.locator("button[value=confirmed]").click()
    page.wait_for_url(re.compile(r".*/screening/hits\?decided=confirmed$"))
    assert "Answer recorded: Confirmed" in page.inner_text("main")
    page.goto("/screening/hits?status=confirmed")
    assert "Checked the passport: it is him" in page.inner_text("table.hit-inbox")


def test_analyst_links_two_agencies_records(page: Any, server: tuple[str, dict[str, str]]) -> None:
    ids = server[1]
    sign_in(page, "ru-analyst", "ru")
    page.goto("/screening/resolution")
    text = page.inner_text("table.pairs")
    assert "Нұрғалиев Ерлан Серікұлы" in text and "Нургалиев Ерлан Серикович" in text
    assert "Дата рождения совпадает" in text
    shot(page, "screening-linkage")
    page.click("table.pairs button[value=positive]")
    page.wait_for_url(re.compile(r".*judged=positive.*"))
    page.click("a:has-text('Открыть кластер')")
    page.wait_for_url(re.compile(r".*/screening/resolution/records/.*/cluster$"))
    members = page.inner_text("ul.cluster-members")
    assert "Нұрғалиев Ерлан Серікұлы" in members and "Нургалиев Ерлан Серикович" in members
    assert ids["person"] in page.content() and ids["twin"] in page.content()
