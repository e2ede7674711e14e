"""Search the directory for the need and place in the slots, widen the radius when nothing is near,
and answer with up to 3 services (text + JSON payload for the web page)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import SearchContext, fold, said_in_conversation, search_context
from actions.directory_client import (
    DirectoryClient,
    DirectoryUnavailableError,
    RemoteLine,
    SearchAnswer,
    StructureItem,
    StructureQuery,
)
from actions.formatting import radius_label, structure_payload, structure_text
from actions.helplines import HELPLINES, calls_payload
from actions.orientation import PARTNER_VIOLENCE, SHELTER, national_calls, national_resource, safety_calls, safety_lines
from actions.situations import ANIMAL_NOTE, CONTEXT_SLOTS

PAGE_SIZE = 3
NEARER = re.compile(r"plus (pres|proche)|trop loin")
NONE_NEARER = "Les lieux sont classés du plus proche au plus loin : je n'en connais pas de plus proche."
# Searches where a person with an animal needs to know whether it is accepted.
ANIMAL_RELEVANT = SHELTER | {"overnight_stop", "day_hosting", "rest_area", "welcome"}
MAX_SHOWN = 60  # beyond this, the web map is the better tool
RADIUS_STEPS_KM = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
DEPARTMENT_RADIUS_KM = 100.0  # with the département filter: the whole département, nearest first
DEFAULT_RADIUS_KM = 2.0

UNAVAILABLE = (
    "Désolé, l'annuaire ne répond pas pour le moment. Réessayez dans une minute. "
    "En urgence : 115 pour un hébergement, 15 pour une urgence médicale, 3919 pour les violences."
)


def radius_steps(start: float | None, department: str | None) -> list[tuple[float, str | None]]:
    """(radius, département) attempts, from the place's own radius up to its whole département."""
    first = start or DEFAULT_RADIUS_KM
    steps: list[tuple[float, str | None]] = [(first, None)]
    steps += [(r, None) for r in RADIUS_STEPS_KM if r > first]
    if department:
        steps.append((DEPARTMENT_RADIUS_KM, department))
    return steps


class SearchPlan:
    """The slots of one search, turned into `/structures` queries."""

    def __init__(self, tracker: Tracker, context: SearchContext | None = None) -> None:
        self.categories: list[str] = list(tracker.get_slot("categories") or [])
        self.need_label: str = tracker.get_slot("need_label") or "votre besoin"
        self.place_label: str = tracker.get_slot("place_label") or "vous"
        self.lat: float | None = tracker.get_slot("lat")
        self.lon: float | None = tracker.get_slot("lon")
        self.radius: float | None = tracker.get_slot("radius_km")
        self.department: str | None = tracker.get_slot("department")
        self.context: SearchContext = context if context is not None else search_context(tracker)
        if set(self.categories) <= SHELTER:
            # A bed tonight goes through the 115, whatever a record's hours: no time filter.
            self.context = self.context.without_time()
        self.with_animal: bool = bool(tracker.get_slot("with_animal"))
        self.violence: bool = said_in_conversation(tracker, PARTNER_VIOLENCE)

    @property
    def ready(self) -> bool:
        return bool(self.categories) and self.lat is not None and self.lon is not None

    def query(self, radius: float, department: str | None, context: SearchContext, size: int = PAGE_SIZE) -> StructureQuery:
        return StructureQuery(
            category=self.categories, lat=self.lat, lon=self.lon, radius_km=radius, department=department,
            open_now=context.open_now, open_at=context.open_at, free=context.free, anonymous=context.anonymous,
            age=context.age, gender=context.gender, size=size,
        )

    def web_link(self, base_url: str) -> str:
        params: list[tuple[str, Any]] = [("category", c) for c in self.categories]
        params += [("lat", round(self.lat, 5)), ("lon", round(self.lon, 5))] if self.lat is not None else []
        return base_url + "?" + urlencode(params)

    def payload(self, answer: SearchAnswer, items: list[StructureItem], radius: float, context: SearchContext,
                calls: list[str]) -> dict[str, Any]:
        return {
            "search": {
                "categories": self.categories,
                "place_label": self.place_label,
                "lat": self.lat,
                "lon": self.lon,
                "radius_km": radius,
                "filters": context.applied,
            },
            "total": answer.total,
            "structures": [structure_payload(item) for item in items],
            **calls_payload(calls),
        }


