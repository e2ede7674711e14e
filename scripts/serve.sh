#!/usr/bin/env bash
# `make run`: the directory API, the assistant's action server and the Rasa server (REST channel), all on
# loopback; Ctrl-C (or any of them stopping) stops the three.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}" WORKERS="${WORKERS:-2}"
RASA_PORT="${RASA_PORT:-5005}" ACTIONS_PORT=5055  # the port bot/endpoints.yml names
export RASA_TELEMETRY_ENABLED=false
trap 'trap - EXIT; kill 0' EXIT INT TERM
# The directory's key for the assistant's action server (not limited per client): drawn at each start.
export DIRECTORY_API_TOKEN="${DIRECTORY_API_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"

.venv/bin/directory serve --ensure-index --host "$HOST" --port "$PORT" --workers "$WORKERS" &
(cd bot && DIRECTORY_API_URL="http://$HOST:$PORT" ACTIONS_PORT="$ACTIONS_PORT" exec .venv/bin/python serve_actions.py) &
(cd bot && exec .venv/bin/rasa run \
    -i 127.0.0.1 -p "$RASA_PORT" --model models/assistant.tar.gz \
    --credentials credentials.yml --endpoints endpoints.yml) &

echo "Annuaire : http://$HOST:$PORT  ·  Assistant (REST) : http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook"
echo "L'assistant met 1 à 2 minutes à charger son modèle."
wait -n
