"""Generate a directory of N people and the OpenMetadata catalog that matches it, with a chosen fraction differing.

    python -m benchmarks.generate --people 100000 --changed 0.01 --out /tmp/bench

writes `directory.json` (the `directory-server --data` file), `sandbox.db` (an `openmetadata-sandbox serve --db`
database holding the system principals, the `user-sync` service account, ~50 domains and one user per person)
and `manifest.json` (the counts the benchmark checks its results against).

The data is deterministic for a given seed: names come from a seeded RNG (ids are UUIDs, as the server makes
them, so they differ between runs; nothing depends on them). Names mix ASCII, accented letters, precomposed and
combining forms (10% of directory names are spelled NFD, as some HR exports do, while OpenMetadata holds the NFC
spelling: the same name, so not a change). About 5% of
people have no domain. Of the changed people a third differ in displayName, a third in domain, a third in both.

The catalog is written straight into SQLite through the sandbox's own store and entity code (one transaction,
batched statements), because creating a million users over HTTP would take longer than the benchmark.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from om_sandbox import sdk, seed
from om_sandbox.app import open_context
from om_sandbox.domains import DomainKind
from om_sandbox.store import Doc, Filter
from om_sandbox.users import Users

FIRST_NAMES = (
    "Aaron", "Amélie", "Anaïs", "Björn", "Brian", "Chloé", "Ciarán", "Dávid", "Élodie", "Emma", "François",
    "Gökhan", "Günther", "Håkon", "Inês", "Ivan", "Jörg", "José", "Jürgen", "Karolína", "Łukasz", "Léa",
    "Maël", "Małgorzata", "María", "Mikołaj", "Noémie", "Nuño", "Olivia", "Øystein", "Pål", "Priya", "Raúl",
    "Renée", "Sébastien", "Siobhán", "Søren", "Stéphane", "Tomáš", "Zoë", "Ngọc", "Thảo", "Ана", "Дмитрий",
    "Ἀλέξανδρος", "Yusuf", "Ayşe", "Çağla", "Ömer", "Wei", "Li", "Mei", "Sven", "Ingrid", "Kirsten",
)  # fmt: skip
LAST_NAMES = (
    "Johnson", "Smith", "Müller", "Nuñez", "Dvořák", "Kowalski", "Wiśniewska", "Ødegård", "Ærøskøbing",
    "Ó Súilleabháin", "García", "Fernández", "López", "Çelik", "Yılmaz", "Öztürk", "Lefèvre", "Béranger",
    "Nguyễn", "Trần", "Lê", "Schröder", "Straße", "Åberg", "Hämäläinen", "Järvinen", "Novák", "Horváth",
    "Brontë", "D'Arcy", "O'Brien", "van der Berg", "de la Cruz", "Иванов", "Петрова", "Παπαδόπουλος",
    "Chen", "Wang", "Zhang", "Kim", "Park", "Patel", "Singh", "Okafor", "Adeyemi", "Mensah",
)  # fmt: skip
DOMAIN_NAMES = (
    "Finance", "Marketing", "Sales", "Engineering", "Data Platform", "Analytics", "Human Resources", "Legal",
    "Procurement", "Customer Success", "Support", "Security", "IT Operations", "Research", "Product",
    "Design", "Logistics", "Manufacturing", "Quality", "Compliance", "Risk", "Treasury", "Tax", "Audit",
    "Facilities", "Communications", "Partnerships", "Growth", "Pricing", "Supply Chain", "Retail",
    "E-commerce", "Mobile", "Payments", "Fraud", "Trust & Safety", "Machine Learning", "Platform",
    "Infrastructure", "Developer Experience", "Recherche et Développement", "Qualität", "Ventas", "Médical",
    "Sustainability", "Investor Relations", "Corporate Strategy", "Internal Audit", "Training", "Recruiting",
)  # fmt: skip
NO_DOMAIN_SHARE = 0.05


@dataclass
class Manifest:
    """What was generated; the benchmark compares its measured counts with these."""

    people: int
    changed: int
    changed_display_name: int
    changed_domain: int
    changed_both: int
    without_domain: int
    domains: int
    catalog_users: int  # non-bot users in OpenMetadata: one per person, plus admin and user-sync
    seed: int
    seconds: float


def ascii_slug(text: str) -> str:
    """`Łukasz Dvořák` -> `lukasz.dvorak`-style email parts: accents dropped, only [a-z0-9]."""
    # Letters that NFKD does not decompose into an ASCII base letter.
    lowered = text.lower().replace("ł", "l").replace("ø", "o").replace("æ", "ae").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()) or "x"


@dataclass(frozen=True, slots=True)
class Person:
    email: str
    display_name: str
    domain: str | None
    # What OpenMetadata holds before the sync.
    catalog_display_name: str
    catalog_domain: str | None


def people(count: int, changed: float, rng: random.Random) -> Iterator[Person]:
    """`count` people; `changed` (0..1) of them differ from the catalog, the kinds of change in equal thirds."""
    changed_at = set(rng.sample(range(count), round(count * changed)))
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        display_name = f"{first} {last}"
        if rng.random() < 0.1:
            # The same name spelled with combining marks (NFD), as some HR systems export it.
            display_name = unicodedata.normalize("NFD", display_name)
        email = f"{ascii_slug(first)}.{ascii_slug(last)}.{index}@example.com"
        domain = None if rng.random() < NO_DOMAIN_SHARE else rng.choice(DOMAIN_NAMES)
        # OpenMetadata holds the composed (NFC) spelling; the connector compares names NFC-normalised.
        catalog_name, catalog_domain = unicodedata.normalize("NFC", display_name), domain
        if index in changed_at:
            kind = index % 3
            if kind in (0, 2):
                catalog_name = first  # e.g. only the first name was ever filled in
            if kind in (1, 2):
                catalog_domain = DOMAIN_NAMES[(DOMAIN_NAMES.index(domain) + 1) % len(DOMAIN_NAMES)] if domain else None
                if domain is None:
                    domain = DOMAIN_NAMES[index % len(DOMAIN_NAMES)]  # a person newly given a domain
        yield Person(email, display_name, domain, catalog_name, catalog_domain)


def generate(out: Path, count: int, changed: float, rng_seed: int = 1) -> Manifest:
    """Write directory.json, sandbox.db and manifest.json under `out` (replacing earlier ones)."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for name in ("sandbox.db", "sandbox.db-wal", "sandbox.db-shm"):
        (out / name).unlink(missing_ok=True)
    sdk.install_light_import()
    ctx = open_context(str(out / "sandbox.db"))
    seed.seed_sync_account(ctx)
    domain_kind = DomainKind(ctx)
    domain_ids = {
        name: domain_kind.create({"name": name, "domainType": "Aggregate", "description": f"{name} domain"}, "admin")[
            "id"
        ]
        for name in DOMAIN_NAMES
    }
    counts = {"display": 0, "domain": 0, "both": 0, "none": 0}
    rng = random.Random(rng_seed)

    with (out / "directory.json").open("w", encoding="utf-8") as directory:

        def creates() -> Iterator[tuple[Doc, list[str]]]:
            directory.write("[")
            for index, person in enumerate(people(count, changed, rng)):
                row = {"email": person.email, "displayName": person.display_name, "domain": person.domain}
                directory.write(("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False))
                name_differs = unicodedata.normalize("NFC", person.display_name) != person.catalog_display_name
                domain_differs = person.domain != person.catalog_domain
                if name_differs or domain_differs:
                    counts["both" if name_differs and domain_differs else "display" if name_differs else "domain"] += 1
                counts["none"] += person.domain is None
                create = {
                    "name": person.email.split("@")[0],
                    "email": person.email,
                    "displayName": person.catalog_display_name,
                }
                yield create, [domain_ids[person.catalog_domain]] if person.catalog_domain else []
            directory.write("\n]\n")

        Users(ctx).import_users(creates(), "admin")
    catalog_users = ctx.store.count("user", Filter("AND deleted = 0 AND is_bot = 0"))
    ctx.store.close()
    manifest = Manifest(
        people=count,
        changed=counts["display"] + counts["domain"] + counts["both"],
        changed_display_name=counts["display"],
        changed_domain=counts["domain"],
        changed_both=counts["both"],
        without_domain=counts["none"],
        domains=len(domain_ids),
        catalog_users=catalog_users,
        seed=rng_seed,
        seconds=round(time.monotonic() - started, 2),
    )
    (out / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, required=True, help="number of people (up to 1,000,000 and more)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of people that differ (default 0.01)")
    parser.add_argument("--seed", type=int, default=1, help="RNG seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.people, args.changed, args.seed)
    print(json.dumps(asdict(manifest), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
