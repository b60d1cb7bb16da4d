"""rating_only(): a mailed reply to the satisfaction survey is recorded as a rating only when it says
nothing else; anything that might be a follow-up returns None and reaches an agent."""

from __future__ import annotations

import pytest

from postdesk.triage.survey_answers import RatingAnswer, rating_only

LANGUAGES = ("en", "de", "fr", "es", "pt")


def _rating(text: str, language: str) -> int | None:
    answer = rating_only(text, language)
    return None if answer is None else answer.rating


# -- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_a_bare_number_on_the_scale_is_that_rating_in_every_language(language: str, rating: int) -> None:
    # Given a reply that is only a digit of the scale, When read, Then it is that rating, as written
    assert rating_only(str(rating), language) == RatingAnswer(rating, str(rating))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("text", "rating"),
    [("1/5", 1), ("2/5", 2), ("3 / 5", 3), ("4/5", 4), ("5 / 5", 5)],
)
def test_a_score_out_of_five_is_read_as_it_is(language: str, text: str, rating: int) -> None:
    # Given "n/5" with or without spaces, When read, Then it is n and logged as "n/5"
    assert rating_only(text, language) == RatingAnswer(rating, f"{rating}/5")


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("2 of 5", "en", 2),
        ("4 out of 5", "en", 4),
        ("1 von 5", "de", 1),
        ("4 von 5", "de", 4),
        ("2 sur 5", "fr", 2),
        ("4 sur 5", "fr", 4),
        ("3 de 5", "es", 3),
        ("4 de 5", "es", 4),
        ("4 de 5", "pt", 4),
        ("5 de 5", "pt", 5),
        ("4 von 5", "en", 4),
        ("4 out of 5", "de", 4),
    ],
)
def test_n_of_five_in_words_is_the_same_as_n_slash_five(text: str, language: str, rating: int) -> None:
    # Given "4 out of 5", "4 von 5", "4 sur 5", "4 de 5" (in any ticket language)
    # When read, Then the rating is the numerator and the log says "n/5"
    assert rating_only(text, language) == RatingAnswer(rating, f"{rating}/5")


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("1/10", 1),
        ("2/10", 1),
        ("3/10", 2),
        ("4 / 10", 2),
        ("5/10", 3),
        ("6/10", 3),
        ("7/10", 4),
        ("8 out of 10", 4),
        ("9/10", 5),
        ("10/10", 5),
    ],
)
def test_a_ten_point_score_is_halved_and_rounded_half_up(text: str, rating: int) -> None:
    # Given a customer who answers on a 1..10 scale, When read, Then the score is mapped onto 1..5
    assert _rating(text, "en") == rating


def test_a_ten_point_score_is_logged_as_written() -> None:
    assert rating_only("7/10", "en") == RatingAnswer(4, "7/10")


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("5 stars", "en", 5),
        ("1 star", "en", 1),
        ("5 Sterne", "de", 5),
        ("4 étoiles", "fr", 4),
        ("5 estrellas", "es", 5),
        ("3 estrelas", "pt", 3),
        ("5 stars!", "en", 5),
    ],
)
def test_a_number_of_stars_in_words_is_that_rating(text: str, language: str, rating: int) -> None:
    assert rating_only(text, language) == RatingAnswer(rating, f"{rating}★")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("4 sur 5 étoiles", "fr", RatingAnswer(4, "4/5")),
        ("5 de 5 estrellas", "es", RatingAnswer(5, "5/5")),
        ("3/5 stars", "en", RatingAnswer(3, "3/5")),
        ("4 von 5 Sterne", "de", RatingAnswer(4, "4/5")),
    ],
)
def test_stars_after_a_score_out_of_five_are_part_of_it(
    text: str, language: str, expected: RatingAnswer
) -> None:
    assert rating_only(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5!!!", RatingAnswer(5, "5")),
        ("(5)", RatingAnswer(5, "5")),
        ('"5"', RatingAnswer(5, "5")),
        ("5.", RatingAnswer(5, "5")),
        ("- 3", RatingAnswer(3, "3")),
        (" 4/5. ", RatingAnswer(4, "4/5")),
    ],
)
def test_punctuation_around_a_number_is_ignored(text: str, expected: RatingAnswer) -> None:
    assert rating_only(text, "en") == expected


