"""The random draw of 双随机一公开, as a pure function of its recorded inputs.

A draw takes the seed, the population (licence identifiers with their holders' keys) and the
roster (inspector usernames with the holder keys each must not inspect), and returns the
licences drawn and two inspectors for each. Everything is ranked by HMAC-SHA256 under the
seed, so anyone holding the recorded seed and inputs gets the same result again
(``inspections.queries.recheck_draw``), and nobody can steer it without changing the seed,
which is drawn from the operating system's generator and recorded before the result exists.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    identifier: str  # the licence's identifier (证照标识)
    holder_key: str  # the holder's credit code, or the keyed hash of the ID number


@dataclass(frozen=True)
class RosterEntry:
    username: str
    conflicts: frozenset[str]  # holder keys this inspector must not inspect (回避)


@dataclass(frozen=True)
class Drawn:
    identifier: str
    inspectors: tuple[str, ...]  # fewer than asked when too few inspectors are free of conflicts


def _rank(seed: str, label: str) -> str:
    return hmac.new(bytes.fromhex(seed), label.encode(), hashlib.sha256).hexdigest()


def sample_size(population: int, percent: int) -> int:
    """How many licences a draw of ``percent`` % takes: rounded up, at least one of a non-empty population."""
    return 0 if population == 0 else min(population, max(1, math.ceil(population * percent / 100)))


def draw(
    seed: str, population: list[Candidate], roster: list[RosterEntry], *, percent: int, inspectors: int
) -> list[Drawn]:
    """The licences drawn (in rank order) and their inspectors; the same inputs give the same draw."""
    ranked = sorted(population, key=lambda c: (_rank(seed, "licence:" + c.identifier), c.identifier))
    result = []
    for candidate in ranked[: sample_size(len(population), percent)]:
        free = [entry for entry in roster if candidate.holder_key not in entry.conflicts]
        chosen = sorted(free, key=lambda e: (_rank(seed, f"inspector:{candidate.identifier}:{e.username}"), e.username))
        result.append(Drawn(candidate.identifier, tuple(e.username for e in chosen[:inspectors])))
    return result


def digest(value: object) -> str:
    """SHA-256 of a JSON form of the inputs, printed with the draw so a copy can be checked."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
