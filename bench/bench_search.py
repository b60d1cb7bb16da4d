"""Full-text search at scale: 100,000 generated messages (20,000 tickets, five messages each on
average) in five languages, published to the index as the search_index function publishes, searched
as ``GET /tickets?q=`` searches (acceptance: p95 ≤ 300 ms).

The documents are made directly (``SearchDocument``, every field a string), deterministically from
``SEED``: customers' mails and agents' answers of 200 to 800 characters in English, German, French,
Spanish or Portuguese (words drawn by a Zipf law, so a few words are in most tickets and most words
in few), names with their accents, postal addresses, order numbers, product names that only a few
mails mention, and notes for agents.

The index is built through ``SearchIndex.publish`` against moto in this process: first one segment
of most tickets (the state right after a merge), then ``SMALL_BATCHES`` small publishes of new and
changed tickets, so a search reads ``MAX_SEGMENTS`` segments, the most a desk has between merges.

Then a reader of its own (a fresh cache directory, as a new API container has) searches: its first
search is reported apart (it downloads every segment), then ``QUERIES_PER_KIND`` queries of each of
``KINDS``, each kind evenly with and without the list's filters, ranked or by date, 25 a page, made as
the API makes them (``q`` stripped, then ``parse_query``, so the last word of an unquoted query is
always a prefix), every one ``ROUNDS`` times. Figures: median, p95 and p99 of every search, overall,
by kind, by filter and by order; the same searches against the segments alone (``SegmentReader``, no
manifest request) and the manifest's conditional GET alone, to show where the time goes (an
in-process moto answers the GET, not S3: the split is the figure, not the GET's absolute time). The
generated desk is frozen out of the garbage collector's passes meanwhile (no reader holds it).

Last, one more publish, which merges the segments (the writer's heaviest batch): its seconds, what
the bucket and the writer's directory hold after it, the reader's first search after it (which
downloads the merged segment) and after one small publish more, and the queries against the merged
segment alone. Peak RSS is the whole process's: the generated desk and moto's bucket included.
"""

from __future__ import annotations

import gc
import os
import random
import re
import resource
import sqlite3
import statistics
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from postdesk.search.documents import SearchDocument
from postdesk.search.index import MAX_SEGMENTS, SEGMENT_PREFIX, SearchIndex
from postdesk.search.query import ParsedQuery, parse_query
from postdesk.search.segments import Conditions, Hit, Order, SegmentReader

SEED = 20261125
MESSAGES = 100_000
TICKETS = 20_000
# Small publishes after the big one: with it, MAX_SEGMENTS segments, the most a reader meets.
SMALL_BATCHES = MAX_SEGMENTS - 1
SMALL_BATCH_NEW = 100
SMALL_BATCH_CHANGED = 50
QUERIES_PER_KIND = 40
# Each query is searched this many times (percentiles over every search).
ROUNDS = 3
PAGE = 25
MANIFEST_GETS = 200
TARGET_P95_MS = 300.0
REGION = "eu-west-1"
BUCKET = "postdesk-bench-search"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
STATUSES = ("new", "open", "pending", "on-hold", "resolved", "closed")
STATUS_WEIGHTS = (10, 20, 15, 5, 25, 25)
QUEUES = ("support", "billing", "shipping")
QUEUE_WEIGHTS = (60, 25, 15)
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (15, 65, 15, 5)
CATEGORIES = ("billing", "technical", "shipping", "account", "returns", "general")
TAGS = ("vip", "refund", "damaged", "late", "duplicate-charge", "gdpr", "escalated", "b2b", "warranty")
FILTERS = {
    "none": Conditions(),
    "status_open_new": Conditions(statuses=("open", "new")),
    "queue_billing": Conditions(queue="billing"),
    "status_and_queue": Conditions(statuses=("open", "new"), queue="billing"),
}
KINDS = (
    "common_word",
    "rare_word",
    "two_words",
    "phrase",
    "prefix_typing",
    "name",
    "reference",
    "email_address",
)


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    words: tuple[str, ...]
    cumulative: tuple[float, ...]
    content: tuple[str, ...]
    hello: str
    regards: str
    openings: tuple[str, ...]
    address: Callable[[random.Random], str]


def _address_en(rng: random.Random) -> str:
    street = rng.choice(("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"))
    city = rng.choice(("London", "Manchester", "Dublin", "Leeds", "Bristol", "Cork"))
    postcode = f"{rng.choice('BELMNSW')}{rng.choice('CEW')}{rng.randint(1, 9)} {rng.randint(1, 9)}"
    return f"{rng.randint(1, 240)} {street}, {city} {postcode}{rng.choice('ABDEF')}{rng.choice('JLNPQ')}"