# -- words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        # English
        ("Excellent", "en", 5),
        ("very good", "en", 5),
        ("Great!", "en", 5),
        ("perfect", "en", 5),
        ("good", "en", 4),
        ("pretty good", "en", 4),
        ("nice", "en", 4),
        ("ok", "en", 3),
        ("okay", "en", 3),
        ("fine", "en", 3),
        ("so-so", "en", 3),
        ("average", "en", 3),
        ("bad", "en", 2),
        ("poor", "en", 2),
        ("disappointing", "en", 2),
        ("very bad", "en", 1),
        ("terrible", "en", 1),
        ("awful", "en", 1),
        # German
        ("ausgezeichnet", "de", 5),
        ("sehr gut", "de", 5),
        ("Super!", "de", 5),
        ("spitze", "de", 5),
        ("gut", "de", 4),
        ("ganz gut", "de", 4),
        ("in Ordnung", "de", 3),
        ("geht so", "de", 3),
        ("mittelmäßig", "de", 3),
        ("schlecht", "de", 2),
        ("enttäuschend", "de", 2),
        ("sehr schlecht", "de", 1),
        ("katastrophal", "de", 1),
        # French
        ("excellent", "fr", 5),
        ("très bien", "fr", 5),
        ("parfait", "fr", 5),
        ("génial", "fr", 5),
        ("bien", "fr", 4),
        ("assez bien", "fr", 4),
        ("correct", "fr", 3),
        ("moyen", "fr", 3),
        ("mauvais", "fr", 2),
        ("décevant", "fr", 2),
        ("très mauvais", "fr", 1),
        ("nul", "fr", 1),
        ("catastrophique", "fr", 1),
        # Spanish
        ("excelente", "es", 5),
        ("muy bien", "es", 5),
        ("genial", "es", 5),
        ("bien", "es", 4),
        ("bueno", "es", 4),
        ("regular", "es", 3),
        ("más o menos", "es", 3),
        ("mal", "es", 2),
        ("malo", "es", 2),
        ("muy mal", "es", 1),
        ("pésimo", "es", 1),
        ("terrible", "es", 1),
        # Portuguese
        ("excelente", "pt", 5),
        ("ótimo", "pt", 5),
        ("muito bom", "pt", 5),
        ("bom", "pt", 4),
        ("bem", "pt", 4),
        ("razoável", "pt", 3),
        ("mais ou menos", "pt", 3),
        ("ruim", "pt", 2),
        ("fraco", "pt", 2),
        ("muito ruim", "pt", 1),
        ("péssimo", "pt", 1),
        ("horrível", "pt", 1),
    ],
)
def test_a_rating_word_gives_its_level(text: str, language: str, rating: int) -> None:
    # Given a reply that is one rating word or phrase in the ticket's language
    # When read, Then it is that word's place on the scale
    assert _rating(text, language) == rating


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("sehr gut", "en", 5),
        ("muito bom", "fr", 5),
        ("very good", "de", 5),
        ("très bien", "es", 5),
        ("schlecht", "pt", 2),
    ],
)
def test_words_of_another_supported_language_are_understood(text: str, language: str, rating: int) -> None:
    # Given a ticket whose detected language is not the language of the answer
    # When read, Then the word still counts: the language is only a hint
    assert _rating(text, language) == rating


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("It was good", "en", 4),
        ("it's great", "en", 5),
        ("That was excellent", "en", 5),
        ("Es war gut", "de", 4),
        ("Das war super", "de", 5),
        ("C'était très bien", "fr", 5),
        ("C'est parfait", "fr", 5),
        ("Fue excelente", "es", 5),
        ("Estuvo bien", "es", 4),
        ("Foi ótimo", "pt", 5),
        ("Está bom", "pt", 4),
    ],
)
def test_a_copula_may_open_the_rating(text: str, language: str, rating: int) -> None:
    # Given "it was ...", "es war ...", "c'était ...", "fue ...", "foi ..." before a rating word
    # When read, Then the rating word decides
    assert _rating(text, language) == rating


@pytest.mark.parametrize(
    ("text", "language"),
    [("it was", "en"), ("c'est", "fr"), ("good it was", "en"), ("es war", "de")],
)
def test_a_copula_without_a_rating_after_it_is_refused(text: str, language: str) -> None:
    assert rating_only(text, language) is None


