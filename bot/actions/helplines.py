"""The numbers the assistant advises, declared once: what each one is for and whether it is called or
texted. A reply that advises numbers also sends them as a structured payload (`{"calls": [...]}`), and the
chat page draws its call buttons from that payload only, never by reading numbers in the text (an
address « 15, rue de Laghouat » once became a « Appeler le 15 » button on a food result).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Helpline:
    number: str
    name: str
    kind: Literal["tel", "sms"] = "tel"


# Checked on the official pages named in bot/facts/ and docs (service-public.fr « numéros d'urgence »,
# 3114.fr, arretonslesviolences.gouv.fr, allo119.gouv.fr, 3237.fr).
HELPLINES: dict[str, Helpline] = {
    line.number: line
    for line in (
        Helpline("15", "SAMU"),
        Helpline("112", "Urgences"),
        Helpline("114", "Urgences par SMS", "sms"),
        Helpline("17", "Police secours"),
        Helpline("18", "Sapeurs-pompiers"),
        Helpline("3114", "Prévention du suicide"),
        Helpline("3919", "Violences Femmes Info"),
        Helpline("119", "Enfance en danger"),
        Helpline("115", "Samu social"),
        Helpline("3237", "Pharmacie de garde"),
        Helpline("0800081111", "Sexualités, contraception, IVG"),
        Helpline("0800235236", "Fil Santé Jeunes"),
        Helpline("0800231313", "Drogues Info Service"),
        Helpline("0800840800", "Sida Info Service"),  # sida-info-service.org (bot/facts/tpe.yml)
    )
}


def calls_payload(numbers: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The structured form of the numbers a reply advises, in the order they are advised. A number not
    declared here gets no button but never stops the answer (tests/test_actions.py checks every one is)."""
    calls = [HELPLINES[n] for n in dict.fromkeys(numbers) if n in HELPLINES]
    return {"calls": [{"number": c.number, "name": c.name, "kind": c.kind} for c in calls]}
