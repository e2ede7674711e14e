"""Great-circle distance, the same formula and Earth radius as Elasticsearch's `arc` distance, so that
both engines filter, sort and report distances alike."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0087714  # Elasticsearch's mean Earth radius (GeoUtils.EARTH_MEAN_RADIUS)


def haversine_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi0, phi = np.radians(lat0), np.radians(lat)
    dphi, dlambda = phi - phi0, np.radians(lon - lon0)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi0) * np.cos(phi) * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
