"""Demo people: customer profiles (names, contact, locale, consent) and the support staff."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from heartline.enums import Role

# fmt: off
FIRST_NAMES = [
    "Maya", "Liam", "Aisha", "Noah", "Sofia", "Mateo", "Chloe", "Ethan", "Priya", "Lucas",
    "Hannah", "Omar", "Grace", "Leo", "Zara", "Daniel", "Emma", "Kenji", "Isla", "Ravi", "Amelia",
    "Jonas", "Freya", "Diego", "Nora", "Samuel", "Lina", "Arjun", "Olivia", "Felix", "Yuki",
    "Ben", "Clara", "Tomas", "Ines", "Hugo", "Mia", "Elias", "Leah", "Kwame", "Sara", "Ivan",
    "Julia", "Marco", "Ana", "Finn", "Layla", "Oscar", "Eva", "Nadia", "Theo", "Ruby", "Adam",
    "Alice", "Malik", "Elena", "Jack", "Fatima", "Henrik", "Lucy", "Pablo", "Chiara", "Sean",
    "Amara", "Rosa", "Tariq", "Ingrid", "Carlos", "Mei", "Patrick", "Zoe", "Andre", "Helena",
    "Kofi", "Anna", "Rahul", "Beatriz", "Lars", "Naomi", "Victor", "Leila", "Gabriel", "Astrid",
    "Dmitri", "Keira", "Paulo", "Esther", "Max", "Imani", "Hamza", "Charlotte", "Jin", "Aoife",
    "Rafael",
]
LAST_NAMES = [
    "Thompson", "Okafor", "Patel", "Nguyen", "Garcia", "Müller", "Rossi", "Kim", "Johansson",
    "Dubois", "Silva", "Kowalski", "Smith", "Hernandez", "Brown", "Tanaka", "Chen", "Murphy",
    "O'Brien", "Schmidt", "Lopez", "Williams", "Khan", "Novak", "Andersen", "Costa", "Fischer",
    "Martin", "Ahmed", "Rivera", "Wilson", "Sato", "Yilmaz", "Jensen", "Moreau", "Bianchi",
    "Singh", "Davies", "Walsh", "Park", "Haddad", "Nielsen", "Romero", "Clarke", "Becker",
    "Mensah", "Ortiz", "Lindqvist", "Evans", "Ferreira", "Ivanova", "Taylor", "Hughes", "Akhtar",
    "Byrne", "Weber", "Santos", "Morgan", "Lambert", "Kaur", "Reyes", "Hall", "Vogel", "Adeyemi",
    "Mori", "Quinn",
]
# fmt: on
# (locale, IANA zone, region) triples; weighted towards English-speaking markets.
LOCALES = [
    ("en-US", "America/New_York", "US"),
    ("en-US", "America/Chicago", "US"),
    ("en-US", "America/Los_Angeles", "US"),
    ("en-US", "America/Denver", "US"),
    ("en-GB", "Europe/London", "GB"),
    ("en-GB", "Europe/London", "GB"),
    ("en-IE", "Europe/Dublin", "IE"),
    ("en-CA", "America/Toronto", "CA"),
    ("en-AU", "Australia/Sydney", "AU"),
    ("en-NZ", "Pacific/Auckland", "NZ"),
    ("de-DE", "Europe/Berlin", "DE"),
    ("fr-FR", "Europe/Paris", "FR"),
    ("es-ES", "Europe/Madrid", "ES"),
    ("nl-NL", "Europe/Amsterdam", "NL"),
    ("sv-SE", "Europe/Stockholm", "SE"),
    ("en-IN", "Asia/Kolkata", "IN"),
    ("en-SG", "Asia/Singapore", "SG"),
    ("pt-BR", "America/Sao_Paulo", "BR"),
]
# Reserved example domains (RFC 2606): nothing the demo writes can reach a real inbox.
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
INTERESTS = {
    "outdoor": ["hiking", "camping", "trail running", "climbing"],
    "kitchen": ["cooking", "coffee", "baking"],
    "electronics": ["gadgets", "photography", "audio"],
    "books": ["fiction", "history", "cookbooks"],
    "apparel": ["fashion", "running apparel", "outerwear"],
    "beauty": ["skincare", "fragrance", "wellness"],
}
CADENCES = [("weekly", 0.08), ("monthly", 0.34), ("quarterly", 0.40), ("one_off", 0.18)]
CADENCE_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 91, "one_off": 0}
CHANNEL_WEIGHTS = [
    ("email", 0.34),
    ("chat", 0.24),
    ("whatsapp", 0.14),
    ("sms", 0.08),
    ("phone", 0.12),
    ("social", 0.08),
]

# The demo's sign-in accounts. Agents and the manager share one printed password (a demo, not
# production); the admin gets a random one (demo/service.py).
DEMO_PASSWORD = "demo-kettle-harbour"
ADMIN_EMAIL = "admin@heartline.local"
TEAMS = ["Frontline", "Senior care"]


@dataclass(frozen=True)
class StaffMember:
    """A demo user: sign-in email, display name, role and team."""

    email: str
    name: str
    role: str
    team: str | None


STAFF = [
    StaffMember(ADMIN_EMAIL, "Alex Admin", "admin", None),
    StaffMember("manager@heartline.local", "Morgan Reyes", "manager", "Senior care"),
    StaffMember("sam@heartline.local", "Sam Carter", "agent", "Frontline"),
    StaffMember("jordan@heartline.local", "Jordan Lee", "agent", "Frontline"),
    StaffMember("priya@heartline.local", "Priya Shah", "agent", "Frontline"),
    StaffMember("tom@heartline.local", "Tom Becker", "agent", "Frontline"),
    StaffMember("elena@heartline.local", "Elena Costa", "agent", "Senior care"),
    StaffMember("kwame@heartline.local", "Kwame Mensah", "agent", "Senior care"),
]
AGENTS = [s for s in STAFF if s.role == Role.AGENT]


def weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    """Pick a key from (key, weight) pairs."""
    keys = [k for k, _ in pairs]
    return rng.choices(keys, weights=[w for _, w in pairs], k=1)[0]


def external_id(index: int) -> str:
    """The integrator id of demo customer `index` (stable across builds)."""
    return f"demo-c{index:06d}"


@dataclass
class Profile:
    """Who a demo customer is; the scenario decides what happens to them."""

    index: int
    first: str
    last: str
    email: str
    locale: str
    timezone: str
    region: str
    cadence: str
    interests: list[str]
    categories: list[str]
    channel: str
    vip: bool
    consent_emotion: bool
    consent_marketing: bool
    birthday: date | None
    phone: str | None
    # How forgiving this person is: shifts their starting goodwill.
    temperament: float

    @property
    def name(self) -> str:
        """Full name."""
        return f"{self.first} {self.last}"


def make_profile(rng: random.Random, index: int, used_emails: set[str]) -> Profile:
    """A random but plausible customer; emails are unique within one build."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    locale, zone, region = rng.choice(LOCALES)
    local = f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
    domain = rng.choice(EMAIL_DOMAINS)
    email = f"{local}@{domain}"
    if email in used_emails:
        email = f"{local}{index}@{domain}"
    used_emails.add(email)
    categories = rng.sample(sorted(INTERESTS), k=rng.choice([1, 2, 2, 3]))
    interests = [rng.choice(INTERESTS[c]) for c in categories]
    birthday = None
    if rng.random() < 0.45:
        birthday = date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
    return Profile(
        index=index,
        first=first,
        last=last,
        email=email,
        locale=locale,
        timezone=zone,
        region=region,
        cadence=weighted(rng, CADENCES),
        interests=interests,
        categories=categories,
        channel=weighted(rng, CHANNEL_WEIGHTS),
        vip=rng.random() < 0.06,
        # A few opt out of emotion analysis; marketing is opt-in and most never tick it.
        consent_emotion=rng.random() >= 0.04,
        consent_marketing=rng.random() < 0.42,
        birthday=birthday,
        phone=f"+1-555-01{rng.randint(0, 99):02d}" if rng.random() < 0.6 else None,
        temperament=rng.gauss(0.0, 0.35),
    )


def customer_payload(
    p: Profile,
    *,
    customer_since: datetime,
    attributes: dict[str, object],
    tags: list[str] | None = None,
) -> dict[str, object]:
    """The CustomerIn-shaped dict for a profile."""
    channels = {"sms": p.phone is not None, "whatsapp": p.phone is not None, "email": True}
    return {
        "external_id": external_id(p.index),
        "name": p.name,
        "email": p.email,
        "phone": p.phone,
        "locale": p.locale,
        "timezone": p.timezone,
        "region": p.region,
        "birthday": p.birthday,
        "interests": p.interests,
        "tags": (tags or []) + (["vip"] if p.vip else []),
        "preferred_channel": p.channel,
        "vip": p.vip,
        "consent": {
            "emotion_analysis": p.consent_emotion,
            "marketing": p.consent_marketing,
            "channels": channels,
        },
        "attributes": attributes,
        "customer_since": customer_since,
    }


def shift_years(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 Feb for a 29 Feb start)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def days_ago(now: datetime, days: float) -> datetime:
    """`now` minus a number of days."""
    return now - timedelta(days=days)
