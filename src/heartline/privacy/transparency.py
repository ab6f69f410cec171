"""Telling customers: a plain-language notice and their own choices, by a signed link.

The seeds ask for it ("tell them why, make it about service, not surveillance"): every email
Heartline sends ends with one short line that says messages are read for feeling, links the
notice (`/privacy`, editable by an admin, one text per language) and the customer's own choices
page (`/privacy/choices/<token>`: a signed link that expires after CHOICES_DAYS). There a
customer can stop emotion analysis, stop marketing, and ask for a copy of their data or its
erasure. Every choice goes through the same code paths as an agent's change (consent updates,
`withdraw_analysis`, privacy requests that pause marketing at once) and is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.config import Settings, get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.enums import Channel, RequestStatus
from heartline.privacy import audit, requests
from heartline.privacy.consent import withdraw_analysis
from heartline.privacy.models import PrivacyNotice, PrivacyRequest

CHOICES_DAYS = 60
_SALT = "heartline-privacy-choices"
ACTIONS = ("no_analysis", "no_marketing", "copy", "erasure")
# A consent a customer withdraws on their page: action -> (column, consent key, what we say).
WITHDRAWALS: dict[str, tuple[str, str, str]] = {
    "no_analysis": (
        "consent_emotion_analysis", "emotion_analysis",
        "We no longer analyse your messages, and what was read from them is deleted.",
    ),
    "no_marketing": ("consent_marketing", "marketing", "We will not send you offers any more."),
}  # fmt: skip

# The shipped notice; an admin replaces it per language on the settings page.
NOTICES: dict[str, str] = {
    "en": (
        "How we read your messages\n\n"
        "When you write to us, our support software reads your message to understand how you "
        "feel about our service: for example whether you are frustrated about a late order. "
        "It helps us answer the most urgent messages first and make things right. It is about "
        "our service, not about judging you.\n\n"
        "What is analysed: the text of the messages and survey answers you send us. We keep "
        "the reading (for example 'frustrated, about a delivery') with your customer record "
        "for as long as we keep your messages. Nobody outside our team sees it, and it is "
        "never sold or used for advertising.\n\n"
        "Your choices: you can ask us at any time to stop analysing your messages (what was "
        "read is then deleted), to stop sending you offers, for a copy of everything we hold "
        "about you, or to erase it. Use the link at the end of any email from us, or simply "
        "reply and tell us."
    ),
    "de": (
        "Wie wir Ihre Nachrichten lesen\n\n"
        "Wenn Sie uns schreiben, liest unsere Support-Software Ihre Nachricht, um zu verstehen, "
        "wie zufrieden Sie mit unserem Service sind, zum Beispiel ob Sie sich über eine "
        "verspätete Bestellung ärgern. So beantworten wir dringende Nachrichten zuerst. Es geht "
        "um unseren Service, nicht darum, Sie zu beurteilen.\n\n"
        "Ausgewertet wird der Text Ihrer Nachrichten und Umfrageantworten. Das Ergebnis bleibt "
        "bei Ihrem Kundenkonto, solange wir Ihre Nachrichten aufbewahren; es wird nie verkauft "
        "oder für Werbung genutzt.\n\n"
        "Ihre Wahl: Sie können jederzeit verlangen, dass wir Ihre Nachrichten nicht mehr "
        "auswerten (das Ausgewertete wird dann gelöscht), Ihnen keine Angebote mehr senden, "
        "Ihnen eine Kopie Ihrer Daten geben oder sie löschen. Nutzen Sie den Link am Ende "
        "jeder E-Mail von uns oder antworten Sie uns einfach."
    ),
    "fr": (
        "Comment nous lisons vos messages\n\n"
        "Quand vous nous écrivez, notre logiciel de support lit votre message pour comprendre "
        "ce que vous ressentez envers notre service, par exemple si une commande en retard "
        "vous agace. Cela nous aide à répondre d'abord aux messages urgents. Il s'agit de "
        "notre service, pas de vous juger.\n\n"
        "Ce qui est analysé : le texte de vos messages et réponses aux enquêtes. Le résultat "
        "reste avec votre dossier client tant que nous gardons vos messages ; il n'est jamais "
        "vendu ni utilisé pour la publicité.\n\n"
        "Vos choix : vous pouvez nous demander à tout moment d'arrêter d'analyser vos "
        "messages (ce qui a été lu est alors supprimé), de ne plus vous envoyer d'offres, une "
        "copie de vos données ou leur effacement. Utilisez le lien à la fin de nos e-mails ou "
        "répondez-nous simplement."
    ),
    "es": (
        "Cómo leemos sus mensajes\n\n"
        "Cuando nos escribe, nuestro software de atención lee su mensaje para entender cómo se "
        "siente con nuestro servicio, por ejemplo si le molesta un pedido retrasado. Así "
        "respondemos primero lo más urgente. Se trata de nuestro servicio, no de juzgarle.\n\n"
        "Qué se analiza: el texto de sus mensajes y respuestas a encuestas. El resultado se "
        "guarda con su ficha de cliente mientras conservemos sus mensajes; nunca se vende ni "
        "se usa para publicidad.\n\n"
        "Sus opciones: puede pedirnos en cualquier momento que dejemos de analizar sus "
        "mensajes (lo leído se borra), que no le enviemos ofertas, una copia de sus datos o "
        "que los borremos. Use el enlace al final de nuestros correos o simplemente "
        "respóndanos."
    ),
}
FOOTERS: dict[str, str] = {
    "en": "We read messages to understand how you feel about our service: {notice}. "
    "Your choices: {choices}",
    "de": "Wir lesen Nachrichten, um zu verstehen, wie Sie unseren Service erleben: {notice}. "
    "Ihre Wahl: {choices}",
    "fr": "Nous lisons les messages pour comprendre votre ressenti sur notre service : "
    "{notice}. Vos choix : {choices}",
    "es": "Leemos los mensajes para entender cómo vive nuestro servicio: {notice}. "
    "Sus opciones: {choices}",
}
LANGUAGES = tuple(NOTICES)
# The choices page, in the customer's language.
PAGE: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your choices", "intro": "Choose what we may do with your messages and data.",
        "no_analysis": "Stop analysing how I feel in my messages (and delete what was read)",
        "no_marketing": "Stop sending me offers", "copy": "Send me a copy of my data",
        "erasure": "Erase my data", "submit": "Confirm", "notice": "How we read messages",
        "expired": "This link has expired or is not valid. Reply to any of our emails and we "
        "will send you a new one, or simply tell us what you would like.",
        "done": "Done",
    },
    "de": {
        "title": "Ihre Wahl", "intro": "Wählen Sie, was wir mit Ihren Nachrichten und Daten tun.",
        "no_analysis": "Meine Nachrichten nicht mehr auswerten (und Ausgewertetes löschen)",
        "no_marketing": "Keine Angebote mehr senden", "copy": "Kopie meiner Daten senden",
        "erasure": "Meine Daten löschen", "submit": "Bestätigen",
        "notice": "Wie wir Nachrichten lesen",
        "expired": "Dieser Link ist abgelaufen oder ungültig. Antworten Sie auf eine unserer "
        "E-Mails, dann senden wir Ihnen einen neuen.",
        "done": "Erledigt",
    },
    "fr": {
        "title": "Vos choix", "intro": "Choisissez ce que nous pouvons faire de vos messages.",
        "no_analysis": "Ne plus analyser mes messages (et supprimer ce qui a été lu)",
        "no_marketing": "Ne plus m'envoyer d'offres", "copy": "M'envoyer une copie de mes données",
        "erasure": "Effacer mes données", "submit": "Confirmer",
        "notice": "Comment nous lisons les messages",
        "expired": "Ce lien a expiré ou n'est pas valide. Répondez à l'un de nos e-mails et "
        "nous vous en enverrons un nouveau.",
        "done": "C'est fait",
    },
    "es": {
        "title": "Sus opciones", "intro": "Elija qué podemos hacer con sus mensajes y datos.",
        "no_analysis": "Dejar de analizar mis mensajes (y borrar lo leído)",
        "no_marketing": "No enviarme ofertas", "copy": "Enviarme una copia de mis datos",
        "erasure": "Borrar mis datos", "submit": "Confirmar",
        "notice": "Cómo leemos los mensajes",
        "expired": "Este enlace ha caducado o no es válido. Responda a cualquiera de nuestros "
        "correos y le enviaremos uno nuevo.",
        "done": "Hecho",
    },
}  # fmt: skip


def language_of(locale: str | None) -> str:
    """The notice language for a locale ("de-AT" -> "de"), English when there is none."""
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return lang if lang in NOTICES else "en"


def notice(session: Session, language: str) -> tuple[str, str, datetime | None]:
    """(language, text, last edited) of the notice in a language (the admin's, else shipped)."""
    lang = language_of(language)
    row = session.get(PrivacyNotice, lang)
    return (lang, row.text, row.updated_at) if row else (lang, NOTICES[lang], None)


def set_notice(session: Session, *, language: str, text: str, actor: Any) -> None:
    """An admin's text for one language (audited); an empty text restores the shipped one."""
    lang = language_of(language)
    row = session.get(PrivacyNotice, lang)
    if not text.strip():
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(PrivacyNotice(language=lang, text=text.strip(), updated_by=actor.name))
    else:
        row.text, row.updated_at, row.updated_by = text.strip(), utcnow(), actor.name
    audit.record(
        session, actor=actor, action="notice.changed", entity="notice", entity_id=None,
        details={"language": lang, "reset": not text.strip()},
    )  # fmt: skip
    session.flush()


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt=_SALT)