async def find_with_widening(
    client: DirectoryClient, plan: SearchPlan
) -> tuple[SearchAnswer | None, float, str | None, SearchContext, list[RemoteLine]]:
    """First attempt with results: the time filter is dropped only after every radius failed with it.
    The remote lines for the need come with it, found or not."""
    contexts = [plan.context, plan.context.without_time()] if plan.context.time_filtered else [plan.context]
    steps = radius_steps(plan.radius, plan.department)
    remote: list[RemoteLine] = []
    for context in contexts:
        for radius, department in steps:
            answer = await client.search(plan.query(radius, department, context))
            remote = answer.remote
            if answer.total:
                return answer, radius, department, context, remote
    return None, steps[-1][0], steps[-1][1], contexts[-1], remote


def remote_sentences(remote: list[RemoteLine], said: str, calls: list[str], limit: int = 2) -> tuple[list[str], list[str]]:
    """The lines the directory gives for the need that were not already said (by number), at most
    `limit`, and their numbers for call buttons."""
    # The numbers said, as written (« 0 800 23 13 13 », « 115 »): each run of digits and spaces, joined.
    numbers_said = {run.replace(" ", "") for run in re.findall(r"\d[\d ]*\d|\d", said)}
    lines, numbers = [], []
    for line in remote:
        if line.phone and (line.phone in numbers_said or line.phone in calls):
            continue
        if line.phone:
            when = line.hours_text or line.opening.label
            lines.append(f"À distance : {line.name}, {line.phone_label or line.phone} ({when}).")
            if line.phone in HELPLINES:  # a call button only for the numbers declared there
                numbers.append(line.phone)
        elif line.website:
            lines.append(f"En ligne : {line.name}, {line.website}")
        else:  # neither number nor site (consultations held in day centres): what it is and how to reach it
            lines.append(f"À savoir : {line.name}. {line.description}")
        if len(lines) == limit:
            break
    return lines, numbers


async def find_nearby_help(client: DirectoryClient, plan: SearchPlan, context: SearchContext) -> SearchAnswer | None:
    """Nothing for the need, even widened: the places near the person that can help or refer instead
    (the CCAS for a domiciliation), or None when the directory declares none for this need."""
    radius, department = radius_steps(plan.radius, plan.department)[0]
    query = plan.query(radius, department, context).copy(update={"nearby_help": True})
    answer = await client.search(query)
    return answer if answer.query.nearby_help and answer.items else None


def scope_text(radius: float, department: str | None) -> str:
    if department:
        return f"dans le département ({department})"
    return f"à moins de {radius_label(radius)}"


