"""What to say beside the results: safety lines that come before them, and the national number to
call when nothing is found nearby. Keyed by the directory's category ids (data/taxonomy.yml)."""

from __future__ import annotations

import re
from dataclasses import dataclass

VIOLENCE = frozenset({"sexual_violence_support"})
# A bed tonight: the 115 first. A day centre or a night shelter (halte de nuit) is itself the answer.
SHELTER = frozenset({"accomodation_and_housing", "emergency_accommodation"})
ANIMALS = frozenset({"vet_care", "animal_assitance"})
SEXUAL_HEALTH = frozenset(
    {"sexual_health", "emergency_contraception", "abortion", "contraception", "gynecology", "sti_prevention_testing",
     "hiv_prevention", "sexual_health_vaccination", "sexual_health_education", "affective_life", "pregnancy_care"}
)
MENTAL_HEALTH = frozenset({"mental_health", "psychological_support", "psychiatry", "support_groups"})
ADDICTIONS = frozenset({"addictions", "addiction_care", "addiction_prevention_and_material"})
FOOD = frozenset({"food", "food_distribution", "food_packages", "social_grocery_stores", "solidarity_fridge", "food_voucher", "baby_parcel"})
HEALTH = frozenset({"health", "health_access", "health_coverage", "find_healthcare", "physical_health", "general_practitioner", "dental_care"})


@dataclass(frozen=True)
class Branch:
    categories: frozenset[str]
    before_results: str | None  # a safety line shown first, whatever is found
    when_nothing: str  # the national resource when nothing is found
    before_calls: tuple[str, ...] = ()  # the numbers the safety line advises (call buttons)
    nothing_calls: tuple[str, ...] = ()  # the numbers the national resource advises


EMERGENCY_CONTRACEPTION = frozenset({"emergency_contraception"})

BRANCHES: tuple[Branch, ...] = (
    # Time-critical: the delays and the rights come before the pharmacies (bot/facts/emergency_contraception.yml).
    Branch(
        EMERGENCY_CONTRACEPTION,
        "Pilule du lendemain : prenez-la le plus tôt possible, au plus tard 72 h (3 jours) après le rapport pour le "
        "lévonorgestrel, 5 jours pour l'ulipristal. Elle est gratuite et sans ordonnance dans toutes les pharmacies, "
        "même si vous êtes mineure. La nuit et le dimanche, la pharmacie de garde : 3237 (payant) ou 3237.fr.",
        "Toutes les pharmacies la délivrent, gratuite et sans ordonnance, même aux mineures ; la pharmacie de garde : "
        "3237 (payant) ou 3237.fr. Questions : 0 800 08 11 11 (gratuit, anonyme).",
        ("3237",),
        ("3237", "0800081111"),
    ),
    Branch(
        VIOLENCE,
        "En danger immédiat : appelez le 17 (ou le 112, ou SMS au 114). Violences Femmes Info : 3919, "
        "gratuit, anonyme, 24 h/24.",
        "Appelez le 3919 (Violences Femmes Info, gratuit, anonyme, 24 h/24) ; en danger immédiat, le 17.",
        # A search for support (not a crisis, which actions/crisis.py answers with the 17 first): the
        # listening line first, the 17 for immediate danger.
        ("3919", "17", "112", "114"),
        ("3919", "17"),
    ),
    Branch(
        SHELTER | {"overnight_stop"},  # a halte de nuit too: the 115 knows which has room
        "Pour une place d'hébergement ce soir, appelez le 115 (gratuit, 24 h/24).",
        "Appelez le 115 (gratuit, 24 h/24) : il oriente vers les places d'hébergement libres.",
        ("115",),
        ("115",),
    ),
    Branch(
        SEXUAL_HEALTH,
        None,
        "Appelez la ligne Sexualités, Contraception, IVG : 0 800 08 11 11 (gratuite, anonyme). "
        "La pilule d'urgence est gratuite et sans ordonnance dans toutes les pharmacies.",
        (),
        ("0800081111",),
    ),
    Branch(
        MENTAL_HEALTH,
        # Nothing before the list: a widow looking for a grief group or a carer for a support group did not
        # speak of suicide (evaluation set); words of suicide reach the safety net and the 3114 first.
        None,
        "Vous pouvez appeler le 3114 (prévention du suicide, 24 h/24) ou en parler à un médecin.",
        (),  # said in the text; a call button on every search for a psychologist would alarm (evaluation set)
        ("3114",),
    ),
    Branch(
        ADDICTIONS,
        None,
        "Drogues Info Service : 0 800 23 13 13 ; Alcool Info Service : 0 980 980 930 (gratuits, anonymes).",
        (),
        ("0800231313",),
    ),
    Branch(
        ANIMALS,
        None,
        "L'annuaire ne connaît pas de lieu fixe d'aide vétérinaire gratuite ni d'aide pour les animaux : la mairie "
        "(CCAS) et les associations de protection animale peuvent vous orienter.",
    ),
    Branch(FOOD, None, "Appelez le 115 ou la mairie de votre commune (CCAS) : ils connaissent les distributions proches.",
           nothing_calls=("115",)),
    # No « Appeler le 15 » button here: the person looks for care, not an ambulance (the text says when).
    Branch(HEALTH, None, "Pour un avis médical, appelez le 15 en urgence ; sinon la permanence de soins (PASS) de l'hôpital le plus proche."),
)