# -- negations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "matched"),
    [
        ("not good", "en", "not good"),
        ("Not great", "en", "not great"),
        ("not ok", "en", "not ok"),
        ("not very good", "en", "not very good"),
        ("not excellent", "en", "not excellent"),
        ("it wasn't good", "en", "it wasn't good"),
        ("It was not good", "en", "not good"),
        ("nicht gut", "de", "nicht gut"),
        ("nicht so toll", "de", "nicht so toll"),
        ("Es war nicht gut", "de", "nicht gut"),
        ("pas bien", "fr", "pas bien"),
        ("pas vraiment bien", "fr", "pas vraiment bien"),
        ("ce n'est pas bien", "fr", "ce n'est pas bien"),
        ("c'est pas bien", "fr", "pas bien"),
        ("no muy bien", "es", "no muy bien"),
        ("no tan bueno", "es", "no tan bueno"),
        ("não é bom", "pt", "nao e bom"),
        ("não muito bom", "pt", "nao muito bom"),
    ],
)
def test_a_negated_neutral_or_good_rating_is_a_two(text: str, language: str, matched: str) -> None:
    # Given "not good", "nicht gut", "pas bien", "no muy bien", "não é bom" (and stronger words negated)
    # When read, Then the customer was dissatisfied: 2, with the negation in the log
    assert rating_only(text, language) == RatingAnswer(2, matched)


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("not bad", "en", 4),
        ("nicht schlecht", "de", 4),
        ("pas mal", "fr", 4),
        ("no está mal", "es", 4),
        ("nada mal", "es", 4),
        ("nada mau", "pt", 4),
        ("não é mau", "pt", 4),
        ("pas terrible", "fr", 2),
        ("Pas terrible.", "fr", 2),
        ("c'était pas terrible", "fr", 2),
    ],
)
def test_a_listed_negated_low_rating_has_its_own_meaning(text: str, language: str, rating: int) -> None:
    # Given an idiom such as "not bad" (rather good) or "pas terrible" (rather poor)
    # When read, Then it has the level the idiom means, not a mechanical negation
    assert _rating(text, language) == rating


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("not terrible", "en"),
        ("not so bad", "en"),
        ("nicht mies", "de"),
        ("pas mauvais", "fr"),
        ("no malo", "es"),
        ("não ruim", "pt"),
    ],
)
def test_an_unlisted_negated_low_rating_is_refused(text: str, language: str) -> None:
    # Given a negated low rating that is no known idiom, When read, Then its meaning is unclear: refused
    assert rating_only(text, language) is None


@pytest.mark.parametrize(("text", "language"), [("not", "en"), ("no", "es"), ("não", "pt"), ("pas", "fr")])
def test_a_negation_alone_is_refused(text: str, language: str) -> None:
    assert rating_only(text, language) is None


# -- thanks and names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("Excellent, thanks!", "en", 5),
        ("Excellent, thank you very much!", "en", 5),
        ("great thanks", "en", 5),
        ("5 thx", "en", 5),
        ("Sehr gut, danke!", "de", 5),
        ("Sehr gut, vielen Dank!", "de", 5),
        ("Gut, danke schön", "de", 4),
        ("Super, merci beaucoup !", "fr", 5),
        ("Bien, merci", "fr", 4),
        ("muy bien, gracias", "es", 5),
        ("Excelente, muchas gracias", "es", 5),
        ("muito bom, obrigado", "pt", 5),
        ("Bom, obrigada", "pt", 4),
        ("Ótimo, valeu", "pt", 5),
    ],
)
def test_thanks_after_the_rating_are_accepted(text: str, language: str, rating: int) -> None:
    # Given a rating followed by thanks, When read, Then it is still only a rating
    assert _rating(text, language) == rating


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Thanks, excellent", "en"),
        ("Thank you, good", "en"),
        ("thx 5", "en"),
        ("cheers, 5", "en"),
        ("Danke, sehr gut", "de"),
        ("Vielen Dank, gut", "de"),
        ("Merci, très bien", "fr"),
        ("merci, super", "fr"),
        ("Gracias, muy bien", "es"),
        ("Mil gracias, bien", "es"),
        ("Obrigado, muito bom", "pt"),
        ("Muito obrigado, bom", "pt"),
    ],
)
def test_thanks_before_the_rating_are_refused(text: str, language: str) -> None:
    # Given thanks that open the reply, When read, Then it may be thanks for something else: an agent reads it
    assert rating_only(text, language) is None