def _address_de(rng: random.Random) -> str:
    street = rng.choice(
        ("Hauptstraße", "Bahnhofstraße", "Schloßallee", "Königsweg", "Mühlenweg", "Gartenstraße")
    )
    city = rng.choice(("Berlin", "München", "Köln", "Düsseldorf", "Nürnberg", "Lübeck", "Göttingen"))
    return f"{street} {rng.randint(1, 180)}, {rng.randint(1000, 99999):05d} {city}"


def _address_fr(rng: random.Random) -> str:
    street = rng.choice(
        ("rue de la Paix", "avenue des Champs-Élysées", "rue du Général-Leclerc", "boulevard Saint-Germain")
    )
    city = rng.choice(("Paris", "Lyon", "Besançon", "Orléans", "Nîmes", "Grenoble"))
    return f"{rng.randint(1, 120)} {street}, {rng.randint(1000, 95999):05d} {city}"


def _address_es(rng: random.Random) -> str:
    street = rng.choice(("Mayor", "de Alcalá", "Núñez de Balboa", "del Príncipe", "de la Constitución"))
    city = rng.choice(("Madrid", "Sevilla", "Málaga", "Córdoba", "A Coruña", "Cádiz"))
    return f"Calle {street} {rng.randint(1, 150)}, {rng.randint(1000, 52999):05d} {city}"


def _address_pt(rng: random.Random) -> str:
    street = rng.choice(("Augusta", "da Conceição", "de São Bento", "do Ouro", "Garrett"))
    city = rng.choice(("Lisboa", "Porto", "Coimbra", "Évora", "Setúbal", "Braga"))
    return f"Rua {street} {rng.randint(1, 200)}, {rng.randint(1000, 9999)}-{rng.randint(0, 999):03d} {city}"