def send_results(
    dispatcher: CollectingDispatcher, plan: SearchPlan, answer: SearchAnswer, items: list[StructureItem], radius: float,
    department: str | None, context: SearchContext, shown_before: int, widened: bool, web_url: str | None,
) -> None:
    filters = f" ({', '.join(context.descriptions)})" if context.descriptions else ""
    lines: list[str] = []
    if shown_before == 0:
        lines += safety_lines(plan.categories, plan.violence)
        if plan.with_animal and set(plan.categories) & ANIMAL_RELEVANT:
            lines.append(ANIMAL_NOTE)
        # The directory keeps the places whose record does not say (after the others): say when no
        # place near confirms the filters, rather than let a list read as « open » or « free ».
        if plan.context.time_filtered and (not context.time_filtered or answer.none_confirmed):
            lines.append(
                "Je ne connais aucun lieu ouvert à ce moment-là près de vous : voici les plus proches, "
                "vérifiez leurs horaires avant d'y aller."
            )
        elif answer.none_confirmed and context.descriptions:
            lines.append(
                f"Aucun lieu proche ne confirme être {', '.join(context.descriptions)} : voici les plus proches, "
                "vérifiez avant d'y aller."
            )
    remote_calls: list[str] = []
    if shown_before == 0 and answer.remote_first:
        # None of the places is known open now (at night, say): one line that answers now, if not said.
        open_now = [line for line in answer.remote if line.opening.status == "open"]
        said, remote_calls = remote_sentences(open_now, "\n".join(lines), safety_calls(plan.categories, plan.violence), limit=1)
        lines += said
    if widened:
        lines.append(f"Rien de plus proche : j'ai élargi la recherche {scope_text(radius, department)}.")
    if shown_before == 0:
        count = len(items)
        lines.append(f"Voici {'le lieu' if count == 1 else f'{count} lieux'} pour « {plan.need_label} » près de {plan.place_label}{filters} :")
        if context.descriptions:
            lines.append(
                f"D'abord les lieux {', '.join(context.descriptions)}, puis ceux dont la fiche ne le dit pas "
                "(« À vérifier ») ; dites « tous les lieux » pour enlever ce filtre."
            )
    else:
        lines.append(f"Autres lieux pour « {plan.need_label} » près de {plan.place_label} :")
    lines += [structure_text(shown_before + i + 1, item) for i, item in enumerate(items)]
    remaining = answer.total - shown_before - len(items)
    buttons = []
    if remaining > 0:
        lines.append(f"Il y en a {remaining} autre{'s' if remaining > 1 else ''} {scope_text(radius, department)} : écrivez « plus de résultats ».")
        buttons.append({"title": "Plus de résultats", "payload": "/more_results"})
    if web_url:
        lines.append(f"Tous les résultats sur la carte : {plan.web_link(web_url)}")
    dispatcher.utter_message(text="\n\n".join(lines), buttons=buttons or None)
    calls = [*safety_calls(plan.categories, plan.violence), *remote_calls] if shown_before == 0 else []
    dispatcher.utter_message(json_message=plan.payload(answer, items, radius, context, calls))


async def search_and_answer(dispatcher: CollectingDispatcher, plan: SearchPlan) -> list[EventType]:
    """The search of the plan, widened until something is found, said with its safety lines first."""
    if not plan.ready:
        dispatcher.utter_message(response="utter_ask_need" if not plan.categories else "utter_ask_place")
        return []
    client = DirectoryClient()
    try:
        answer, radius, department, context, remote = await find_with_widening(client, plan)
    except DirectoryUnavailableError:
        dispatcher.utter_message(text=UNAVAILABLE)
        return []
    if answer is None:
        lines = safety_lines(plan.categories, plan.violence)
        lines.append(f"Je n'ai trouvé aucun lieu pour « {plan.need_label} » {scope_text(radius, department)} de {plan.place_label}.")
        try:
            helping = await find_nearby_help(client, plan, context)
        except DirectoryUnavailableError:
            helping = None
        if helping is not None:
            lines.append(f"Ces lieux près de {plan.place_label} peuvent vous aider ou vous orienter :")
            lines += [structure_text(i + 1, item) for i, item in enumerate(helping.items)]
        lines.append(national_resource(plan.categories))
        calls = [*safety_calls(plan.categories, plan.violence), *national_calls(plan.categories)]
        more, more_calls = remote_sentences(remote, "\n".join(lines), calls)
        lines += more
        calls += more_calls
        dispatcher.utter_message(text="\n\n".join(lines))
        shown = helping.items if helping is not None else []
        dispatcher.utter_message(json_message=plan.payload(SearchAnswer(total=0, items=[]), shown, radius, context, calls))
        return [SlotSet("results_shown", None), SlotSet("search_radius_km", None), SlotSet("search_department", None)]
    widened = radius > (plan.radius or DEFAULT_RADIUS_KM) or department is not None
    send_results(dispatcher, plan, answer, answer.items, radius, department, context, 0, widened, client.settings.web_search_url)
    return [
        SlotSet("results_shown", float(len(answer.items))),
        SlotSet("search_radius_km", radius),
        SlotSet("search_department", department),
        SlotSet("search_time_filter", context.time_filtered),
    ]