def choices_token(customer_id: int, settings: Settings | None = None) -> str:
    """A signed token naming the customer (no secret data in it; it expires)."""
    return str(_signer(settings or get_settings()).dumps({"c": customer_id}))


def customer_of(token: str, settings: Settings | None = None) -> int | None:
    """The customer a choices token names, or None when it is forged or expired."""
    try:
        data = _signer(settings or get_settings()).loads(token, max_age=CHOICES_DAYS * 86400)
    except (SignatureExpired, BadSignature):
        return None
    cid = data.get("c") if isinstance(data, dict) else None
    return cid if isinstance(cid, int) else None


SHORT_FOOTERS: dict[str, str] = {  # texts: every character costs, so one link
    "en": "Why we read messages, your choices: {choices}",
    "de": "Warum wir Nachrichten lesen, Ihre Wahl: {choices}",
    "fr": "Pourquoi nous lisons les messages, vos choix : {choices}",
    "es": "Por qué leemos los mensajes, sus opciones: {choices}",
}


def footer(
    customer_id: int, locale: str | None, settings: Settings | None = None, *, short: bool = False
) -> str:
    """The short line that ends every message to a customer: why messages are read, the
    notice and the customer's choices (texts get the choices link only; the page links the
    notice)."""
    settings = settings or get_settings()
    base = settings.public_url.rstrip("/")
    lang = language_of(locale)
    choices = f"{base}/privacy/choices/{choices_token(customer_id, settings)}"
    if short:
        return SHORT_FOOTERS[lang].format(choices=choices)
    return FOOTERS[lang].format(notice=f"{base}/privacy?lang={lang}", choices=choices)