@pytest.mark.parametrize(("text", "language"), [("thanks", "en"), ("Danke!", "de"), ("Merci", "fr")])
def test_thanks_without_a_rating_are_refused(text: str, language: str) -> None:
    assert rating_only(text, language) is None


def test_only_an_emoji_may_follow_the_thanks() -> None:
    # Given a rating, thanks, and then another rating: When read, Then only an emoji is tolerated there
    assert rating_only("5 thanks 👍", "en") == RatingAnswer(5, "5")
    assert rating_only("5 thanks 4", "en") is None
    assert rating_only("5 thanks good", "en") is None


@pytest.mark.parametrize(
    ("text", "language", "sender", "expected"),
    [
        ("5\nJane", "en", "Jane Doe", RatingAnswer(5, "5")),
        ("5\nJane Doe", "en", "Jane Doe", RatingAnswer(5, "5")),
        ("5\nThanks, Jane", "en", "Jane Doe", RatingAnswer(5, "5")),
        ("5\n\nThanks,\nJane", "en", "Jane Doe", RatingAnswer(5, "5")),
        ("Excellent\nThank you, Jane Doe", "en", "Jane Doe", RatingAnswer(5, "excellent")),
        ("5\nO'Brien", "en", "Liam O'Brien", RatingAnswer(5, "5")),
        ("5\nJ. Doe", "en", "Jane Doe", RatingAnswer(5, "5")),
        ("Sehr gut\nHans Müller", "de", "Hans Müller", RatingAnswer(5, "sehr gut")),
        ("Très bien\nMerci, Marie", "fr", "Marie Dupont", RatingAnswer(5, "tres bien")),
        ("Très bien\nJean-Pierre", "fr", "Jean-Pierre Martin", RatingAnswer(5, "tres bien")),
        ("Muy bien\nGracias, Ana", "es", "Ana García", RatingAnswer(5, "muy bien")),
        ("Muito bom\nObrigado, João", "pt", "João Silva", RatingAnswer(5, "muito bom")),
    ],
)
def test_a_last_line_with_only_the_senders_name_is_ignored(
    text: str, language: str, sender: str, expected: RatingAnswer
) -> None:
    # Given a rating and a last line that signs it with the sender's own name (after thanks at most)
    # When read, Then the name is a signature, not a follow-up
    assert rating_only(text, language, sender) == expected


@pytest.mark.parametrize(("text", "sender"), [("5\nJane", "Li Wei"), ("5\nJane", ""), ("4\nBob", "Jane Doe")])
def test_a_name_line_that_is_not_the_senders_name_is_refused(text: str, sender: str) -> None:
    assert rating_only(text, "en", sender) is None


def test_the_name_line_does_not_count_towards_the_six_words() -> None:
    assert rating_only("very good thank you very much\nJane", "en", "Jane Doe") == RatingAnswer(
        5, "very good"
    )


@pytest.mark.parametrize(
    "text",
    [
        "5\njane",  # not capitalised: not taken for a name
        "5\nJane Mary Doe",  # three words
        "5\nJane\nDoe",  # two lines
        "5 Jane",  # on the rating's own line
        "Jane\n5",  # before the rating
        "5\nBut",  # says more is coming
        "5\nStill",
        "5\nGood Bye",  # a known word is no name
        "5\nJane?",
    ],
)
def test_a_last_line_that_is_not_plainly_a_name_is_refused(text: str) -> None:
    assert rating_only(text, "en", "Jane Mary Doe") is None


# -- emoji, stars, emphasis -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("👍", 5),
        ("👌", 5),
        ("❤️", 5),
        ("😊", 5),
        (":D", 5),
        ("🙂", 4),
        (":)", 4),
        (";-)", 4),
        ("😐", 3),
        (":|", 3),
        ("🙁", 2),
        ("☹️", 2),
        (":-(", 2),
        ("👎", 1),
        ("😡", 1),
        ("👍👍", 5),
    ],
)
def test_an_emoji_or_emoticon_alone_is_a_coarse_rating(text: str, rating: int) -> None:
    assert _rating(text, "en") == rating


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("👍🏽", RatingAnswer(5, "👍")),
        ("👎🏿", RatingAnswer(1, "👎")),
        ("5️⃣", RatingAnswer(5, "5")),
        ("❤️", RatingAnswer(5, "❤")),
    ],
)
def test_skin_tones_keycaps_and_variation_selectors_are_ignored(text: str, expected: RatingAnswer) -> None:
    assert rating_only(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("★★★★★", 5),
        ("★★★★☆", 4),
        ("★☆☆☆☆", 1),
        ("★ ★ ★ ★ ☆", 4),
        ("★★★★", 4),
        ("⭐⭐⭐", 3),
        ("🌟🌟🌟🌟🌟", 5),
        ("*****", 5),
    ],
)
def test_a_run_of_stars_counts_the_filled_ones(text: str, rating: int) -> None:
    # Given a row of stars (with empty ones only as a full row of five), When read, Then filled stars count
    answer = rating_only(text, "en")
    assert answer is not None
    assert answer.rating == rating
    assert answer.matched == "".join(text.split())


