"""French text and JSON payload of a result list (the web page draws its cards from the payload)."""

from __future__ import annotations

from typing import Any

from actions.directory_client import StructureItem


def distance_label(meters: float | None, *, approximate: bool = False) -> str | None:
    if meters is None:
        return None
    if approximate:
        # Placed at the commune's centre: metres would be a false precision (« 0 m »).
        return "dans la commune" if meters < 1000 else f"environ {max(1, round(meters / 1000))} km"
    if meters < 1000:
        return f"{int(round(meters, -1))} m"
    return f"{meters / 1000:.1f} km".replace(".", ",")


def radius_label(km: float) -> str:
    if km < 1:
        return f"{int(km * 1000)} m"
    return (f"{km:.0f}" if km == int(km) else f"{km:.1f}".replace(".", ",")) + " km"


def address_line(item: StructureItem) -> str | None:
    town = " ".join(part for part in (item.postcode, item.commune) if part)
    parts = [part for part in (item.address, town) if part]
    return ", ".join(parts) if parts else None


def structure_text(rank: int, item: StructureItem) -> str:
    distance = distance_label(item.distance_m, approximate=item.location_precision == "commune")
    lines = [f"{rank}. {item.name}" + (f" — {distance}" if distance else "")]
    address = address_line(item)
    if address:
        approximate = " (position approximative)" if item.location_precision == "commune" else ""
        lines.append(address + approximate)
    status = item.opening.label
    if item.conditions:
        status += " · " + ", ".join(item.conditions)
    lines.append(status)
    if item.unconfirmed:
        lines.append("À vérifier : " + ", ".join(item.unconfirmed))
    if item.phones:
        lines.append("Tél : " + " ou ".join(item.phones[:2]))
    if item.freshness.stale and item.freshness.warning:
        lines.append("⚠ " + item.freshness.warning)
    return "\n".join(lines)


def structure_payload(item: StructureItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "categories": item.categories,
        "lat": item.lat,
        "lon": item.lon,
        "distance_m": round(item.distance_m) if item.distance_m is not None else None,
        "approximate": item.location_precision == "commune",
        "opening": {"status": item.opening.status, "label": item.opening.label},
        "address": address_line(item),
        "phones": item.phones,
        "conditions": item.conditions,
        "unconfirmed": item.unconfirmed,
        "stale": item.freshness.stale,
    }

