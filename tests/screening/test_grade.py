"""Alert grade: a match alerts only when a coincidence with a namesake is unlikely."""

from __future__ import annotations

from shekara.screening.scoring import DEFAULT_CONFIG, Person, grade_person, score_person


def graded(q: Person, c: Person, namesakes: int, rarity: float | None = None) -> str | None:
    return grade_person(score_person(q, c), namesakes, DEFAULT_CONFIG, rarity).grade


Q = Person(("Ахметов Ерлан",), "1985-03-12")


def test_full_date_of_birth_confirms_even_a_common_name() -> None:
    assert graded(Q, Person(("AKHMETOV ERLAN",), "1985-03-12"), namesakes=300) == "alert"


def test_name_alone_is_only_possible_unless_rare() -> None:
    cand = Person(("AKHMETOV ERLAN",), None)
    s = grade_person(score_person(Q, cand), 40, DEFAULT_CONFIG, name_rarity=3.0)
    assert s.grade == "possible" and not s.match
    assert any(r.code == "namesake_name" for r in s.reasons)
    assert "no date of birth or document" in s.explain("en")[-1]
    # a name whose parts are rare in the index: expected 0.01 records by chance
    rare = Person(("Жолдасбеков Ержігіт",), None)
    assert graded(Person(("ZHOLDASBEKOV YERZHIGIT",), "1990"), rare, 1, 0.01) == "alert"


def test_one_digit_date_difference_is_weak_evidence() -> None:
    cand = Person(("AKHMETOV ERLAN",), "1985-03-13")
    assert graded(Q, cand, namesakes=40, rarity=3.0) == "possible"


def test_year_alone_depends_on_how_many_carry_the_name() -> None:
    cand = Person(("AKHMETOV ERLAN",), "1985")
    assert graded(Q, cand, namesakes=3) == "alert"  # 3 / 55 expected by chance
    assert graded(Q, cand, namesakes=60) == "possible"  # about one expected by chance


def test_document_number_confirms() -> None:
    q = Person(("Ахметов Ерлан",), None, (), ("N1234567",))
    cand = Person(("AKHMETOV ERLAN",), None, (), ("N1234567",))
    assert graded(q, cand, namesakes=300) == "alert"


def test_typo_name_is_never_rare_and_conflict_never_alerts() -> None:
    cand = Person(("AKHMETOV ERLAM",), None)
    assert graded(Person(("Ахметов Ерлан",)), cand, 1, 0.0001) == "possible"
    other = Person(("AKHMETOV ERLAN",), "1962-07-01")
    assert graded(Q, other, namesakes=1) == "no_match"


def test_administrator_can_loosen_the_grade() -> None:
    from dataclasses import replace

    cfg = replace(DEFAULT_CONFIG, max_expected_namesakes=1.0)
    cand = Person(("AKHMETOV ERLAN",), "1985")
    assert grade_person(score_person(Q, cand, cfg), 40, cfg).grade == "alert"


def test_typo_name_with_a_birth_year_counts_as_common() -> None:
    """The query's spelling is rare (a typo), but the name it resembles may not be."""
    cand = Person(("AKHMETOV ERLAN",), "1985")
    assert graded(Person(("Ахметов Ерлам",), "1985-03-12"), cand, namesakes=1) == "possible"
    exact = Person(("AKHMETOV ERLAN",), "1985-03-12")
    assert graded(Person(("Ахметов Ерлам",), "1985-03-12"), exact, namesakes=1) == "alert"


def test_an_agreeing_patronymic_makes_a_namesake_less_likely() -> None:
    q = Person(("Ахметов Ерлан Маратович",), "1985-03-12")
    with_father = Person(("Ахметов Ерлан Маратович",), "1985")
    without = Person(("Ахметов Ерлан",), "1985")
    assert graded(q, with_father, namesakes=40) == "alert"
    assert graded(q, without, namesakes=40) == "possible"


def test_possible_match_reason_does_not_reveal_how_many_records_carry_the_name() -> None:
    """The count includes records of other agencies the viewer may not see."""
    s = grade_person(score_person(Q, Person(("AKHMETOV ERLAN",), "1985")), 287, DEFAULT_CONFIG)
    assert s.grade == "possible"
    for lang in ("en", "ru", "kk"):
        assert not any("287" in line for line in s.explain(lang))
    assert all(not r.params for r in s.reasons if r.code.startswith("namesake_"))