@pytest.mark.parametrize(("text", "matched"), [("4★", "4★"), ("4 ★", "4★"), ("5*", "5★")])
def test_a_number_followed_by_one_star_is_that_many_stars(text: str, matched: str) -> None:
    assert rating_only(text, "en") == RatingAnswer(int(matched[0]), matched)


@pytest.mark.parametrize(
    "text",
    [
        "★★★★★★",  # six stars on a five-star scale
        "★★★★★☆",
        "★★★☆",  # empty stars in a row that is not the five of the scale
        "☆☆☆☆☆",  # nothing filled
        "☆",
    ],
)
def test_a_run_of_stars_that_is_not_on_the_scale_is_refused(text: str) -> None:
    assert rating_only(text, "en") is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("*5*", "en", RatingAnswer(5, "5")),
        ("**4**", "en", RatingAnswer(4, "4")),
        ("*5*", "de", RatingAnswer(5, "5")),
        ("*Excellent*", "en", RatingAnswer(5, "excellent")),
        ("**Sehr gut**", "de", RatingAnswer(5, "sehr gut")),
        ("*très bien*", "fr", RatingAnswer(5, "tres bien")),
        ("*very* good", "en", RatingAnswer(5, "very good")),
        ("*not* good", "en", RatingAnswer(2, "not good")),
    ],
)
def test_plain_text_emphasis_is_not_read_as_stars(text: str, language: str, expected: RatingAnswer) -> None:
    # Given "*5*" from a plain-text mail, When read, Then it is 5, not 5 plus two stars that disagree
    assert rating_only(text, language) == expected


# -- normalisation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("５", "en", RatingAnswer(5, "5")),
        ("４／５", "en", RatingAnswer(4, "4/5")),
        ("４ ｏｕｔ ｏｆ ５", "en", RatingAnswer(4, "4/5")),
        ("4\u00a0/\u00a05", "en", RatingAnswer(4, "4/5")),
        ("\u00a05\u00a0", "en", RatingAnswer(5, "5")),
        ("5\u200b", "en", RatingAnswer(5, "5")),
        ("sehr\u00a0gut", "de", RatingAnswer(5, "sehr gut")),
    ],
)
def test_full_width_forms_nbsp_and_invisible_characters_are_made_plain(
    text: str, language: str, expected: RatingAnswer
) -> None:
    assert rating_only(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("TRÈS BIEN", "fr", RatingAnswer(5, "tres bien")),
        ("tres bien", "fr", RatingAnswer(5, "tres bien")),
        ("mittelmassig", "de", RatingAnswer(3, "mittelmassig")),
        ("MITTELMÄSSIG", "de", RatingAnswer(3, "mittelmassig")),
        ("Muy Bien", "es", RatingAnswer(5, "muy bien")),
        ("pesimo", "es", RatingAnswer(1, "pesimo")),
        ("otimo", "pt", RatingAnswer(5, "otimo")),
        ("nao e bom", "pt", RatingAnswer(2, "nao e bom")),
        ("EXCELLENT", "en", RatingAnswer(5, "excellent")),
    ],
)
def test_case_and_accents_do_not_matter(text: str, language: str, expected: RatingAnswer) -> None:
    assert rating_only(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ce n’est pas bien", "fr", RatingAnswer(2, "ce n'est pas bien")),
        ("it’s great", "en", RatingAnswer(5, "great")),
        ("it wasnʼt good", "en", RatingAnswer(2, "it wasn't good")),
        ("it wasn`t good", "en", RatingAnswer(2, "it wasn't good")),
    ],
)
def test_typographic_apostrophes_are_plain_apostrophes(
    text: str, language: str, expected: RatingAnswer
) -> None:
    assert rating_only(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("c´est très bien", "fr", RatingAnswer(5, "tres bien")),
        ("it wasn´t good", "en", RatingAnswer(2, "it wasn't good")),
    ],
)
def test_an_acute_accent_typed_as_an_apostrophe_is_an_apostrophe(
    text: str, language: str, expected: RatingAnswer
) -> None:
    assert rating_only(text, language) == expected


