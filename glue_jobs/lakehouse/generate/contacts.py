"""HubSpot contacts: who they are, how they change, and the CRM v3 list-API pages that carry them.

Contact ``i`` (0-based, in creation order) has id ``1001 + 50 * i``. The initial load creates
``volumes.contacts`` contacts over the two years before the base date; each later day creates a
fixed number more and updates a fixed number of earlier ones (sampled per day from a seeded rng),
so a contact's state on any day is a replay of its own updates up to that day.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import NamedTuple

from lakehouse.generate.common import DAY_MS, Plan, cumulative, iso_ms, pick, slot_ms

PAGE_SIZE = 100
CONTACTS_URL = "https://api.hubapi.com/crm/v3/objects/contacts"
HISTORY_MS = 730 * DAY_MS  # initial contacts were created over the two years before the base

STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
          "customer", "evangelist", "other"]  # fmt: skip
_FUNNEL = STAGES[:-1]  # the forward path; "other" sits outside it
_STAGE_CUM = cumulative([20, 30, 12, 8, 6, 18, 2, 4])

# country: (weight, calling code)
COUNTRIES: dict[str, tuple[float, str]] = {
    "US": (30, "1"), "GB": (9, "44"), "DE": (8, "49"), "FR": (6, "33"), "CA": (5, "1"),
    "AU": (4, "61"), "NL": (3, "31"), "ES": (3, "34"), "IT": (3, "39"), "JP": (3, "81"),
    "IN": (3, "91"), "SE": (2, "46"), "CH": (2, "41"), "PL": (2, "48"), "BR": (2, "55"),
    "MX": (2, "52"), "IE": (1.5, "353"), "BE": (1.5, "32"), "AT": (1.5, "43"), "DK": (1.5, "45"),
    "NO": (1, "47"), "FI": (1, "358"), "PT": (1, "351"), "SG": (1, "65"), "NZ": (1, "64"),
}  # fmt: skip
_COUNTRY_CODES = list(COUNTRIES)
_COUNTRY_CUM = cumulative([w for w, _ in COUNTRIES.values()])

FIRST_NAMES = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan", "Hannah",
    "Mateo", "Chloé", "José", "Zoë", "Søren", "Björn", "Łukasz", "François", "Jürgen", "Mónica",
    "Renée", "Siobhán", "Aoife", "Niamh", "Ingrid", "Lars", "Yuki", "Hiroshi", "Priya", "Arjun",
    "Wei", "Fatima", "Omar", "Anna", "Maria", "David", "Sarah", "Michael", "Laura", "Thomas",
    "Julia", "Daniel", "Elena", "Marco", "Giulia", "Pierre", "Camille", "Sven", "Astrid",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Groß", "García", "Núñez",
    "López", "Pérez", "González", "Fernández", "Martin", "Bernard", "Dubois", "Lefèvre", "Rossi",
    "Russo", "Bianchi", "Kowalski", "Nowak", "Wiśniewski", "Andersson", "Johansson", "Björklund",
    "Nielsen", "Jensen", "Østergaard", "Tanaka", "Suzuki", "Sato", "Patel", "Singh", "Kim",
    "Nguyen", "Van der Berg", "De Vries", "Murphy", "Kelly", "Šimić",
]  # fmt: skip
_COMPANY_NAMES = [
    "Acme", "Nordwind", "Blue Harbor", "Helios", "Brightline", "Kestrel", "Alpenglühen", "Soleil",
    "Vireo", "Fjordline", "Greenfield", "Ironbridge", "Sakura", "Maple Ridge", "Southern Cross",
    "Tiber", "Rhône Valley", "Polaris", "Bergmann", "Lindqvist",
]  # fmt: skip
_COMPANY_SUFFIXES = ["GmbH", "Ltd", "Inc.", "S.A.", "B.V.", "AB", "S.r.l.", "LLC", "Pty Ltd",
                     "AG", "Group", "Labs", "Consulting", "Logistics"]  # fmt: skip
_FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me",
              "gmx.de", "web.de", "orange.fr", "libero.it"]  # fmt: skip
_FREE_MAIL_CUM = cumulative([40, 15, 10, 8, 8, 3, 5, 4, 4, 3])
_ASCII_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae"})


class Contact(NamedTuple):
    """A contact's state as the CRM reports it at some moment."""

    index: int
    id: int
    email: str
    firstname: str
    lastname: str
    phone: str | None
    company: str | None
    country: str
    lifecyclestage: str
    created_ms: int
    modified_ms: int


