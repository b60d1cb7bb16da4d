"""How the customer sounds: frustrated, angry, neutral or positive, from multilingual cues.

Conservative on purpose: a polite request with "thanks in advance" is neutral, one exclamation mark
is nothing, and a complaint that ends with "thank you" is not positive. Pure: no AWS, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postdesk.triage.rules import compile_terms, find_terms, fold

# Repetition, waiting and "this is not acceptable": the customer has been let down before. Not "not
# yet" ("noch nicht", "todavía no", "ainda não", "ancora non"): that is how a calm question is asked.
_FRUSTRATION = compile_terms(
    [
        # en
        "still not", "still doesn't", "still does not", "still isn't", "still can't", "still cannot",
        "still waiting", "still no", "third time", "fourth time", "again and again", "yet again",
        "how many more times", "unacceptable", "not acceptable",
        "no one has", "nobody has", "no response", "no reply", "never got", "fed up", "sick of",
        "tired of", "frustrat*", "disappoint*", "how many times", "for weeks now",
        # de
        "immer noch nicht", "immer noch kein*", "noch immer nicht", "schon wieder", "zum dritten mal",
        "inakzeptabel", "nicht akzeptabel", "unzumutbar", "keine antwort", "entt\u00e4uscht",
        "seit wochen", "frustriert*",
        # fr
        "toujours pas", "toujours rien", "encore une fois", "troisieme fois", "inacceptable",
        "pas acceptable", "aucune reponse", "decu", "decue", "depuis des semaines",
        # es
        "sigue sin", "siguen sin", "otra vez", "tercera vez", "inaceptable",
        "sin respuesta", "ninguna respuesta", "decepcion*",
        # pt
        "continua sem", "terceira vez", "inaceitavel", "sem resposta", "nenhuma resposta",
        # it
        "continua a non", "terza volta", "inaccettabile", "nessuna risposta", "deluso", "delusa",
        # nl
        "nog steeds niet", "nog steeds geen", "alweer", "derde keer", "onacceptabel", "geen antwoord",
        "teleurgesteld",
    ]
)  # fmt: skip

# Hostility and threats: worse than frustration.
_ANGER = compile_terms(
    [
        "ridiculous", "disgrace*", "disgusting", "outrageous", "worst", "scam", "fraud", "furious",
        "angry", "lawyer", "legal action", "pathetic", "incompetent", "useless", "rip off", "rip-off",
        "frechheit", "unverschamt*", "betrug", "anwalt", "wutend", "lacherlich", "katastrophe",
        "scandaleux", "honte", "arnaque", "avocat", "furieux", "ridicule",
        "vergonzoso", "estafa", "abogado", "ridiculo", "indignante", "furioso",
        "vergonha", "vergonhoso", "golpe", "advogado", "absurdo",
        "vergognoso", "truffa", "avvocato", "ridicolo",
        "schandalig", "belachelijk", "oplichting", "advocaat", "woedend",
    ]
)  # fmt: skip

# Thanks alone is how many mails sign off: it counts as positive only together with praise.
_THANKS = compile_terms(
    [
        "thank you", "thanks", "danke", "merci", "gracias", "obrigad*", "grazie", "bedankt",
    ]
)  # fmt: skip
_PRAISE = compile_terms(
    [
        "great", "excellent", "awesome", "perfect", "well done", "brilliant", "very helpful",
        "hervorragend", "prima", "toll", "super", "sehr zufrieden", "parfait", "genial", "excelente",
        "perfecto", "otimo", "ottimo", "perfetto", "geweldig", "fantastisch", "uitstekend",
    ]
)  # fmt: skip

# Courtesy formulas that say nothing about the customer's mood.
_COURTESY = compile_terms(
    [
        "thanks in advance", "thank you in advance", "thanks for your help", "thank you for your help",
        "danke im voraus", "vielen dank im voraus", "vielen dank fur ihre hilfe", "merci d'avance",
        "merci par avance", "gracias de antemano", "gracias por adelantado", "obrigado desde ja",
        "grazie in anticipo", "alvast bedankt", "bij voorbaat dank", "would be great", "would be grateful",
        "ware toll", "ware super", "ware prima",
    ]
)  # fmt: skip

_EXCLAMATION_RUN = re.compile(r"[!?]*![!?]*!+[!?]*|\?!|!\?")
_WORD = re.compile(r"[^\W\d_]+")
# Common acronyms that are written in capitals without shouting.
_ACRONYMS = frozenset({"ASAP", "HTML", "HTTP", "HTTPS", "IBAN", "SEPA", "PDF", "VPN", "API", "URGENT"})

_FRUSTRATION_WEIGHT = 0.5
_ANGER_WEIGHT = 0.6
_CAPITALS_WEIGHT = 0.3
_EXCLAMATION_WEIGHT = 0.25
_LABEL_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str  # "frustrated", "angry", "neutral", "positive"
    score: float  # 0..1 strength of the label (for neutral: of the strongest signal seen)
    cues: tuple[str, ...]  # what was seen ("still not fixed", "!!!", "CAPITALS", ...)


NEUTRAL = Sentiment("neutral", 0.0, ())


def detect_sentiment(text: str, language: str) -> Sentiment:
    """The customer's tone from cues in any supported language (``language`` only breaks no ties: the
    cue lists are searched together, since customers mix languages and language detection errs)."""
    del language  # every list is searched: a German customer writing "unacceptable" is still frustrated
    folded = fold(text)
    frustration = find_terms(_FRUSTRATION, folded)
    anger = find_terms(_ANGER, folded)
    emphasis = _emphasis_cues(text)
    negative_score = min(
        1.0,
        _FRUSTRATION_WEIGHT * len(frustration)
        + _ANGER_WEIGHT * len(anger)
        + sum(_CAPITALS_WEIGHT if cue == "CAPITALS" else _EXCLAMATION_WEIGHT for cue in emphasis),
    )
    negative_cues = (*anger, *frustration, *emphasis)
    if negative_score >= _LABEL_THRESHOLD and (anger or frustration):
        label = "angry" if anger or (frustration and len(emphasis) == 2) else "frustrated"
        return Sentiment(label, round(negative_score, 2), negative_cues)
    if negative_cues:
        return Sentiment("neutral", round(negative_score, 2), negative_cues)
    sincere = _COURTESY.sub(" ", folded) if _COURTESY else folded
    praise = find_terms(_PRAISE, sincere)
    thanks = find_terms(_THANKS, sincere)
    if praise:
        return Sentiment(
            "positive", round(min(1.0, 0.4 + 0.2 * len(praise) + 0.1 * len(thanks)), 2), (*praise, *thanks)
        )
    if thanks:
        return Sentiment("neutral", 0.0, thanks)
    return NEUTRAL


def _emphasis_cues(text: str) -> tuple[str, ...]:
    cues = []
    run = _EXCLAMATION_RUN.search(text)
    if run:
        cues.append(run.group(0))
    words = [word for word in _WORD.findall(text) if len(word) >= 3]
    shouted = [word for word in words if word.isupper() and word not in _ACRONYMS]
    if len(shouted) >= 3 and len(shouted) >= 0.3 * len(words):
        cues.append("CAPITALS")
    return tuple(cues)
