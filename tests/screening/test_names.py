"""Name parsing, patronymics, surname stems, frequency weights and partial dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shekara.screening.names import (
    PartialDate,
    compare_dates,
    gender_neutral_key,
    index_keys,
    is_common_name,
    name_key,
    name_weight,
    parse_name,
    parse_partial_date,
    patronymic_key,
    surname_stem,
)


def roles(full: str) -> list[tuple[str, str]]:
    return [(p.text, p.role) for p in parse_name(full).parts]


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Нургалиев Ерлан Маратович",
         [("Нургалиев", "surname"), ("Ерлан", "given"), ("Маратович", "patronymic")]),
        ("ERLAN NURGALIEV", [("ERLAN", "given"), ("NURGALIEV", "surname")]),
        ("NURGALIEV<<ERLAN<MARATOVICH",
         [("NURGALIEV", "surname"), ("ERLAN", "given"), ("MARATOVICH", "patronymic")]),
        ("Нургалиев, Ерлан", [("Нургалиев", "surname"), ("Ерлан", "given")]),
        ("Нұрғали Ерлан Марат ұлы",
         [("Нұрғали", "surname"), ("Ерлан", "given"), ("Марат ұлы", "patronymic")]),
        ("Ерлан Маратұлы Нұрғалиев",
         [("Ерлан", "given"), ("Маратұлы", "patronymic"), ("Нұрғалиев", "surname")]),
        # decree 2923: the father's name with -ұлы serves as the surname
        ("Ерлан Нұрғалиұлы", [("Ерлан", "given"), ("Нұрғалиұлы", "surname")]),
        ("Aliyev Rashid Kamal ogly",
         [("Aliyev", "surname"), ("Rashid", "given"), ("Kamal ogly", "patronymic")]),
        ("Иванова Анна Сергеевна",
         [("Иванова", "surname"), ("Анна", "given"), ("Сергеевна", "patronymic")]),
        ("Жапар уулу Садыр", [("Жапар уулу", "patronymic"), ("Садыр", "unknown")]),
        ("Айгерим Серікқызы", [("Айгерим", "given"), ("Серікқызы", "surname")]),
        # surnames formed like patronymics (names.md, decree 2923), written as surnames
        ("Тоқтарұлы Арман Серікұлы",
         [("Тоқтарұлы", "surname"), ("Арман", "given"), ("Серікұлы", "patronymic")]),
        ("TOKTARULY ARMAN SERIKULY",
         [("TOKTARULY", "surname"), ("ARMAN", "given"), ("SERIKULY", "patronymic")]),
        ("TOKTARULY<<ARMAN", [("TOKTARULY", "surname"), ("ARMAN", "given")]),
        ("Тоқтарұлы, Арман", [("Тоқтарұлы", "surname"), ("Арман", "given")]),
        ("Тоқтарұлы Арман Маратович",
         [("Тоқтарұлы", "surname"), ("Арман", "given"), ("Маратович", "patronymic")]),
        ("Тоқтарұлы Арман Марат ұлы",
         [("Тоқтарұлы", "surname"), ("Арман", "given"), ("Марат ұлы", "patronymic")]),
        ("Арман Серікұлы Тоқтарұлы",
         [("Арман", "given"), ("Серікұлы", "patronymic"), ("Тоқтарұлы", "surname")]),
        ("Сейітқызы Әйгерім Маратқызы",
         [("Сейітқызы", "surname"), ("Әйгерім", "given"), ("Маратқызы", "patronymic")]),
    ],
)  # fmt: skip
def test_parse_name(full: str, expected: list[tuple[str, str]]) -> None:
    assert roles(full) == expected


def test_name_key_is_order_free_and_ignores_patronymic() -> None:
    keys = {
        name_key(n)
        for n in ("Нургалиев Ерлан", "ERLAN NURGALIEV", "NURGALIEV<<ERLAN<MARATOVICH",
                  "Нұрғалиев Ерлан Маратұлы", "Nurgaliyev, Yerlan")
    }  # fmt: skip
    assert keys == {"erlan nurgalev"}


@pytest.mark.parametrize(
    "forms",
    [
        ["Маратович", "Маратовна", "MARATOVICH", "Marat uly", "Марат ұлы", "Маратұлы",
         "Маратқызы", "Marat kyzy", "Marat ogly"],
        ["Сергеевич", "Sergeyevich", "SERGEEVICH", "Сергеевна"],
        ["Никитич", "Никитична", "Nikitichna"],
    ],
)  # fmt: skip
def test_patronymic_key(forms: list[str]) -> None:
    assert len({patronymic_key(f) for f in forms}) == 1, {f: patronymic_key(f) for f in forms}


@pytest.mark.parametrize(
    "forms",
    [
        ["Нургалиев", "Нургалиева", "Nurgaliyev", "NURGALIEV", "Нұрғали", "Нұрғалиұлы",
         "Нұрғалиқызы"],
        ["Достоевский", "Достоевская", "Dostoevskiy", "DOSTOEVSKII", "Dostoyevsky"],
        ["Пушкин", "Пушкина", "Pushkin"],
    ],
)  # fmt: skip
def test_surname_stem(forms: list[str]) -> None:
    assert len({surname_stem(f) for f in forms}) == 1, {f: surname_stem(f) for f in forms}


def test_gender_neutral_key() -> None:
    assert gender_neutral_key("Нургалиева") == gender_neutral_key("Нургалиев")
    assert gender_neutral_key("IVANOVA") == gender_neutral_key("Иванов")
    assert gender_neutral_key("Достоевская") == gender_neutral_key("Dostoevskii")
    assert gender_neutral_key("Марина") == "marin"  # applies to surnames only: callers decide
    assert gender_neutral_key("Ким") == "kim"


def test_name_weight() -> None:
    assert name_weight("Иванов") == 0.5
    assert name_weight("IVANOVA") == 0.5
    assert name_weight("Aleksandr") == 0.5
    assert name_weight("Нұрғалиев") == 1.0
    assert 0.5 < name_weight("Гульноза") < 1.0
    assert is_common_name("Nurlan") and not is_common_name("Zhaksylyk")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1985", PartialDate(1985)), ("1985-03", PartialDate(1985, 3)),
     ("1985-03-12", PartialDate(1985, 3, 12)), ("12.03.1985", PartialDate(1985, 3, 12)),
     ("03.1985", PartialDate(1985, 3)), ("19850312", PartialDate(1985, 3, 12)),
     ("1985-00-00", PartialDate(1985)), ("XX.XX.1985", PartialDate(1985)),
     ("1985-02-30", PartialDate(1985, 2)), (dt.date(1985, 3, 12), PartialDate(1985, 3, 12)),
     ("", None), ("unknown", None), (None, None)],
)  # fmt: skip
def test_parse_partial_date(text: str | dt.date | None, expected: PartialDate | None) -> None:
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [("1985-03-12", "1985-03-12", "exact"), ("1985", "1985-03-12", "compatible"),
     ("1985-03", "1985-03-12", "compatible"), ("1985-01-01", "1985-06-07", "compatible"),
     ("1985-03-12", "1985-12-03", "day_month_swap"), ("1985-03-12", "1985-03-13", "one_digit"),
     ("1985-03-12", "1986-03-12", "one_digit"), ("1985", "1986", "one_digit"),
     ("1985-03-12", "1979-07-01", "conflict"), ("1985", "1979", "conflict"),
     ("1985-03", "1985-11-12", "conflict"), (None, "1985", "missing")],
)  # fmt: skip
def test_compare_dates(a: str | None, b: str | None, outcome: str) -> None:
    result = compare_dates(parse_partial_date(a), parse_partial_date(b))
    assert result.outcome == outcome
    assert compare_dates(parse_partial_date(b), parse_partial_date(a)) == result


DATES = st.builds(
    PartialDate,
    st.integers(1900, 2030),
    st.one_of(st.none(), st.integers(1, 12)),
    st.one_of(st.none(), st.integers(1, 28)),
).map(lambda d: d if d.month else PartialDate(d.year))


@given(DATES, DATES)
def test_compare_dates_symmetric_and_bounded(a: PartialDate, b: PartialDate) -> None:
    r = compare_dates(a, b)
    assert r == compare_dates(b, a)
    assert r.score is not None and 0.0 <= r.score <= 1.0


@given(DATES)
def test_partial_date_round_trip(d: PartialDate) -> None:
    assert parse_partial_date(str(d)) == d
    assert compare_dates(d, d).outcome in ("exact", "compatible")


def test_initials_and_azerbaijani_patronymic() -> None:
    assert roles("Нургалиев Е. М.") == [
        ("Нургалиев", "surname"), ("Е", "given"), ("М", "patronymic"),
    ]  # fmt: skip
    assert roles("Əliyev Rəşid Kamal oğlu")[-1] == ("Kamal oğlu", "patronymic")


@pytest.mark.parametrize(
    ("a", "b"),
    [("Нургалиев Ерлан Маратович", "NURGALIEV<<ERLAN"), ("Нургалиев Ерлан", "Нұрғали Ерлан"),
     ("Нургалиев Ерлан", "Ерлан Нұрғалиұлы"), ("Нургалиева Айгерим", "NURGALIEV AIGERIM"),
     ("Ўткир Хошимов", "Oʻtkir Hoshimov"), ("Ерлан Нургалиев", "Yerlan Nurgaliyev")],
)  # fmt: skip
def test_index_keys_find_the_same_person(a: str, b: str) -> None:
    shared = index_keys(a) & index_keys(b)
    assert len(shared) >= 2, (index_keys(a), index_keys(b))


def test_index_keys_leave_out_patronymic_and_initials() -> None:
    assert index_keys("Нургалиев Е. М.") == {"nurgalev", "nurgali"}
    assert "marat" not in index_keys("Нургалиев Ерлан Маратович")


def test_uly_surname_scores_as_surname_not_as_patronymic() -> None:
    """Тоқтарұлы as a surname must meet TOKTARULY from the passport, not be set aside."""
    from shekara.screening.scoring import score_name

    same = score_name("Тоқтарұлы Арман Серікұлы", "TOKTARULY<<ARMAN")
    assert same.value >= 0.9
    other = score_name("Тоқтарұлы Арман Серікұлы", "Жумабаев Арман Серікұлы")
    assert other.value < 0.8
