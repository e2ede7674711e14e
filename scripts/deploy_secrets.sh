#!/bin/sh
# Secrets du déploiement Docker Compose (docs/deployment.md).
#
# Usage : scripts/deploy_secrets.sh [env]              écrit les secrets manquants dans .env (mode 0600)
#         scripts/deploy_secrets.sh elasticsearch-api-key
#                 dans le service `elasticsearch-setup` seulement : crée la clé d'API de l'annuaire
#
# `env` ne remplace jamais une valeur déjà présente dans .env : relancer le script est sans effet sur
# les secrets existants (changer ELASTIC_PASSWORD après le premier démarrage ne change pas le mot de
# passe déjà enregistré par Elasticsearch : docs/deployment.md).
# POSIX sh: also runs in the Elasticsearch image, which has no jq.
set -eu

# -- env ------------------------------------------------------------------------------------------------
random_secret() {
  # 32 alphanumeric characters (~190 bits): safe unquoted in .env, curl configs and redis-server args.
  LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32
}

write_env() {
  root="$(cd "$(dirname "$0")/.." && pwd)"
  env_file="${ENV_FILE:-$root/.env}"
  umask 077
  [ -e "$env_file" ] || : >"$env_file"
  chmod 600 "$env_file"
  added=""
  for name in ELASTIC_PASSWORD REDIS_PASSWORD SECRET_KEY DIRECTORY_API_TOKEN; do
    # An existing line, even empty, is left alone: the operator chose it (an empty one fails compose).
    if grep -q "^$name=" "$env_file"; then
      continue
    fi
    # Make sure the file ends with a newline before appending.
    if [ -s "$env_file" ] && [ "$(tail -c 1 "$env_file" | od -An -c | tr -d ' ')" != '\n' ]; then
      echo >>"$env_file"
    fi
    echo "$name=$(random_secret)" >>"$env_file"
    added="$added $name"
  done
  if [ -n "$added" ]; then
    echo "secrets ajoutés à $env_file :$added"
  else
    echo "$env_file contient déjà tous les secrets : rien de changé"
  fi
  if command -v git >/dev/null 2>&1 && git -C "$root" rev-parse >/dev/null 2>&1 \
      && ! git -C "$root" check-ignore -q "$env_file"; then
    echo "attention : $env_file n'est pas ignoré par git, ne pas le versionner" >&2
  fi
}

# -- elasticsearch-api-key (one-shot service elasticsearch-setup) ------------------------------------------
# The API's key: the directory's indices only (versioned directory-* behind the alias directory, swapped
# on each rebuild), plus `monitor` for the cluster health the API's /health reads. No other cluster
# privilege: the key cannot create users, roles, keys or touch other indices.
KEY_NAME="directory-api"
ROLE_DESCRIPTORS='{"directory_api":{"cluster":["monitor"],"indices":[{"names":["directory","directory-*"],"privileges":["create_index","read","write","manage"],"allow_restricted_indices":false}]}}'

es() {
  # The elastic password goes through curl's config on stdin, never on a command line (ps).
  method="$1" path="$2"
  shift 2
  printf 'user = "elastic:%s"\n' "$ELASTIC_PASSWORD" \
    | curl -sS -K - -X "$method" -H 'Content-Type: application/json' "$@" "$ES_URL$path"
}

create_api_key() {
  : "${ELASTIC_PASSWORD:?ELASTIC_PASSWORD manquant}"
  ES_URL="${ELASTICSEARCH_URL:-http://elasticsearch:9200}"
  key_file="${API_KEY_FILE:-/run/elasticsearch-api-key/api_key}"
  owner="${API_KEY_OWNER:-10001}"
  umask 077
  mkdir -p "$(dirname "$key_file")"

  # A key kept from a previous start is reused while Elasticsearch still accepts it.
  if [ -s "$key_file" ]; then
    status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: ApiKey $(cat "$key_file")" \
      "$ES_URL/_security/_authenticate" || true)"
    if [ "$status" = 200 ]; then
      echo "clé d'API $KEY_NAME existante : gardée"
      chown -R "$owner" "$(dirname "$key_file")"
      return 0
    fi
  fi

  # Otherwise: revoke every earlier key of that name (lost or stale), then create a new one.
  es DELETE /_security/api_key -d "{\"name\":\"$KEY_NAME\"}" -o /dev/null -f || true
  answer="$(es POST /_security/api_key -f -d "{\"name\":\"$KEY_NAME\",\"role_descriptors\":$ROLE_DESCRIPTORS,\"metadata\":{\"created_by\":\"elasticsearch-setup\"}}")" || {
    echo "création de la clé d'API refusée par Elasticsearch" >&2
    exit 1
  }
  # {"id":…,"name":…,"api_key":…,"encoded":"…"}: parameter expansion, no jq nor sed needed.
  case "$answer" in *'"encoded":"'*) encoded="${answer#*\"encoded\":\"}"; encoded="${encoded%%\"*}" ;; *) encoded="" ;; esac
  if [ -z "$encoded" ]; then
    echo "réponse d'Elasticsearch sans clé d'API" >&2
    exit 1
  fi
  printf '%s' "$encoded" >"$key_file.tmp"
  mv "$key_file.tmp" "$key_file"
  # Readable by the API's user only (uid of Dockerfile's `directory`).
  chown -R "$owner" "$(dirname "$key_file")"
  chmod 700 "$(dirname "$key_file")"
  chmod 400 "$key_file"
  echo "clé d'API $KEY_NAME créée"
}

case "${1:-env}" in
  env) write_env ;;
  elasticsearch-api-key) create_api_key ;;
  *) echo "usage : $0 [env|elasticsearch-api-key]" >&2; exit 2 ;;
esac