_RAW_LANGUAGES: dict[str, tuple[str, str, str, str, tuple[str, ...], Callable[[random.Random], str]]] = {
    "en": (
        "the a to and of my i is it for in on you we your this that with have not was be please can but "
        "me our at from an are as will would been has if so no there still all just could also any when",
        "order invoice refund delivery parcel package account payment password login subscription cancel "
        "charge charged twice card credit address shipping tracking number warehouse courier damaged broken "
        "missing return exchange replacement size colour product item receipt discount voucher code price "
        "bill billing email phone support problem issue error message app website update reset access "
        "locked store customer service week days yesterday today tomorrow monday friday morning received "
        "arrived sent shipped waiting wrong late again soon thanks regards request confirm confirmation "
        "label box door neighbour collect pickup bank transfer paypal statement tax vat company contract "
        "plan upgrade downgrade renewal expired trial license download install device laptop printer "
        "battery screen cable charger warranty repair manual instructions settings notification cancelled "
        "complaint manager urgent deadline partial amount total balance fee overcharged duplicate ticket "
        "follow reply attached photo screenshot document form signature kettle fridge dishwasher keys",
        "Hello",
        "Kind regards,",
        ("Hello,", "Hi there,", "Dear support team,", "Good morning,"),
        _address_en,
    ),
    "de": (
        "der die das und ich ist nicht mit ein eine zu auf für es sie wir mein meine ihr ihre bitte den dem "
        "von im noch aber habe haben wurde wie auch schon kann können bei nach aus um so dass wenn oder hier",
        "Bestellung Rechnung Rückerstattung Lieferung Paket Konto Zahlung Passwort Anmeldung Abonnement "
        "Kündigung kündigen Abbuchung doppelt zweimal Karte Gutschrift Adresse Versand Sendungsnummer Lager "
        "Zusteller beschädigt kaputt fehlt Rücksendung Umtausch Ersatz Größe Farbe Produkt Artikel Quittung "
        "Rabatt Gutschein Preis Lastschrift Überweisung Kundennummer Kundendienst Woche Tage gestern morgen "
        "Montag Freitag erhalten angekommen versendet geliefert warten falsch spät wieder bald danke vielen "
        "Anfrage Bestätigung Etikett Karton Tür Nachbarn Filiale abholen Bank Kontoauszug Mehrwertsteuer "
        "Firma Vertrag Tarif Verlängerung abgelaufen Lizenz herunterladen Gerät Drucker Akku Bildschirm "
        "Kabel Ladegerät Garantie Reparatur Anleitung Einstellungen Benachrichtigung storniert Beschwerde "
        "dringend Frist Betrag Gesamtbetrag Gebühr Mahnung Zahlungserinnerung Störung Fehlermeldung "
        "Lieferadresse Kündigungsbestätigung Rücksendeetikett Bestellnummer Rechnungsnummer Anhang Foto "
        "Formular Unterschrift März Mängel Bügeleisen Kühlschrank Waschmaschine Schlüssel Öffnungszeiten "
        "ärgerlich enttäuscht möglich zurück natürlich leider",
        "Hallo",
        "Mit freundlichen Grüßen,",
        ("Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,", "Liebes Support-Team,"),
        _address_de,
    ),
    "fr": (
        "le la les de des et je est pas un une pour mon ma mes votre vos nous vous il elle que qui dans sur "
        "avec ne au aux du en ce cette mais toujours déjà très bien aussi encore si où été avoir suis avons",
        "commande facture remboursement livraison colis compte paiement mot passe connexion abonnement "
        "résiliation annuler prélèvement deux fois carte crédit adresse expédition suivi numéro entrepôt "
        "livreur endommagé cassé manquant retour échange remplacement taille couleur produit article reçu "
        "réduction bon prix virement service client semaine jours hier demain lundi vendredi arrivé envoyé "
        "livré attendre erreur retard bientôt merci demande confirmation étiquette carton porte voisin "
        "point relais banque relevé TVA société contrat forfait renouvellement expiré licence télécharger "
        "appareil imprimante batterie écran câble chargeur garantie réparation notice paramètres "
        "réclamation urgent délai montant total frais relance panne message pièce jointe photo formulaire "
        "signature août décembre février réfrigérateur lave linge clé horaires déçu possible "
        "malheureusement évidemment problème élevé",
        "Bonjour",
        "Cordialement,",
        ("Bonjour,", "Madame, Monsieur,", "Bonjour à toute l'équipe,", "Bonsoir,"),
        _address_fr,
    ),
    "es": (
        "el la los las de del y yo es no un una para mi mis su sus nosotros usted que en con por al lo pero "
        "todavía ya muy bien también si donde he hemos está fue sido",
        "pedido factura reembolso entrega paquete cuenta pago contraseña acceso suscripción cancelación "
        "cancelar cargo dos veces tarjeta crédito dirección envío seguimiento número almacén repartidor "
        "dañado roto falta devolución cambio sustitución talla color producto artículo recibo descuento "
        "cupón precio transferencia atención cliente semana días ayer mañana lunes viernes recibido llegado "
        "enviado entregado esperar equivocado retraso pronto gracias solicitud confirmación etiqueta caja "
        "puerta vecino recoger banco extracto IVA empresa contrato tarifa renovación caducado licencia "
        "descargar dispositivo impresora batería pantalla cable cargador garantía reparación manual "
        "configuración reclamación urgente plazo importe total comisión recordatorio avería mensaje adjunto "
        "foto formulario firma año diciembre nevera lavadora llave horario decepcionado posible "
        "lamentablemente problema",
        "Hola",
        "Saludos cordiales,",
        ("Hola,", "Buenos días,", "Estimado equipo,", "Buenas tardes,"),
        _address_es,
    ),
    "pt": (
        "o a os as de do da e eu é não um uma para meu minha seu sua nós você que em no na com por ao mas "
        "ainda já muito bem também se onde foi tenho temos está",
        "encomenda fatura reembolso entrega pacote conta pagamento senha acesso assinatura cancelamento "
        "cancelar cobrança duas vezes cartão crédito endereço envio rastreamento número armazém estafeta "
        "danificado partido falta devolução troca substituição tamanho cor produto artigo recibo desconto "
        "cupão preço transferência atendimento cliente semana dias ontem amanhã segunda sexta recebido "
        "chegou enviado entregue esperar errado atraso breve obrigado pedido confirmação etiqueta caixa "
        "porta vizinho levantar banco extrato IVA empresa contrato tarifário renovação expirado licença "
        "descarregar dispositivo impressora bateria ecrã cabo carregador garantia reparação manual "
        "definições reclamação urgente prazo montante total taxa lembrete avaria mensagem anexo foto "
        "formulário assinatura coração informação situação atenção questão solução",
        "Olá",
        "Com os melhores cumprimentos,",
        ("Olá,", "Bom dia,", "Caros senhores,", "Boa tarde,"),
        _address_pt,
    ),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


LANGUAGE_WEIGHTS = {"en": 40, "de": 25, "fr": 15, "es": 12, "pt": 8}

FIRST_NAMES = _words(
    "Jürgen Günther Anna Lena Björn Jörg Sören Zoë Chloé François Hélène Léa Amélie Noël José María "
    "Núria Íñigo Martín João Conceição Inês Gonçalo Mariana Oliver Emma James Sarah Liam Priya Aoife "
    "Siobhán Małgorzata Tomáš Ana Lucía Héctor Renée Matthäus Benoît"
)
LAST_NAMES = _words(
    "Müller Schröder Weiß Böhm Krüger Groß Köhler Schäfer Becker Hoffmann Dubois Lefèvre Bérenger Moreau "
    "Girard Fauré Núñez García Fernández Gómez Peña Muñoz Ibáñez Gonçalves Araújo Simões Magalhães "
    "Brandão Smith O'Brien Johnson Walsh Patel Nowak Dvořák Søndergaard Åström Ødegaard Martínez Lopes"
)
MAIL_DOMAINS = _words(
    "kunde.example mail.example web.example gmx.example orange.example free.example correo.example "
    "sapo.example outlook.example posteo.example laposte.example telefonica.example"
)
AGENTS = tuple(
    f"{name}@desk.example"
    for name in _words("anna.berg tom.weller ines.costa marc.olivier lucia.ramos ben.carter sofia.lind")
)
_SYLLABLES = _words("ka lo mi ve ra tor quin sel dar vex mo lu ne pri sta zor fen gal hu ri bel cor dan tis")
_WORD = re.compile(r"\w+")


def _language(code: str) -> Language:
    function, content, hello, regards, openings, address = _RAW_LANGUAGES[code]
    words = (*function.split(), *content.split())
    # Zipf: the n-th word of the list is said 1/n as often as the first (content words twice that, so
    # that about half the words of a mail are content words, as in support mail).
    cumulative: list[float] = []
    total = 0.0
    for rank in range(len(words)):
        total += (1.0 if rank < len(function.split()) else 2.0) / (rank + 1)
        cumulative.append(total)
    return Language(code, words, tuple(cumulative), tuple(content.split()), hello, regards, openings, address)


def _fold(text: str) -> str:
    """ASCII for an email address: accents dropped, letters with no decomposition spelled out."""
    spelled: dict[str, str | int | None] = {"ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "'": ""}
    text = text.translate(str.maketrans(spelled))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class Desk:
    documents: list[SearchDocument]
    # Product names some mail mentions (rare words), and the requesters' addresses.
    products: list[str]
    addresses: list[str]
    languages: dict[str, Language]
    text_mb: float


class _Writer:
    """The desk's generator: one ``random.Random(SEED)`` behind every choice."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.languages = {code: _language(code) for code in _RAW_LANGUAGES}
        self.products = sorted(
            {"".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3))) for _ in range(6000)}
        )
        self.used_products: set[str] = set()
        self.refs: set[str] = set()

    def ref(self) -> str:
        while True:
            letters = "".join(self.rng.choice(ALPHABET) for _ in range(8))
            ref = f"{letters[:4]}-{letters[4:]}"
            if ref not in self.refs:
                self.refs.add(ref)
                return ref

    def sentence(self, language: Language) -> str:
        rng = self.rng
        words = rng.choices(language.words, cum_weights=language.cumulative, k=rng.randint(5, 15))
        extra = rng.random()
        if extra < 0.18:
            product = rng.choice(self.products)
            self.used_products.add(product)
            words[rng.randrange(len(words))] = f"{product.capitalize()} {rng.randint(1, 9) * 100}"
        elif extra < 0.24:
            words.append(f"#{rng.randint(100000, 999999)}")
        elif extra < 0.28:
            words.append(f"{rng.randint(5, 900)},{rng.randint(0, 99):02d} €")
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice(".....?!")

    def message(self, language: Language, opening: str, signature: str, extra: str = "") -> str:
        rng = self.rng
        target = rng.randint(200, 800)
        parts = [opening]
        if extra:
            parts.append(extra)
        size = len(opening) + len(extra) + len(signature) + 2
        while size < target:
            sentence = self.sentence(language)
            parts.append(sentence)
            size += len(sentence) + 1
        body = " ".join(parts)
        room = 800 - len(signature) - 1
        if len(body) > room:
            body = body[:room].rsplit(" ", 1)[0]
        return f"{body} {signature}"

    def ticket(self, start: datetime, messages: int) -> SearchDocument:
        rng = self.rng
        code = rng.choices(tuple(LANGUAGE_WEIGHTS), weights=tuple(LANGUAGE_WEIGHTS.values()))[0]
        language = self.languages[code]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        pattern = rng.randrange(3)
        local = (
            f"{_fold(first)}.{_fold(last)}"
            if pattern == 0
            else f"{_fold(first)[0]}{_fold(last)}"
            if pattern == 1
            else f"{_fold(last)}{rng.randint(1, 99)}"
        )
        email = f"{local}@{rng.choice(MAIL_DOMAINS)}"
        ref = self.ref()
        queue = rng.choices(QUEUES, weights=QUEUE_WEIGHTS)[0]
        agent = rng.choice(AGENTS)
        agent_name = agent.split(".")[0].capitalize()
        subject_words = rng.sample(language.content[:80], rng.randint(2, 4))
        subject = " ".join(subject_words).capitalize()
        if rng.random() < 0.3:
            subject += f" #{rng.randint(100000, 999999)}"
        said: list[str] = []
        for position in range(messages):
            if position % 2 == 0 or rng.random() < 0.2:
                extra = (
                    language.address(rng)
                    if position == 0 and (queue == "shipping" or rng.random() < 0.1)
                    else ""
                )
                said.append(self.message(language, rng.choice(language.openings), f"{first} {last}", extra))
            else:
                extra = f"[{ref}]" if rng.random() < 0.3 else ""
                opening = f"{language.hello} {first} {last},"
                said.append(self.message(language, opening, f"{language.regards} {agent_name}", extra))
        notes = [
            self.message(self.languages["en" if rng.random() < 0.7 else code], "Note:", f"— {agent_name}")[
                : rng.randint(50, 300)
            ]
            for _ in range(rng.choices((0, 1, 2, 3), weights=(40, 35, 15, 10))[0])
        ]
        created = start + timedelta(seconds=rng.randint(0, 330 * 86_400), milliseconds=rng.randint(0, 999))
        updated = created + timedelta(seconds=rng.randint(60, 14 * 86_400))
        tags = rng.sample(TAGS, rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0])
        return SearchDocument(
            ref=ref,
            subject=subject,
            requester=f"{first} {last} {email}",
            tags=" ".join((*tags, rng.choice(CATEGORIES))),
            messages="\n\n".join(said),
            notes="\n\n".join(notes),
            status=rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0],
            queue=queue,
            assignee=agent if rng.random() < 0.8 else "-",
            priority=rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0],
            language=code,
            requester_email=email,
            follow_up="1" if rng.random() < 0.05 else "",
            created_at=_iso(created),
            updated_at=_iso(updated),
        )


def _generate() -> tuple[Desk, _Writer]:
    writer = _Writer()
    rng = writer.rng
    counts = [rng.randint(1, 9) for _ in range(TICKETS)]
    # Exactly MESSAGES messages: nudge random tickets up or down (each keeps 1 to 9).
    while (difference := MESSAGES - sum(counts)) != 0:
        index = rng.randrange(TICKETS)
        step = 1 if difference > 0 else -1
        if 1 <= counts[index] + step <= 9:
            counts[index] += step
    start = datetime(2026, 1, 1, tzinfo=UTC)
    documents = [writer.ticket(start, count) for count in counts]
    text = sum(len(d.messages) + len(d.notes) for d in documents)
    addresses = [document.requester_email for document in documents]
    desk = Desk(documents, sorted(writer.used_products), addresses, writer.languages, round(text / 1e6, 1))
    return desk, writer


# Queries ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str
    filter: str
    order: Order
    # The reference a reference query names (found first, unless filtered out).
    expected: str | None = None


def _words_of(document: SearchDocument, language: Language) -> list[str]:
    content = {word.lower() for word in language.content}
    return [word for word in _WORD.findall(document.messages) if word.lower() in content and len(word) > 3]


def _phrase(document: SearchDocument, language: Language, rng: random.Random) -> str:
    """Two or three words that stand together in one of the ticket's mails, one of them a content word
    (what an agent remembers of a mail)."""
    content = {word.lower() for word in language.content}
    tokens = re.findall(r"[^\W\d_]+", rng.choice(document.messages.split("\n\n")))
    starts = [at for at in range(len(tokens) - 2) if tokens[at].lower() in content]
    at = rng.choice(starts) if starts else 0
    return " ".join(tokens[at : at + rng.randint(2, 3)])


def _queries(desk: Desk, rng: random.Random) -> list[Query]:
    languages = list(desk.languages.values())
    accented = [
        d
        for d in desk.documents
        if "'" not in d.requester and _fold(d.requester.split(" ")[1]) != d.requester.split(" ")[1].lower()
    ]
    texts: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    typed = ["rech", "warehou", "bestel", "remb", "factu", "encom", "pedi", "refu", "kündig", "liefer"]
    for _ in range(QUERIES_PER_KIND):
        language = rng.choice(languages)
        texts["common_word"].append((rng.choice(language.content[:12]).lower(), None))
        texts["rare_word"].append((rng.choice(desk.products), None))
        document = rng.choice(desk.documents)
        words = _words_of(document, desk.languages[document.language]) or list(language.content[:2])
        pair = rng.sample(sorted(set(words)), 2) if len(set(words)) > 1 else [words[0], language.content[0]]
        texts["two_words"].append((" ".join(pair).lower(), None))
        texts["phrase"].append(('"' + _phrase(document, desk.languages[document.language], rng) + '"', None))
        if typed:
            prefix = typed.pop(0)
        else:
            word = rng.choice([w for w in language.content[:60] if len(w) > 5])
            prefix = word[: rng.randint(3, min(7, len(word) - 1))].lower()
        texts["prefix_typing"].append((prefix, None))
        # A requester's name as typed without its accents: the surname, or both names.
        first, surname = rng.choice(accented).requester.split(" ")[:2]
        texts["name"].append(
            (_fold(surname) if rng.random() < 0.6 else f"{_fold(first)} {_fold(surname)}", None)
        )
        target = rng.choice(desk.documents).ref
        form = rng.randrange(3)
        shown = target if form == 0 else target.lower() if form == 1 else target.replace("-", "")
        texts["reference"].append((shown, target))
        texts["email_address"].append((rng.choice(desk.addresses), None))
    combos = [(name, order) for name in FILTERS for order in (Order.RELEVANCE, Order.DATE)]
    queries = [
        Query(kind, text, *combos[position % len(combos)], expected=expected)
        for kind in KINDS
        for position, (text, expected) in enumerate(texts[kind])
    ]
    rng.shuffle(queries)
    return queries


# Measuring ----------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(seconds),
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "p95_ms": round(_percentile(seconds, 0.95) * 1000, 2),
        "p99_ms": round(_percentile(seconds, 0.99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


def _grouped(
    queries: Sequence[Query], seconds: Sequence[float], key: Callable[[Query], str]
) -> dict[str, Any]:
    groups: dict[str, list[float]] = defaultdict(list)
    for query, took in zip(queries, seconds, strict=True):
        groups[key(query)].append(took)
    return {name: _summary(values) for name, values in sorted(groups.items())}


def _figures(queries: Sequence[Query], seconds: Sequence[float]) -> dict[str, Any]:
    return {
        "all": _summary(seconds),
        "by_kind": _grouped(queries, seconds, lambda q: q.kind),
        "by_filter": _grouped(queries, seconds, lambda q: q.filter),
        "by_order": _grouped(queries, seconds, lambda q: q.order.value),
    }


class _Segments:
    """The segments alone, searched as ``SearchIndex`` searches them, without asking for the manifest."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.readers = [SegmentReader(path) for path in paths]
        self.names = [frozenset(reader.names()) for reader in self.readers]

    def search(self, match: str | None, conditions: Conditions, order: Order, limit: int) -> list[Hit]:
        hits: list[Hit] = []
        newer: set[str] = set()
        for position, reader in enumerate(self.readers):
            hits.extend(reader.search(match, conditions, order, limit + 1, newer))
            if position < len(self.readers) - 1:
                newer |= self.names[position]
        if order is Order.RELEVANCE:
            hits.sort(key=lambda hit: (hit.score, hit.ref))
        else:
            hits.sort(key=lambda hit: (hit.updated_at, -hit.score, hit.ref), reverse=True)
        return hits[:limit]

    def close(self) -> None:
        for reader in self.readers:
            reader.close()


def _parsed(text: str) -> ParsedQuery:
    """``text`` as the API reads ``q``: stripped, then parsed (so an unquoted last word is a prefix)."""
    parsed = parse_query(text.strip())
    assert parsed is not None, text
    return parsed


def _matching(paths: Sequence[Path], queries: Sequence[Query]) -> dict[str, int]:
    """How many tickets each kind's median query matches, its words alone (no filter, any version)."""
    connections = [sqlite3.connect(f"file:{path}?mode=ro", uri=True) for path in paths]
    counts: dict[str, list[int]] = defaultdict(list)
    try:
        for query in queries:
            parsed = _parsed(query.text)
            refs: set[str] = set()
            for connection in connections:
                refs.update(
                    ref
                    for (ref,) in connection.execute(
                        "SELECT ref FROM docs WHERE docs MATCH ?", (parsed.match,)
                    )
                )
            counts[query.kind].append(len(refs))
    finally:
        for connection in connections:
            connection.close()
    return {kind: int(statistics.median(values)) for kind, values in sorted(counts.items())}


def _timed(search: Callable[[Query], int], queries: Sequence[Query]) -> tuple[list[float], list[int]]:
    seconds: list[float] = []
    found: list[int] = []
    for query in queries:
        started = time.perf_counter()
        hits = search(query)
        seconds.append(time.perf_counter() - started)
        found.append(hits)
    return seconds, found


@contextmanager
def _frozen() -> Iterator[None]:
    """The objects made so far (the generated desk: no reader holds it) out of the collector's way, so
    that its passes over them do not land in the timings."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _moto() -> Iterator[None]:
    """Moto in this process (moto_fit's patches first) with fake credentials; the environment as it was
    afterwards."""
    from moto import mock_aws

    from postdesk.aws.clients import reset_clients
    from postdesk_tools import moto_fit

    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    moto_fit.apply()
    reset_clients()
    try:
        with mock_aws():
            yield
    finally:
        reset_clients()
        os.environ.clear()
        os.environ.update(saved)


def _segment_sizes_mb() -> list[float]:
    from postdesk.aws.clients import client

    listed = client("s3", REGION).list_objects_v2(Bucket=BUCKET, Prefix=SEGMENT_PREFIX)
    return [
        round(item["Size"] / 1e6, 1) for item in sorted(listed.get("Contents", []), key=lambda i: i["Key"])
    ]


def _build(desk: Desk, writer: _Writer, directory: Path) -> tuple[SearchIndex, dict[str, Any]]:
    """The index as a live desk has it between merges: one big segment, then small ones."""
    big = len(desk.documents) - SMALL_BATCHES * SMALL_BATCH_NEW
    index = SearchIndex(BUCKET, REGION, directory)
    started = time.perf_counter()
    index.publish(desk.documents[:big], ())
    big_seconds = time.perf_counter() - started
    small_seconds: list[float] = []
    rng = writer.rng
    for batch in range(SMALL_BATCHES):
        fresh = desk.documents[big + batch * SMALL_BATCH_NEW : big + (batch + 1) * SMALL_BATCH_NEW]
        # Tickets that changed since the merge: a new status, a later update (their words stay).
        changed = [
            replace(
                document,
                status=rng.choice(STATUSES),
                updated_at=_iso(datetime(2026, 11, 28, tzinfo=UTC) + timedelta(minutes=batch * 60 + n)),
            )
            for n, document in enumerate(rng.sample(desk.documents[:big], SMALL_BATCH_CHANGED))
        ]
        started = time.perf_counter()
        manifest = index.publish([*fresh, *changed], ())
        small_seconds.append(time.perf_counter() - started)
    sizes = _segment_sizes_mb()
    return index, {
        "segments": len(manifest.segments),
        "segment_sizes_mb": sizes,
        "segments_total_mb": round(sum(sizes), 1),
        "big_publish_documents": big,
        "big_publish_seconds": round(big_seconds, 1),
        "small_publish_documents": SMALL_BATCH_NEW + SMALL_BATCH_CHANGED,
        "small_publish_seconds_median": round(statistics.median(small_seconds), 2),
        "build_seconds": round(big_seconds + sum(small_seconds), 1),
    }


def _segments_pass(
    paths: Sequence[Path], queries: Sequence[Query], parsed: dict[str, ParsedQuery]
) -> list[float]:
    """Each query against the segments at ``paths`` alone (after ten untimed ones)."""
    segments = _Segments(paths)

    def search(query: Query) -> int:
        return len(segments.search(parsed[query.text].match, FILTERS[query.filter], query.order, PAGE))

    try:
        _timed(search, queries[:10])
        seconds, _ = _timed(search, [*queries] * ROUNDS)
    finally:
        segments.close()
    return seconds


def _megabytes(directory: Path) -> dict[str, float]:
    files = [path for path in directory.iterdir() if path.is_file()]
    return {"files": len(files), "mb": round(sum(path.stat().st_size for path in files) / 1e6, 1)}


def run() -> dict[str, Any]:
    started_all = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    desk, writer = _generate()
    generate_seconds = time.perf_counter() - started_all
    queries = _queries(desk, random.Random(SEED + 1))
    # The search timed apart: a new reader's first, the same again, and the first after publishes.
    probe = Query("common_word", "bestellung", "none", Order.RELEVANCE)
    parsed = {query.text: _parsed(query.text) for query in (probe, *queries)}
    with _frozen(), tempfile.TemporaryDirectory(prefix="bench-search-") as directory, _moto():
        from postdesk.aws.clients import client

        scratch = Path(directory)
        client("s3", REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        writer_index, build = _build(desk, writer, scratch / "writer")

        # A new API container: nothing downloaded yet.
        reader = SearchIndex(BUCKET, REGION, scratch / "reader")

        def through_index(query: Query) -> int:
            page = reader.search(parsed[query.text], FILTERS[query.filter], query.order, PAGE)
            return len(page.hits)

        cold, _ = _timed(through_index, [probe])
        warm, _ = _timed(through_index, [probe])
        searches = [*queries] * ROUNDS
        index_seconds, found = _timed(through_index, searches)
        references = [
            (query, reader.search(parsed[query.text], FILTERS[query.filter], query.order, PAGE).hits)
            for query in queries
            if query.kind == "reference" and query.filter == "none"
        ]
        found_first = sum(1 for query, hits in references if hits and hits[0].ref == query.expected)

        paths = [scratch / "reader" / name for name in reader.manifest().segments]
        segment_seconds = _segments_pass(paths, queries, parsed)
        manifest_seconds = []
        for _ in range(MANIFEST_GETS):
            begun = time.perf_counter()
            reader.manifest()
            manifest_seconds.append(time.perf_counter() - begun)
        matching = _matching(paths, [q for q in queries if q.filter == "none"])
        reader_cache = _megabytes(scratch / "reader")

        # One more small publish: more than MAX_SEGMENTS segments, so the writer merges them all; the
        # reader's next search downloads the merged segment. Then one small publish more: one small
        # segment to download.
        begun = time.perf_counter()
        merged = writer_index.publish(desk.documents[:SMALL_BATCH_NEW], ())
        merge_seconds = time.perf_counter() - begun
        bucket_after_merge = {
            "manifest_segments": len(merged.segments),
            "segment_objects_mb": _segment_sizes_mb(),
        }
        writer_cache = _megabytes(scratch / "writer")
        after_merge, _ = _timed(through_index, [probe])
        writer_index.publish(desk.documents[SMALL_BATCH_NEW : 2 * SMALL_BATCH_NEW], ())
        after_small, _ = _timed(through_index, [probe])
        merged_seconds = _segments_pass([scratch / "writer" / merged.segments[0]], queries, parsed)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = _figures(searches, index_seconds)
    merged_figures = _figures(searches, merged_seconds)
    return {
        "messages": MESSAGES,
        "tickets": len(desk.documents),
        "text_mb": desk.text_mb,
        "queries": len(queries),
        "searches": len(searches),
        "target_p95_ms": TARGET_P95_MS,
        "p95_ms": figures["all"]["p95_ms"],
        "p95_share_of_target": round(figures["all"]["p95_ms"] / TARGET_P95_MS, 2),
        "search": figures,
        "segments_alone": _figures(searches, segment_seconds),
        "manifest_get": _summary(manifest_seconds),
        "first_search_ms": {
            "new_reader_cold": round(cold[0] * 1000, 1),
            "same_search_again": round(warm[0] * 1000, 1),
            "after_merge": round(after_merge[0] * 1000, 1),
            "after_small_publish": round(after_small[0] * 1000, 1),
        },
        "hits_per_page_median": statistics.median(found),
        "pages_with_no_hit": sum(1 for hits in found[: len(queries)] if hits == 0),
        "matching_tickets_median_by_kind": matching,
        "reference_found_first": f"{found_first}/{len(references)}",
        "build": build,
        "reader_cache": reader_cache,
        "merge_publish_seconds": round(merge_seconds, 1),
        "bucket_after_merge": bucket_after_merge,
        "writer_cache_after_merge": writer_cache,
        "merged_segment_alone": {"all": merged_figures["all"], "by_kind": merged_figures["by_kind"]},
        "generate_seconds": round(generate_seconds, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        # Other work on the machine meanwhile shows in the timings: the 1-minute load, start and end.
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "run_seconds": round(time.perf_counter() - started_all, 1),
    }