DEFAULT_WHEN_NOTHING = "La mairie de votre commune (CCAS) peut vous orienter ; pour un hébergement d'urgence, le 115."

OUTSIDE_REGION = (
    "Ce service couvre l'Île-de-France (Paris et les départements 77, 78, 91, 92, 93, 94, 95). "
    "Ailleurs en France : soliguide.fr recense les lieux d'aide, le 115 répond partout pour un hébergement "
    "d'urgence, et la ligne 0 800 08 11 11 pour la contraception et l'IVG."
)


def branches_for(categories: list[str]) -> list[Branch]:
    wanted = set(categories)
    return [branch for branch in BRANCHES if branch.categories & wanted]


# Violence by a partner or ex said while looking for something else (a lawyer, a doctor to note the blows,
# new papers, a bed): the listening line comes with the results, first unless a bed tonight (the 115) is.
PARTNER_VIOLENCE = re.compile(
    r"\b(violences? conjugales?|femmes? victimes?|victimes? de violences?|(mari|conjoint|ex|copain|compagnon) (est |etait )?violent|"
    r"(il|mon mari|mon conjoint|mon ex|mon copain) me (frappe|frappait|bat|battait|tape|tapait|cogne|cognait|menace|menacait|"
    r"harcele|harcelait|insulte|controle|surveille|force)|m a (frappee?|battue?|menacee?)|constater les coups|"
    r"emprise|controle tout|(a garde|garde|a pris|confisque|a confisque|cache) (mes|tous mes) (papiers|documents)|je subis|"
    r"sans qu il (le )?sache|quitter mon (mari|conjoint|copain|compagnon))\b"
)
PARTNER_VIOLENCE_LINE = "Violences Femmes Info : 3919 (gratuit, anonyme, 24 h/24) ; en danger immédiat, le 17."
PARTNER_VIOLENCE_CALLS = ("3919", "17")
BED_TONIGHT = SHELTER | {"overnight_stop"}


def with_violence_line(categories: list[str], violence: bool, items: list[str], extra: list[str]) -> list[str]:
    """The violence line's items beside a branch's: first, unless a bed tonight (the 115) comes first."""
    if not violence or set(categories) & VIOLENCE:
        return items
    extra = [x for x in extra if x not in items]
    return [*items, *extra] if set(categories) & BED_TONIGHT else [*extra, *items]


def safety_lines(categories: list[str], violence: bool = False) -> list[str]:
    lines = [b.before_results for b in branches_for(categories) if b.before_results]
    return with_violence_line(categories, violence, lines, [PARTNER_VIOLENCE_LINE])


def safety_calls(categories: list[str], violence: bool = False) -> list[str]:
    calls = [n for b in branches_for(categories) if b.before_results for n in b.before_calls]
    return with_violence_line(categories, violence, calls, list(PARTNER_VIOLENCE_CALLS))


def national_resource(categories: list[str]) -> str:
    found = branches_for(categories)
    return found[0].when_nothing if found else DEFAULT_WHEN_NOTHING


def national_calls(categories: list[str]) -> list[str]:
    found = branches_for(categories)
    return list(found[0].nothing_calls) if found else ["115"]