def with_footer(
    session: Session, body: str, *, customer_id: int, channel: str, settings: Settings
) -> str:
    """A message body as it goes out to the customer: the body, then the footer line."""
    customer = customer_service.get_customer(session, customer_id=customer_id)
    line = footer(customer_id, customer.locale, settings, short=channel != Channel.EMAIL)
    return (
        f"{body.rstrip()}\n\n--\n{line}" if channel == Channel.EMAIL else f"{body.rstrip()}\n{line}"
    )


def apply_choice(session: Session, *, customer_id: int, action: str) -> str:
    """Carry out a customer's own choice through the agents' code paths; returns what
    happened, in words for the page."""
    actor = audit.customer_actor(customer_id)
    customer = customer_service.get_customer(session, customer_id=customer_id)
    if action in WITHDRAWALS:
        column, consent, said = WITHDRAWALS[action]
        if getattr(customer, column):
            setattr(customer, column, False)
            audit.record(
                session, actor=actor, action="consent", entity="customer",
                entity_id=customer_id, details={consent: False, "via": "self_service"},
            )  # fmt: skip
            if action == "no_analysis":
                withdraw_analysis(session, customer_id=customer_id, actor=actor)
        return said
    if action in ("copy", "erasure"):
        open_self_service_request(session, customer_id=customer_id, kind=action)
        what = "a copy of your data" if action == "copy" else "to erase your data"
        return f"Thank you: we have your request for {what}; a person handles it and replies."
    raise ValueError(f"unknown choice {action!r}")


def open_self_service_request(session: Session, *, customer_id: int, kind: str) -> PrivacyRequest:
    """A request the customer made on the choices page: an admin task, marketing paused at
    once (one open request per kind; asking twice changes nothing)."""
    existing = session.scalar(
        select(PrivacyRequest).where(
            PrivacyRequest.customer_id == customer_id,
            PrivacyRequest.kind == kind,
            PrivacyRequest.status == RequestStatus.OPEN,
        )
    )
    if existing is not None:
        return existing
    now = utcnow()
    request = PrivacyRequest(
        customer_id=customer_id, requested_at=now, kind=kind, source="self_service",
        intent_confidence=1.0,
    )  # fmt: skip
    session.add(request)
    session.flush()
    requests.open_request_effects(
        session, request=request, at=now, actor=audit.customer_actor(customer_id)
    )
    return request
