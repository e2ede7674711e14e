"""Small parsing helpers shared by the source mappings."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from directory_api.geography.communes import Commune, CommuneIndex, in_idf_bbox

if TYPE_CHECKING:
    from directory_api.models import Reject, Structure
    from directory_api.sources.base import SourceInfo


class RowError(ValueError):
    """A row that cannot become a structure; the message is the reject reason (French)."""


def read_csv(
    path: Path, *, encoding: str = "utf-8", delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with the file line where each starts (header = line 1), values stripped.

    A row with more or fewer cells than the header is still yielded; `None` keys/values are left for
    the mapping to reject with a reason.
    """
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        reader.fieldnames  # reads the header now: DictReader reads it lazily, on the first row  # noqa: B018
        line = reader.line_num + 1
        for row in reader:
            cleaned = {
                key: (value.strip() if isinstance(value, str) else value) for key, value in row.items()
            }
            yield line, cleaned  # type: ignore[misc]
            line = reader.line_num + 1


def check_row_shape(row: dict[str, str]) -> None:
    if None in row:
        raise RowError("ligne avec plus de colonnes que l'en-tête")
    if any(value is None for value in row.values()):
        raise RowError("ligne avec moins de colonnes que l'en-tête")


def parse_coordinates(lat: str | None, lon: str | None) -> tuple[float, float] | None:
    """WGS84 coordinates inside Île-de-France, or None when absent. Raises on nonsense."""
    if not lat or not lon:
        return None
    try:
        lat_f, lon_f = float(lat.replace(",", ".")), float(lon.replace(",", "."))
    except ValueError as exc:
        raise RowError(f"coordonnées illisibles : {lat!r}, {lon!r}") from exc
    if not in_idf_bbox(lat_f, lon_f):
        if in_idf_bbox(lon_f, lat_f):
            raise RowError(f"latitude et longitude inversées : {lat}, {lon}")
        raise RowError(f"coordonnées hors Île-de-France : {lat}, {lon}")
    return lat_f, lon_f


_PHONE_DIGITS = re.compile(r"\D")


def french_phone(raw: str | None) -> str | None:
    """A French phone number as `01 44 67 27 00`, or None when empty or not a phone number.

    Accepts +33 / 0033 prefixes, dots, dashes and spaces; short numbers (115, 3919) are kept as is.
    """
    if not raw:
        return None
    digits = _PHONE_DIGITS.sub("", raw)
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 9 and digits[0] != "0":
        digits = "0" + digits  # FINESS sometimes drops the leading zero
    if len(digits) == 10 and digits.startswith("0"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if 3 <= len(digits) <= 4:
        return digits
    return None


def locate(
    communes: CommuneIndex,
    *,
    coordinates: tuple[float, float] | None,
    insee_code: str | None = None,
    postcode: str | None = None,
) -> tuple[float, float, str, Commune | None]:
    """Position, precision and commune of a record.

    Uses the source's coordinates when it has them; otherwise the centre of the commune (by INSEE
    code, then by postcode), flagged `commune` so that nobody takes it for a street address.
    """
    commune = communes.by_insee(insee_code) if insee_code else None
    if commune is None and postcode:
        candidates = communes.by_postcode(postcode)
        commune = candidates[0] if candidates else None
    if coordinates is not None:
        return coordinates[0], coordinates[1], "address", commune
    if commune is None:
        raise RowError("ni coordonnées ni commune reconnue : position inconnue")
    return commune.lat, commune.lon, "commune", commune


def slug(text: str) -> str:
    from directory_api.text import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def map_rows(
    info: SourceInfo, path: Path, id_column: str, build: Callable[[dict[str, str]], Structure]
) -> Iterator[Structure | Reject]:
    """The usual source loop: every CSV row becomes a structure, or a reject with its line and reason."""
    for line, row in read_csv(path):
        record_id = row.get(id_column) or None
        try:
            check_row_shape(row)
            yield build(row)
        except RowError as exc:
            yield info.reject(path, line, str(exc), record_id)
