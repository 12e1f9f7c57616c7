"""Name lists for synthetic persons and patronymic rules."""

from __future__ import annotations

import pytest

from shekara import refdata

KAZAKH_ONLY = set("әғқңөұүһі")


def _cyrillic(text: str) -> bool:
    return all(("\u0400" <= ch <= "\u04ff") or ch in " -" for ch in text)


@pytest.mark.parametrize("code", refdata.NAME_LIST_CODES)
def test_name_list(code: str) -> None:
    names = refdata.load_name_list(code)
    assert names.code == code
    if names.given_names_from is None:
        assert len(names.male_given) >= 50 and len(names.female_given) >= 50
    else:
        assert names.given_names_from in refdata.NAME_LIST_CODES
    assert len(names.surnames) >= 30
    given = [n.name for n in names.male_given] + [n.name for n in names.female_given]
    for name in given + [s.male for s in names.surnames] + [s.female for s in names.surnames]:
        assert name and _cyrillic(name), (code, name)
    assert len({n.name for n in names.male_given}) == len(names.male_given)
    assert len({n.name for n in names.female_given}) == len(names.female_given)
    assert len({s.male for s in names.surnames}) == len(names.surnames)
    for entry in names.male_given + names.female_given:
        assert entry.weight > 0
    for s in names.surnames:
        assert s.weight > 0
        if s.male.endswith(("ов", "ев", "ин")):
            assert s.female == s.male + "а", s
        assert s.for_sex("female") == s.female and s.for_sex("male") == s.male
    styles = refdata.load_patronymic_styles()
    assert names.patronymic_styles
    for style, weight in names.patronymic_styles:
        assert style in styles and weight > 0
    assert sum(w for _, w in names.patronymic_styles) == pytest.approx(1.0)
    assert names.given("female") == names.female_given


def test_kazakh_names_use_kazakh_letters() -> None:
    kk = refdata.load_name_list("kk")
    given = [n.name for n in kk.male_given + kk.female_given]
    with_special = [n for n in given if KAZAKH_ONLY & set(n.lower())]
    assert len(with_special) > len(given) * 0.4
    surnames = [s.male for s in kk.surnames]
    assert sum(1 for s in surnames if KAZAKH_ONLY & set(s.lower())) > len(surnames) * 0.4
    by_male = {s.male: s for s in kk.surnames}
    assert by_male["Серікұлы"].female == "Серікқызы"


def test_weights_are_ordered() -> None:
    ru = refdata.load_name_list("ru")
    weights = [n.weight for n in ru.male_given]
    assert weights == sorted(weights, reverse=True)
    assert ru.surnames[0].male == "Иванов"


@pytest.mark.parametrize(
    ("father", "sex", "style", "expected"),
    [
        ("Сергей", "male", "russian", "Сергеевич"),
        ("Сергей", "female", "russian", "Сергеевна"),
        ("Иван", "male", "russian", "Иванович"),
        ("Иван", "female", "russian", "Ивановна"),
        ("Николай", "male", "russian", "Николаевич"),
        ("Василий", "male", "russian", "Васильевич"),
        ("Дмитрий", "female", "russian", "Дмитриевна"),
        ("Игорь", "male", "russian", "Игоревич"),
        ("Илья", "male", "russian", "Ильич"),
        ("Илья", "female", "russian", "Ильинична"),
        ("Никита", "female", "russian", "Никитична"),
        ("Лев", "male", "russian", "Львович"),
        ("Павел", "female", "russian", "Павловна"),
        ("Нурлан", "male", "russian", "Нурланович"),
        ("Али", "male", "russian", "Алиевич"),
        ("Нұрлан", "male", "kazakh", "Нұрланұлы"),
        ("Нұрлан", "female", "kazakh", "Нұрланқызы"),
        ("Азамат", "male", "kyrgyz", "Азамат уулу"),
        ("Азамат", "female", "kyrgyz", "Азамат кызы"),
        ("Алишер", "male", "uzbek", "Алишер ўғли"),
        ("Алишер", "female", "uzbek", "Алишер қизи"),
        ("Гусейн", "male", "azerbaijani", "Гусейн оглы"),
        ("Гусейн", "female", "azerbaijani", "Гусейн кызы"),
    ],
)
def test_make_patronymic(father: str, sex: refdata.loaders.Sex, style: str, expected: str) -> None:
    assert refdata.make_patronymic(father, sex, style) == expected


def test_patronymic_for_every_listed_name() -> None:
    styles = refdata.load_patronymic_styles()
    for names in refdata.load_name_lists().values():
        for entry in names.male_given:
            for style in styles.values():
                for sex in ("male", "female"):
                    assert style.make(entry.name, sex)  # type: ignore[arg-type]


def test_patronymic_rejects_empty_name() -> None:
    with pytest.raises(ValueError):
        refdata.make_patronymic("  ", "male")