def contact_id(index: int) -> int:
    return 1001 + 50 * index


def email_local(text: str) -> str:
    """A name folded to the ASCII letters an email address would use."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return "".join(c for c in folded.lower() if "a" <= c <= "z")


def make_email(rng, first: str, last: str, company: str | None, number: int) -> str:
    """A realistic address; the trailing ``number`` (unique per contact) makes it unique."""
    f, l = email_local(first), email_local(last)  # noqa: E741
    local = rng.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}", f"{l}.{f}", f"{f}{l}"]) + str(number)
    if company and rng.random() < 0.5:
        domain = email_local(company.rsplit(" ", 1)[0]) + ".com"
    else:
        domain = pick(_FREE_MAIL, _FREE_MAIL_CUM, rng.random())
    email = f"{local}@{domain}"
    style = rng.random()
    if style < 0.05:  # typed with capitals
        email = f"{local.title()}@{domain.title() if style < 0.015 else domain}"
    elif style < 0.07:  # pasted with stray spaces
        email = rng.choice([f" {email}", f"{email} ", f"  {email} "])
    return email


def make_phone(rng, country: str) -> str:
    n = int(rng.random() * 10**12)
    area, exchange, line = 20 + n % 980, 100 + n // 1000 % 900, 1000 + n // 10**6 % 9000
    return f"+{COUNTRIES[country][1]} {area} {exchange} {line}"


def make_company(rng) -> str:
    return f"{rng.choice(_COMPANY_NAMES)} {rng.choice(_COMPANY_SUFFIXES)}"


class ContactBook:
    """Every contact of every day, computed from the plan alone."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._created: dict[int, Contact] = {}
        self._updated_on: list[list[int]] = [[]]  # day -> indices updated that day

    # -- who exists when -------------------------------------------------------------------
    def delivered_before(self, day: int) -> int:
        """How many contacts batches before ``day`` delivered (indices ``0 .. n-1``)."""
        v = self.plan.volumes
        return 0 if day == 0 else v.contacts + (day - 1) * v.new_contacts_per_day

    def new_on(self, day: int) -> range:
        """Indices of the contacts created in batch ``day``."""
        return range(self.delivered_before(day), self.delivered_before(day + 1))

    def created_before(self, ms: int) -> int:
        """A count ``n >= 1`` of initial contacts all created before ``ms`` (>= the history start)."""
        start = self.plan.cutoff_ms(0) - HISTORY_MS
        width = HISTORY_MS / self.plan.volumes.contacts
        return max(1, min(self.plan.volumes.contacts, int((ms - start) // width)))

    def updated_on(self, day: int) -> list[int]:
        """Indices of the earlier contacts updated in batch ``day`` (none on day 0)."""
        while len(self._updated_on) <= day:
            d = len(self._updated_on)
            population = self.delivered_before(d)
            count = min(self.plan.volumes.updated_contacts_per_day, population)
            chosen = self.plan.rng("contact-updates", d).sample(range(population), count)
            self._updated_on.append(sorted(chosen))
        return self._updated_on[day]

    # -- what they look like -----------------------------------------------------------------
    def created(self, index: int) -> Contact:
        """Contact ``index`` as it was delivered in the batch that created it."""
        if index not in self._created:
            self._created[index] = self._create(index)
        return self._created[index]

    def _create(self, index: int) -> Contact:
        plan, v = self.plan, self.plan.volumes
        rng = plan.rng("contact", index)
        if index < v.contacts:
            day, count, slot = 0, v.contacts, index
            start = plan.cutoff_ms(0) - HISTORY_MS
        else:
            day, slot = divmod(index - v.contacts, v.new_contacts_per_day)
            day, count, start = day + 1, v.new_contacts_per_day, plan.activity_start_ms(day + 1)
        fraction = rng.random() if index else 0.0  # contact 0 opens the history
        created = slot_ms(start, plan.cutoff_ms(day), count, slot, fraction)
        modified = created + int(rng.random() ** 3 * (plan.cutoff_ms(day) - created))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = pick(_COUNTRY_CODES, _COUNTRY_CUM, rng.random())
        phone = make_phone(rng, country) if rng.random() >= 0.10 else None
        company = make_company(rng) if rng.random() >= 0.20 else None
        email = make_email(rng, first, last, company, index + 1)
        stage = pick(STAGES, _STAGE_CUM, rng.random())
        return Contact(
            index=index,
            id=contact_id(index),
            email=email,
            firstname=first,
            lastname=last,
            phone=phone,
            company=company,
            country=country,
            lifecyclestage=stage,
            created_ms=created,
            modified_ms=modified,
        )

    def updated(self, contact: Contact, day: int) -> Contact:
        """``contact`` after its update of batch ``day`` (a moment of the day before)."""
        rng = self.plan.rng("contact", contact.index, "update", day)
        modified = self.plan.activity_start_ms(day) + int(rng.random() * DAY_MS)
        stage, company, phone = contact.lifecyclestage, contact.company, contact.phone
        can_advance = stage in _FUNNEL[:-1]
        if can_advance:
            step = 1 if rng.random() < 0.8 else 2
            stage = _FUNNEL[min(_FUNNEL.index(stage) + step, len(_FUNNEL) - 1)]
        change = rng.random()
        if change < 0.2 or (not can_advance and change < 0.6):
            company = make_company(rng)
        elif change < 0.3 or not can_advance:
            phone = make_phone(rng, contact.country)
        return contact._replace(
            lifecyclestage=stage, company=company, phone=phone, modified_ms=modified
        )

    def state(self, index: int, day: int, updates: dict[int, list[int]]) -> Contact:
        """Contact ``index`` after every update up to batch ``day`` (``updates``: index -> days)."""
        contact = self.created(index)
        for d in updates.get(index, []):
            if d <= day:
                contact = self.updated(contact, d)
        return contact

    def update_days(self, day: int) -> dict[int, list[int]]:
        """index -> the batches (ascending, up to ``day``) that updated it."""
        days: dict[int, list[int]] = {}
        for d in range(1, day + 1):
            for i in self.updated_on(d):
                days.setdefault(i, []).append(d)
        return days


def hubspot_record(c: Contact) -> dict:
    """A contact as the CRM v3 API returns it: properties as strings or null."""
    created, modified = iso_ms(c.created_ms), iso_ms(c.modified_ms)
    return {
        "id": str(c.id),
        "properties": {
            "email": c.email,
            "firstname": c.firstname,
            "lastname": c.lastname,
            "phone": c.phone,
            "company": c.company,
            "country": c.country,
            "lifecyclestage": c.lifecyclestage,
            "createdate": created,
            "lastmodifieddate": modified,
            "hs_object_id": str(c.id),
        },
        "createdAt": created,
        "updatedAt": modified,
        "archived": False,
    }


def contact_batch(book: ContactBook, day: int) -> list[dict]:
    """The API records of batch ``day``: new contacts and updated earlier ones, by id."""
    updates = book.update_days(day)
    indices = sorted([*book.new_on(day), *book.updated_on(day)])
    return [hubspot_record(book.state(i, day, updates)) for i in indices]


def write_pages(folder: Path, records: list[dict]) -> dict[str, list[dict]]:
    """Write ``page-NNNNN.json`` per ``PAGE_SIZE`` records; returns file name -> records."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    pages = [records[i : i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
    for number, results in enumerate(pages, start=1):
        next_page = pages[number] if number < len(pages) else None
        files[write_page(folder, number, results, next_page)] = results
    return files


def write_page(folder: Path, number: int, results: list[dict], next_page: list[dict] | None) -> str:
    """Write page ``number`` (with the cursor to ``next_page``, if any); returns its file name."""
    page: dict = {"results": results}
    if next_page is not None:  # the cursor: the id the next page starts from
        after = str(next_page[0]["id"])
        page["paging"] = {"next": {"after": after, "link": f"{CONTACTS_URL}?after={after}"}}
    name = page_name(number)
    (folder / name).write_text(json.dumps(page, ensure_ascii=False) + "\n", encoding="utf-8")
    return name


def page_name(number: int) -> str:
    return f"page-{number:05d}.json"