class ActionSearchServices(Action):
    def name(self) -> str:
        return "action_search_services"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return await search_and_answer(dispatcher, SearchPlan(tracker))


class ActionRemoveFilters(Action):
    """« tous les lieux »: every filter the person gave or the assistant read is dropped, and the search runs
    again here when there is one. Not through the form: it would read « gratuit » again in « pas forcément
    gratuit ». Not as a follow-up action either: the policy then guessed the menu, eight times."""

    def name(self) -> str:
        return "action_remove_filters"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SlotSet(slot, None) for slot in CONTEXT_SLOTS]
        dispatcher.utter_message(text="D'accord : je cherche tous les lieux, sans filtre.")
        plan = SearchPlan(tracker, context=SearchContext())
        if plan.ready and not tracker.active_loop.get("name"):
            events += await search_and_answer(dispatcher, plan)
        return events


class ActionMoreResults(Action):
    """The next services: further in the same radius, then in the next radius steps (the nearest ones,
    already shown, come first in a wider search, so they are skipped by count)."""

    def name(self) -> str:
        return "action_more_results"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        plan = SearchPlan(tracker)
        shown = int(tracker.get_slot("results_shown") or 0)
        radius = tracker.get_slot("search_radius_km")
        if not plan.ready:
            dispatcher.utter_message(response="utter_no_search_yet")
            return []
        if not shown or radius is None:  # the last search found nothing, even widened
            dispatcher.utter_message(
                text=f"Je ne connais aucun autre lieu pour « {plan.need_label} » près de {plan.place_label}.\n\n"
                f"{national_resource(plan.categories)}"
            )
            return []
        # « plus près ? »: the list is nearest first; say so rather than pretend to find closer places.
        nearer = bool(NEARER.search(fold(tracker.latest_message.get("text") or "")))
        department = tracker.get_slot("search_department")
        context = plan.context if tracker.get_slot("search_time_filter") else plan.context.without_time()
        client = DirectoryClient()
        steps = [(r, d) for r, d in radius_steps(plan.radius, plan.department) if r > radius or (r == radius and d == department)]
        try:
            for step_radius, step_department in steps:
                if shown >= MAX_SHOWN:
                    break
                answer = await client.search(plan.query(step_radius, step_department, context, size=shown + PAGE_SIZE))
                items = answer.items[shown:]
                if items:
                    if nearer:
                        dispatcher.utter_message(text=NONE_NEARER + " Voici les suivants.")
                    widened = (step_radius, step_department) != (radius, department)
                    send_results(dispatcher, plan, answer, items, step_radius, step_department, context, shown, widened,
                                 client.settings.web_search_url)
                    return [
                        SlotSet("results_shown", float(shown + len(items))),
                        SlotSet("search_radius_km", step_radius),
                        SlotSet("search_department", step_department),
                    ]
        except DirectoryUnavailableError:
            dispatcher.utter_message(text=UNAVAILABLE)
            return []
        last_radius, last_department = steps[-1] if steps else (radius, department)
        web_url = client.settings.web_search_url
        on_map = f" Tous les résultats sur la carte : {plan.web_link(web_url)}" if web_url else ""
        dispatcher.utter_message(
            text=(NONE_NEARER + " " if nearer else "") + f"C'est tout ce que je connais {scope_text(last_radius, last_department)} de {plan.place_label}."
            f"{on_map}\n\n{national_resource(plan.categories)}"
        )
        return []