# -- several expressions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 5", RatingAnswer(5, "5")),
        ("5/5 10/10", RatingAnswer(5, "5/5")),
        ("good 5", RatingAnswer(5, "5")),  # the number is more precise than the word
        ("great 4", RatingAnswer(4, "4")),
        ("5 👍", RatingAnswer(5, "5")),
        ("4/5 :)", RatingAnswer(4, "4/5")),
        ("4/5 ★★★★☆", RatingAnswer(4, "4/5")),
        ("5 stars 👍", RatingAnswer(5, "5★")),
        ("Good 👍", RatingAnswer(4, "good")),  # the word is more precise than the emoji
        ("👍 good", RatingAnswer(4, "good")),
        ("not bad 🙂", RatingAnswer(4, "not bad")),
        ("not good 👎", RatingAnswer(2, "not good")),
    ],
)
def test_agreeing_expressions_are_decided_by_the_most_precise(text: str, expected: RatingAnswer) -> None:
    # Given a number, words and emoji that agree (numbers exactly, the rest on the side of the scale)
    # When read, Then the most precise of them is the rating and what is logged
    assert rating_only(text, "en") == expected


@pytest.mark.parametrize(
    "text",
    [
        "5 4",
        "5\n4",
        "5/5 4/5",
        "1 2 3 4 5",
        "★★★★★ 4",
        "5 ★★★★☆",
        "good 1",
        "good 2",
        "excellent 3",
        "ok good",
        "bad good",
        "👍 2",
        "5 👎",
        "4/5 :(",
        "good :(",
        "👍 👎",
        "not good 👍",
    ],
)
def test_ratings_that_disagree_are_refused(text: str) -> None:
    # Given two ratings that do not agree, When read, Then nobody can say which one is meant: an agent looks
    assert rating_only(text, "en") is None


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("5?", "en"),
        ("5 ?", "en"),
        ("５？", "en"),
        ("Good?", "en"),
        ("4/5 - when is my refund coming?", "en"),
        ("Sehr gut, aber wann kommt das Paket?", "de"),
        ("Gut?", "de"),
        ("Très bien ?", "fr"),
        ("¿Bien?", "es"),
        ("¿5", "es"),
        ("Bom?", "pt"),
    ],
)
def test_a_question_mark_always_refuses(text: str, language: str) -> None:
    # Given any question mark (also full-width or Spanish opening), When read, Then it reaches an agent
    assert rating_only(text, language) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("4/5 but the parcel is still missing", "en"),
        ("4/5\nbut the parcel is still missing", "en"),
        ("Good, but", "en"),
        ("4/5 but", "en"),
        ("5, and thanks", "en"),
        ("good, still waiting", "en"),
        ("5 refund please", "en"),
        ("4/5 aber das Paket fehlt noch", "de"),
        ("4/5, und", "de"),
        ("4/5 mais le colis manque toujours", "fr"),
        ("4/5 mais", "fr"),
        ("4/5 pero el paquete sigue sin llegar", "es"),
        ("4/5 pero", "es"),
        ("4/5 mas a encomenda ainda não chegou", "pt"),
        ("4/5 mas", "pt"),
        ("5 why", "en"),
        ("Hi\n5", "en"),
    ],
)
def test_a_rating_with_a_follow_up_is_refused(text: str, language: str) -> None:
    # Given a rating followed (or preceded) by anything else, When read, Then the ticket must reopen
    assert rating_only(text, language) is None


