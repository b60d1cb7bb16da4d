"""detect(): the language of short and long texts in every language the desk must tell apart."""

from __future__ import annotations

import pytest

from postdesk.triage.language import MODEL_PATH, SUPPORTED_LANGUAGES, detect

# (language, a short text like a subject or a one-line reply, a longer text like a request)
SAMPLES = [
    (
        "en",
        "My invoice shows the wrong amount",
        "Hello, I ordered two licences last week but the invoice shows three. Could you please correct "
        "it and send me a new one? Thank you for your help.",
    ),
    (
        "de",
        "Meine Rechnung ist leider falsch",
        "Guten Tag, ich habe letzte Woche zwei Lizenzen bestellt, aber auf der Rechnung stehen drei. "
        "Können Sie das bitte korrigieren und mir eine neue schicken? Vielen Dank für Ihre Hilfe.",
    ),
    (
        "fr",
        "Ma facture est incorrecte",
        "Bonjour, j'ai commandé deux licences la semaine dernière mais la facture en indique trois. "
        "Pourriez-vous la corriger et m'en envoyer une nouvelle ? Merci pour votre aide.",
    ),
    (
        "es",
        "Mi factura tiene un error",
        "Hola, la semana pasada pedí dos licencias pero la factura muestra tres. ¿Podrían corregirla y "
        "enviarme una nueva? Muchas gracias por su ayuda.",
    ),
    (
        "pt",
        "A minha fatura está errada",
        "Olá, na semana passada encomendei duas licenças, mas a fatura mostra três. Podem corrigir e "
        "enviar-me uma nova? Muito obrigado pela vossa ajuda.",
    ),
    (
        "it",
        "La mia fattura è sbagliata",
        "Buongiorno, la settimana scorsa ho ordinato due licenze ma la fattura ne riporta tre. Potreste "
        "correggerla e inviarmene una nuova? Grazie mille per l'aiuto.",
    ),
    (
        "nl",
        "Mijn factuur klopt niet",
        "Goedendag, vorige week heb ik twee licenties besteld, maar op de factuur staan er drie. Kunt u "
        "dat corrigeren en mij een nieuwe sturen? Hartelijk dank voor uw hulp.",
    ),
    (
        "pl",
        "Moja faktura jest błędna",
        "Dzień dobry, w zeszłym tygodniu zamówiłem dwie licencje, ale na fakturze są trzy. Czy mogą "
        "Państwo to poprawić i przesłać nową? Dziękuję za pomoc.",
    ),
    (
        "sv",
        "Min faktura är fel",
        "Hej, förra veckan beställde jag två licenser men fakturan visar tre. Kan ni rätta den och "
        "skicka en ny till mig? Tack så mycket för hjälpen.",
    ),
    (
        "da",
        "Jeg har ikke modtaget min ordre",
        "Hej, i sidste uge bestilte jeg to licenser, men fakturaen viser tre. Kan I rette den og sende "
        "mig en ny? Mange tak for hjælpen.",
    ),
    (
        "no",
        "Fakturaen min er feil",
        "Hei, forrige uke bestilte jeg to lisenser, men fakturaen viser tre. Kan dere rette opp dette og "
        "sende meg en ny? Tusen takk for hjelpen, jeg setter stor pris på det.",
    ),
    (
        "fi",
        "Laskussani on virhe",
        "Hei, tilasin viime viikolla kaksi lisenssiä, mutta laskussa on kolme. Voisitteko korjata sen ja "
        "lähettää minulle uuden? Kiitos paljon avusta.",
    ),
    (
        "ru",
        "В моём счёте ошибка",
        "Здравствуйте, на прошлой неделе я заказал две лицензии, но в счёте указаны три. Не могли бы вы "
        "исправить его и прислать новый? Большое спасибо за помощь.",
    ),
    (
        "uk",
        "У моєму рахунку помилка",
        "Добрий день, минулого тижня я замовив дві ліцензії, але в рахунку зазначено три. Чи не могли б "
        "ви виправити його та надіслати мені новий? Щиро дякую за допомогу.",
    ),
    (
        "ja",
        "請求書の金額が間違っています",
        "お世話になっております。先週ライセンスを二つ注文しましたが、請求書には三つと記載されています。"
        "修正して新しい請求書を送っていただけますか。よろしくお願いいたします。",
    ),
    (
        "zh",
        "我的发票金额有误",
        "您好，我上周订购了两个许可证，但是发票上显示的是三个。请您帮我更正并重新发送一张新的发票。非常感谢您的帮助。",
    ),
    (
        "tr",
        "Faturamda bir hata var",
        "Merhaba, geçen hafta iki lisans sipariş ettim ama faturada üç görünüyor. Lütfen düzeltip bana "
        "yeni bir fatura gönderebilir misiniz? Yardımınız için çok teşekkür ederim.",
    ),
    (
        "cs",
        "Moje faktura je chybná",
        "Dobrý den, minulý týden jsem objednal dvě licence, ale na faktuře jsou tři. Mohli byste ji "
        "opravit a poslat mi novou? Děkuji za pomoc.",
    ),
    (
        "el",
        "Το τιμολόγιό μου είναι λάθος",
        "Καλημέρα, την περασμένη εβδομάδα παρήγγειλα δύο άδειες, αλλά το τιμολόγιο δείχνει τρεις. "
        "Μπορείτε να το διορθώσετε και να μου στείλετε ένα νέο; Ευχαριστώ πολύ.",
    ),
    (
        "ko",
        "청구서 금액이 잘못되었습니다",
        "안녕하세요, 지난주에 라이선스 두 개를 주문했는데 청구서에는 세 개로 나와 있습니다. "
        "수정해서 새 청구서를 보내 주실 수 있나요? 도와주셔서 감사합니다.",
    ),
]


