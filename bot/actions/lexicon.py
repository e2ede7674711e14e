"""What the directory's own vocabulary finds in a whole message: the taxonomy's needs and the gazetteer's
places (shared with the API), for messages the classifier did not read as a search."""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

from actions.directory_client import DirectoryClient, DirectoryUnavailableError

PLACE_MIN = 0.8  # the gazetteer's bar for a place found inside a sentence (forms.RESOLVE_MIN)


async def understood_from_lexicon(text: str) -> list[EventType]:
    """Slots for a need and/or a place the directory's own vocabulary finds in the whole message."""
    client = DirectoryClient()
    try:
        needs = await client.match_needs(text)
        places = await client.find_places(text, limit=1)
    except DirectoryUnavailableError:
        return []
    events: list[EventType] = []
    if needs:
        events.append(SlotSet("need", text))
    if places and places[0].score >= PLACE_MIN:
        events.append(SlotSet("place", text))
    return events
