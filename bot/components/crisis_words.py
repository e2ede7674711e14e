"""Crisis phrases read both by the safety net (which crisis) and by the crisis answer (which number first).
Plain patterns on folded text, without Rasa, so that the action server can import them."""

from __future__ import annotations

# Someone leaning or climbing over a balcony, a railing, a window or a roof.
LEANING_OUT = (r"\b(penche\w*|grimpe\w*|escalade\w*|enjambe\w*)\b.{0,40}\b(balcon|rambarde|rebord|fenetre|toit|garde corps)\b|"
               r"\b(balcon|rambarde|rebord|fenetre|toit|garde corps)\b.{0,40}\b(penche\w*|grimpe\w*|escalade\w*|enjambe\w*)")
# A fire on a person, a home or a tent (not « un film sur un incendie »).
FIRE = (r"\b(mis|mettre|met|mettent) le feu\b|\ben feu\b|\b(il y a|ya|y a) (un incendie|le feu|de la fumee)\b|\bau feu\b|"
        r"\b(le feu|l incendie|un incendie) (a pris|prend|s est declare|se propage)\b")
# Someone who has not opened their door for days.
DOOR_UNOPENED = r"\b(n ouvre|ouvre) (plus|pas)( sa| la| leur)? porte\b.{0,40}\bdepuis\b"
# Words that set a symptom in the context where it is an emergency: after an abortion or a birth.
AFTER_IVG_OR_BIRTH = (
    r"\b(l|d)?(ivg|avort\w*|accouch\w*)|\b(pilules? abortives?|cachets? (pour|d) (avort|ivg)|misoprostol|mifepristone|cytotec|"
    r"naissance|post ?partum|cesarienne|(j ai eu|jai eu|g eu) (mon|ma|le|un) bebe|depuis (mon|le) bebe|"
    r"enceinte|grossesse|fausse couche)"
)