@pytest.mark.parametrize(("language", "short", "long"), SAMPLES, ids=[sample[0] for sample in SAMPLES])
def test_short_and_long_texts_are_recognised(language: str, short: str, long: str) -> None:
    # Given a subject-length text and a request-length text in the same language
    # When each is detected
    short_guess = detect(short)
    long_guess = detect(long)
    # Then both name that language, the long one with a high probability
    assert short_guess is not None and short_guess[0] == language
    assert long_guess is not None and long_guess[0] == language
    assert long_guess[1] > 0.9


def test_every_sample_language_is_supported() -> None:
    assert {language for language, _, _ in SAMPLES} <= set(SUPPORTED_LANGUAGES)


def test_italian_is_not_taken_for_spanish_or_portuguese() -> None:
    # Given a short Italian request, the classic confusion of a detector that knows only Romance
    # template languages
    guess = detect("Vorrei sapere quando arriverà il mio ordine")
    # Then it is called Italian
    assert guess is not None and guess[0] == "it"


@pytest.mark.parametrize("text", ["", "   \n\t ", "12345 678", "+49 30 1234567, 12.05.2025", "?!", "ok"])
def test_text_without_signal_gives_none(text: str) -> None:
    assert detect(text) is None


def test_html_residue_and_links_do_not_decide() -> None:
    # Given French text wrapped in markup left over from an HTML part, with a link and an address
    text = (
        '<div style="font-family:Arial">Bonjour,</div><p>je n&#39;arrive pas à me connecter depuis '
        'hier.&nbsp;Pouvez-vous m\'aider ?</p><a href="https://example.com/account/login?lang=en">'
        "https://example.com/account/login?lang=en</a> support@example.com"
    )
    # When detected
    guess = detect(text)
    # Then the French words decide
    assert guess is not None and guess[0] == "fr"


def test_mixed_script_text_goes_by_its_sentence_language() -> None:
    # Given Japanese and Russian sentences full of Latin product names and codes
    japanese = "MacBook Pro の Wi-Fi が接続できません。macOS 14.5 に更新してから症状が出ています。"
    russian = "После обновления Windows 11 приложение Outlook не открывает вложения PDF."
    # Then the sentence language wins over the Latin-script names
    japanese_guess = detect(japanese)
    russian_guess = detect(russian)
    assert japanese_guess is not None and japanese_guess[0] == "ja"
    assert russian_guess is not None and russian_guess[0] == "ru"


def test_text_in_capitals_is_recognised() -> None:
    guess = detect("BITTE DRINGEND UM RÜCKRUF, UNSER SERVER IST SEIT HEUTE MORGEN NICHT ERREICHBAR")
    assert guess is not None and guess[0] == "de"


def test_short_text_is_less_certain_than_long_text() -> None:
    # Given the same German request, one line of it and all of it
    _, short, long = SAMPLES[1]
    short_guess, long_guess = detect(short), detect(long)
    # Then the probability grows with the evidence
    assert short_guess is not None and long_guess is not None
    assert short_guess[1] < long_guess[1]


def test_model_ships_next_to_the_module_and_stays_small() -> None:
    assert MODEL_PATH.parent.parent.name == "triage"
    assert MODEL_PATH.is_file()
    assert MODEL_PATH.stat().st_size < 1_000_000
    assert (MODEL_PATH.parent / "LICENSE-py3langid").is_file()


def test_only_the_beginning_of_a_very_long_text_is_read() -> None:
    # Given a German request followed by a megabyte of pasted English log output
    german = SAMPLES[1][2] + " "
    text = german * 40 + "Error: connection reset by peer while reading the response body. " * 16_000
    # When detected
    guess = detect(text)
    # Then the opening paragraphs decide, as they would for a person skimming the mail
    assert guess is not None and guess[0] == "de"
