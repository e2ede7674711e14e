"""French labels of the model's publics, one wording for every place people read them (the web page,
the data·inclusion export)."""

from directory_api.models import Publics

GENDER_LABELS = {"women": "femmes", "men": "hommes"}
ADMINISTRATIVE_LABELS = {
    "regular": "personnes en situation régulière",
    "asylum": "demandeurs d'asile",
    "refugee": "réfugiés",
    "undocumented": "personnes sans papiers",
}
FAMILY_LABELS = {"isolated": "personnes seules", "family": "familles", "couple": "couples", "pregnant": "femmes enceintes"}
GROUP_LABELS = {
    "addiction": "personnes ayant une addiction",
    "handicap": "personnes en situation de handicap",
    "hiv": "personnes vivant avec le VIH",
    "lgbt": "personnes LGBT+",
    "mental_health": "personnes ayant des troubles psychiques",
    "prison": "personnes sortant de prison",
    "prostitution": "personnes en situation de prostitution",
    "student": "étudiants",
    "violence": "victimes de violences",
    "exiles": "personnes exilées",
    "youth": "jeunes",
    "elderly": "personnes âgées",
    "homeless": "personnes sans domicile",
}


def listed_publics(publics: Publics) -> list[str]:
    """The publics a service names, in French (situations, families, groups)."""
    return [
        *(ADMINISTRATIVE_LABELS.get(str(a), str(a)) for a in publics.administrative),
        *(FAMILY_LABELS.get(str(f), str(f)) for f in publics.family),
        *(GROUP_LABELS.get(str(g), str(g)) for g in publics.groups),
    ]