def test_more_than_six_words_are_refused_even_if_each_would_be_a_rating() -> None:
    # Given replies that would be read as ratings if they were shorter
    # When they have six words, Then they are ratings; When seven or more, Then an agent reads them
    assert rating_only("very good, thank you very much", "en") == RatingAnswer(5, "very good")
    assert rating_only("it was very good, thank you very much", "en") is None
    assert rating_only("5 5 5 5 5 5", "en") == RatingAnswer(5, "5")
    assert rating_only("5 5 5 5 5 5 5", "en") is None
    assert rating_only("good good good good good good good", "en") is None


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "6",
        "10",
        "0/5",
        "6/5",
        "4/6",
        "5/7",
        "10/5",
        "0/10",
        "11/10",
        "4.5",
        "4,5",
        "5.0",
        "4.5/5",
        "1-5",
        "5/",
        "/5",
        "4 of",
    ],
)
def test_a_number_off_the_scale_or_not_a_whole_score_is_refused(text: str) -> None:
    # Given 0, 6, 11/10, a decimal or an unfinished fraction, When read, Then it is no rating on our scale
    assert rating_only(text, "en") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("meh", "en"),
        ("five", "en"),
        ("refund", "en"),
        ("5 refund", "en"),
        ("fünf", "de"),
        ("bof", "fr"),
        ("cinq", "fr"),
        ("very very good", "en"),
        ("🎉", "en"),
        ("5 🎉", "en"),
        ("♥", "en"),
        ("🔟", "en"),
    ],
)
def test_an_unknown_word_or_symbol_is_refused(text: str, language: str) -> None:
    assert rating_only(text, language) is None


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\u200b", "...", "!!!"])
def test_an_empty_reply_is_no_rating(text: str) -> None:
    assert rating_only(text, "en") is None


def test_a_very_long_reply_is_refused_before_it_is_read() -> None:
    # Given a reply that would be "5" but for being longer than 300 characters
    # When read, Then it is refused outright; at 300 characters it is still read
    assert rating_only("5" + "!" * 299, "en") == RatingAnswer(5, "5")
    assert rating_only("5" + "!" * 300, "en") is None
    assert rating_only("5\n" + "\n" * 400, "en") == RatingAnswer(5, "5")  # surrounding space is stripped


# -- ambiguous words and the language hint --------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "FR", "fr-CA", "fr_FR"])
@pytest.mark.parametrize("text", ["terrible", "Terrible!", "c'est terrible", "not terrible"])
def test_french_terrible_is_refused_on_a_french_ticket(text: str, language: str) -> None:
    # Given "terrible", which in French means "great" as often as "awful"
    # When the ticket is French, Then the rating cannot be known: an agent reads it
    assert rating_only(text, language) is None


@pytest.mark.parametrize("language", ["en", "de", "es", "pt", "pt-BR"])
def test_terrible_is_a_one_on_tickets_in_other_languages(language: str) -> None:
    assert rating_only("terrible", language) == RatingAnswer(1, "terrible")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_pas_terrible_is_a_two_even_on_a_french_ticket(language: str) -> None:
    assert rating_only("pas terrible", language) == RatingAnswer(2, "pas terrible")


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ótimo", "pt-BR", RatingAnswer(5, "otimo")),
        ("Good", "EN", RatingAnswer(4, "good")),
        ("sehr gut", "de-AT", RatingAnswer(5, "sehr gut")),
        ("muy bien", " es ", RatingAnswer(5, "muy bien")),
    ],
)
def test_the_ticket_language_is_read_by_its_primary_subtag(
    text: str, language: str, expected: RatingAnswer
) -> None:
    assert rating_only(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "rating"),
    [
        ("sehr gut", "it", 5),
        ("excellent", "nl", 5),
        ("muito bom", "", 5),
        ("4/5", "it", 4),
        ("👍", "", 5),
    ],
)
def test_an_unsupported_ticket_language_reads_all_five_vocabularies(
    text: str, language: str, rating: int
) -> None:
    assert _rating(text, language) == rating


@pytest.mark.parametrize("language", ["it", ""])
def test_a_word_ambiguous_in_one_language_is_refused_on_an_unsupported_language(language: str) -> None:
    # Given a ticket in a language we have no vocabulary for, and "terrible" (great or awful in French)
    # When read, Then nobody knows which language the customer meant: refused
    assert rating_only("terrible", language) is None


@pytest.mark.parametrize(
    "text",
    ["4/5\nParcel Missing", "1\nRefund", "3\nWrong Size", "5\nCall Me", "Good\nBroken Again"],
)
def test_a_short_follow_up_on_the_last_line_is_not_taken_for_a_name(text: str) -> None:
    # Given a rating and a last line that is a request, not the sender's name
    # When read, Then the ticket must reach an agent
    assert rating_only(text, "en", "Jane Doe") is None
