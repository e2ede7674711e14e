"""French labels of the model's publics, one wording for every place people read them (the web page,
the data·inclusion export)."""

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
