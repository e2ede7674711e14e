#!/usr/bin/env bash
# Elasticsearch 8 local (sans sécurité) pour les tests, `make test` et la CI : un seul nœud, ou une
# grappe de plusieurs nœuds sur la boucle locale (essais de pannes).
#
# Usage : scripts/elasticsearch.sh {start|stop|status|restart|resume}
#         scripts/elasticsearch.sh {cluster-start|cluster-stop|cluster-status}
#
#   resume          comme start, mais garde les données de l'instance (ES_KEEP_DATA=1) : relance après
#                   un arrêt sans réindexer
#   cluster-start   démarre les nœuds de ES_CLUSTER_PORTS qui ne tournent pas (en parallèle) et attend
#                   qu'ils forment une grappe ; affiche les URL séparées par des virgules
#   cluster-stop    arrête tous les nœuds de ES_CLUSTER_PORTS
#
# Variables d'environnement :
#   ES_PORT       port HTTP (défaut 9200), écoute sur 127.0.0.1 uniquement
#   ES_VERSION    version d'Elasticsearch (défaut 8.19.21)
#   ES_HOME_DIR   répertoire de travail (défaut var/elasticsearch, relatif à la racine du dépôt)
#   ES_HEAP       taille du tas JVM (défaut 512m)
#   ES_USER       utilisateur système qui fait tourner ES quand on est root (défaut elasticsearch-ci)
#   ES_JAVA_HOME  JDK >= 17 à utiliser (défaut : JDK 17 de /usr/lib/jvm, sinon le premier JDK >= 17)
#   ES_START_TIMEOUT  délai d'attente de la santé en secondes (défaut 120)
#   ES_KEEP_DATA  1 : garder les données au démarrage (défaut 0 : remise à zéro)
#   ES_CLUSTER_PORTS            ports HTTP des nœuds de la grappe, séparés par des virgules
#                               (défaut 9201,9202,9203)
#   ES_CLUSTER_TRANSPORT_PORTS  ports de transport, dans le même ordre (défaut : port HTTP + 100)
#
# L'archive est la distribution « integ-test-zip » publiée sur Maven Central (sans JDK embarqué,
# sans le module analysis-common). Elle est téléchargée une fois avec Maven (repli : curl) dans
# var/cache/, décompressée une fois dans $ES_HOME_DIR/<version>/. Chaque instance (une par port)
# vit dans $ES_HOME_DIR/instance-<port>/ (config, data, logs, pid) ; les données sont remises à
# zéro à chaque démarrage, sauf avec ES_KEEP_DATA=1 (ou `resume`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ES_PORT="${ES_PORT:-9200}"
ES_VERSION="${ES_VERSION:-8.19.21}"
ES_HOME_DIR="${ES_HOME_DIR:-var/elasticsearch}"
ES_HEAP="${ES_HEAP:-512m}"
ES_USER="${ES_USER:-elasticsearch-ci}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-120}"
ES_KEEP_DATA="${ES_KEEP_DATA:-0}"
ES_CLUSTER_PORTS="${ES_CLUSTER_PORTS:-9201,9202,9203}"
ES_CLUSTER_TRANSPORT_PORTS="${ES_CLUSTER_TRANSPORT_PORTS:-}"
# Cluster mode (set by cluster-start): transport port of the node being configured, and the
# discovery lists shared by every node. Empty: a single node (discovery.type: single-node).
TRANSPORT_PORT=""
CLUSTER_SEEDS=""
CLUSTER_MASTERS=""
case "$ES_HOME_DIR" in /*) ;; *) ES_HOME_DIR="$ROOT/$ES_HOME_DIR" ;; esac

ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
ARTIFACT_PATH="org/elasticsearch/distribution/integ-test-zip/elasticsearch/${ES_VERSION}/elasticsearch-${ES_VERSION}.zip"
MAVEN_REPO_URL="${ES_MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
CACHE_DIR="$ROOT/var/cache"
ZIP="$CACHE_DIR/elasticsearch-${ES_VERSION}.zip"
DIST="$ES_HOME_DIR/$ES_VERSION"

use_port() {
  # Every per-instance path derives from the HTTP port.
  ES_PORT="$1"
  INSTANCE="$ES_HOME_DIR/instance-$ES_PORT"
  PID_FILE="$INSTANCE/elasticsearch.pid"
  URL="http://127.0.0.1:$ES_PORT"
}
use_port "$ES_PORT"

log() { printf '[elasticsearch] %s\n' "$*" >&2; }
die() { log "erreur : $*"; exit 1; }

# --- santé -----------------------------------------------------------------------------------

health_json() { curl -s -m 3 "$URL/_cluster/health" 2>/dev/null || true; }

health_status() {
  # Affiche green/yellow/red, ou rien si personne ne répond.
  health_json | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

is_healthy() {
  case "$(health_status)" in green | yellow) return 0 ;; *) return 1 ;; esac
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$ES_PORT") 2>/dev/null; }

running_pid() {
  # PID de l'instance lancée par ce script, s'il tourne encore.
  [[ -s "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# --- installation ----------------------------------------------------------------------------

find_java_home() {
  if [[ -n "${ES_JAVA_HOME:-}" ]]; then
    [[ -x "$ES_JAVA_HOME/bin/java" ]] || die "ES_JAVA_HOME=$ES_JAVA_HOME ne contient pas bin/java"
    printf '%s\n' "$ES_JAVA_HOME"
    return
  fi
  local candidate version
  for candidate in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk* /usr/lib/jvm/*; do
    [[ -x "$candidate/bin/java" ]] || continue
    version="$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
    if [[ -n "$version" && "$version" -ge 17 ]]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME"
    return
  fi
  die "aucun JDK >= 17 trouvé (définir ES_JAVA_HOME)"
}

download() {
  [[ -s "$ZIP" ]] && return
  mkdir -p "$CACHE_DIR"
  local tmp="$CACHE_DIR/.download-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "téléchargement de $ARTIFACT (~107 Mo)…"
  local mvn_out=""
  if command -v mvn >/dev/null 2>&1 &&
    mvn_out="$(mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="$ARTIFACT" -DoutputDirectory="$tmp" -Dmdep.useBaseVersion=true 2>&1)" &&
    [[ -s "$tmp/elasticsearch-$ES_VERSION.zip" ]]; then
    :
  else
    [[ -n "$mvn_out" ]] && printf '%s\n' "$mvn_out" | tail -n 5 >&2
    log "Maven indisponible ou en échec, repli sur curl"
    curl -fsSL --retry 3 -o "$tmp/elasticsearch-$ES_VERSION.zip" "$MAVEN_REPO_URL/$ARTIFACT_PATH" ||
      { rm -rf "$tmp"; die "téléchargement impossible"; }
    local expected actual
    expected="$(curl -fsSL --retry 3 "$MAVEN_REPO_URL/$ARTIFACT_PATH.sha1" | cut -c1-40 || true)"
    actual="$(sha1sum "$tmp/elasticsearch-$ES_VERSION.zip" | cut -c1-40)"
    if [[ -n "$expected" && "$expected" != "$actual" ]]; then
      rm -rf "$tmp"
      die "somme SHA-1 incorrecte pour l'archive téléchargée"
    fi
  fi
  mv "$tmp/elasticsearch-$ES_VERSION.zip" "$ZIP"
  rm -rf "$tmp"
}

unpack() {
  [[ -x "$DIST/bin/elasticsearch" ]] && return
  download
  log "décompression dans ${DIST#"$ROOT"/}…"
  local tmp="$ES_HOME_DIR/.unzip-$$"
  rm -rf "$tmp" "$DIST"
  mkdir -p "$tmp"
  unzip -q "$ZIP" -d "$tmp" || { rm -rf "$tmp"; die "archive corrompue : supprimer $ZIP"; }
  mv "$tmp/elasticsearch-$ES_VERSION" "$DIST"
  rm -rf "$tmp"
  chmod -R a+rX "$DIST"
}

ensure_user() {
  [[ "$(id -u)" -eq 0 ]] || return 0
  if ! id -u "$ES_USER" >/dev/null 2>&1; then
    log "création de l'utilisateur système $ES_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --user-group "$ES_USER"
  fi
}

as_es_user() {
  # Exécute la commande sous l'utilisateur dédié si on est root (ES refuse de tourner en root).
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u "$ES_USER" -- "$@"
  else
    "$@"
  fi
}

write_config() {
  local conf="$INSTANCE/config"
  if [[ "$ES_KEEP_DATA" == 1 && -d "$INSTANCE/data" ]]; then
    log "données gardées : ${INSTANCE#"$ROOT"/}/data"
    rm -rf "$conf" "$INSTANCE/tmp"
  else
    rm -rf "$INSTANCE"
  fi
  mkdir -p "$conf" "$INSTANCE/data" "$INSTANCE/logs" "$INSTANCE/tmp"
  # Config propre à l'instance : copie de celle de la distribution + elasticsearch.yml généré.
  cp -R "$DIST/config/." "$conf/"
  {
    echo "# Généré par scripts/elasticsearch.sh ; modifié à chaque démarrage."
    if [[ -n "$CLUSTER_SEEDS" ]]; then
      echo "cluster.name: annuaire-grappe-$CLUSTER_NAME"
      echo "node.name: node-$ES_PORT"
      echo "transport.port: $TRANSPORT_PORT"
      echo "discovery.seed_hosts: [$CLUSTER_SEEDS]"
      # Only read when the cluster forms for the first time (ignored by a node that has data).
      echo "cluster.initial_master_nodes: [$CLUSTER_MASTERS]"
    else
      echo "cluster.name: annuaire-ci-$ES_PORT"
      echo "node.name: ci-node"
      echo "discovery.type: single-node"
    fi
    echo "network.host: 127.0.0.1"
    echo "http.port: $ES_PORT"
    echo "path.data: $INSTANCE/data"
    echo "path.logs: $INSTANCE/logs"
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    echo "action.destructive_requires_name: false"
    # Réglages x-pack seulement si le module existe (sinon ES refuse un réglage inconnu).
    [[ -d "$DIST/modules/x-pack-security" ]] && echo "xpack.security.enabled: false"
    [[ -d "$DIST/modules/x-pack-ml" ]] && echo "xpack.ml.enabled: false"
    [[ -d "$DIST/modules/ingest-geoip" ]] && echo "ingest.geoip.downloader.enabled: false"
    true
  } >"$conf/elasticsearch.yml"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown -R "$ES_USER:" "$INSTANCE"
  fi
  # L'utilisateur dédié doit pouvoir traverser le chemin jusqu'à la distribution.
  as_es_user test -x "$DIST/bin/elasticsearch" ||
    die "$ES_USER ne peut pas accéder à $DIST (droits des répertoires parents ?) ; définir ES_HOME_DIR ailleurs, p. ex. /tmp/elasticsearch"
}

# --- sous-commandes --------------------------------------------------------------------------

alive() {
  # Vrai si le processus existe et n'est pas un zombie (lanceur terminé mais pas encore attendu).
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$stat" && "$stat" != Z* ]]
}

wait_healthy() {
  local pid="$1" start=$SECONDS next_report=5
  while ! is_healthy; do
    if ! alive "$pid" && ! running_pid >/dev/null; then
      log "le processus s'est arrêté ; fin du journal :"
      tail -n 40 "$INSTANCE/logs/console.log" >&2 2>/dev/null || true
      return 1
    fi
    if ((SECONDS - start >= ES_START_TIMEOUT)); then
      log "pas prêt après ${ES_START_TIMEOUT} s ; fin du journal :"
      tail -n 40 "$INSTANCE/logs/console.log" >&2 2>/dev/null || true
      return 1
    fi
    if ((SECONDS - start >= next_report)); then
      log "en attente… ($((SECONDS - start)) s)"
      next_report=$((next_report + 5))
    fi
    sleep 0.5
  done
}

launch() {
  # -d : le lanceur se détache une fois le nœud démarré ; -p : fichier PID écrit par ES.
  # Le lanceur tourne en arrière-plan pour pouvoir afficher la progression en attendant.
  as_es_user env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    ES_JAVA_HOME="$1" \
    ES_PATH_CONF="$INSTANCE/config" \
    ES_TMPDIR="$INSTANCE/tmp" \
    ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP ${ES_EXTRA_JAVA_OPTS:-}" \
    "$DIST/bin/elasticsearch" -d -p "$PID_FILE" \
    >"$INSTANCE/logs/console.log" 2>&1 &
}

cmd_start() {
  if is_healthy; then
    log "déjà en marche sur $URL (réutilisé)"
    echo "$URL"
    return 0
  fi
  local pid
  if pid="$(running_pid)"; then
    log "instance en cours de démarrage (PID $pid), attente…"
    wait_healthy "$pid" || die "démarrage échoué"
    log "prêt : $URL"
    echo "$URL"
    return 0
  fi
  port_in_use && die "le port $ES_PORT est occupé par autre chose qu'un Elasticsearch sain"

  local java_home t0=$SECONDS
  java_home="$(find_java_home)"
  mkdir -p "$ES_HOME_DIR"
  unpack
  ensure_user
  write_config

  log "démarrage d'Elasticsearch $ES_VERSION sur $URL (JDK : $java_home)…"
  launch "$java_home"
  local launcher=$!
  if ! wait_healthy "$launcher"; then
    cmd_stop || true
    kill "$launcher" 2>/dev/null || true
    die "démarrage échoué (journaux : ${INSTANCE#"$ROOT"/}/logs/)"
  fi
  wait "$launcher" || { tail -n 40 "$INSTANCE/logs/console.log" >&2; cmd_stop || true; die "échec du lancement"; }
  pid="$(running_pid)" || die "aucun processus après le lancement"
  log "prêt en $((SECONDS - t0)) s : $URL (PID $pid, $(health_status))"
  echo "$URL"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "aucune instance lancée par ce script sur le port $ES_PORT"
    return 0
  fi
  log "arrêt (PID $pid)…"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 120; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "toujours en vie après 60 s, SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$PID_FILE"
  log "arrêté"
}

cmd_status() {
  local json
  json="$(health_json)"
  if [[ "$json" == *'"status"'* ]]; then
    echo "$json"
    return 0
  fi
  echo "arrêté"
  return 1
}

# --- grappe ----------------------------------------------------------------------------------

cluster_ports() {
  # Fills HTTP_PORTS and TRANSPORT_PORTS (same order) from the environment.
  IFS=', ' read -r -a HTTP_PORTS <<<"$ES_CLUSTER_PORTS"
  ((${#HTTP_PORTS[@]} > 0)) || die "ES_CLUSTER_PORTS est vide"
  if [[ -n "$ES_CLUSTER_TRANSPORT_PORTS" ]]; then
    IFS=', ' read -r -a TRANSPORT_PORTS <<<"$ES_CLUSTER_TRANSPORT_PORTS"
  else
    TRANSPORT_PORTS=()
    local port
    for port in "${HTTP_PORTS[@]}"; do TRANSPORT_PORTS+=("$((port + 100))"); done
  fi
  ((${#TRANSPORT_PORTS[@]} == ${#HTTP_PORTS[@]})) ||
    die "ES_CLUSTER_TRANSPORT_PORTS doit avoir autant de ports que ES_CLUSTER_PORTS"
}

cluster_urls() {
  local port urls=()
  for port in "${HTTP_PORTS[@]}"; do urls+=("http://127.0.0.1:$port"); done
  (IFS=,; echo "${urls[*]}")
}

cluster_health() {
  # "<status> <number_of_nodes>" from the first node that answers, or nothing.
  local port json
  for port in "${HTTP_PORTS[@]}"; do
    json="$(curl -s -m 3 "http://127.0.0.1:$port/_cluster/health" 2>/dev/null || true)"
    if [[ "$json" == *'"status"'* ]]; then
      printf '%s %s\n' "$(sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' <<<"$json")" \
        "$(sed -n 's/.*"number_of_nodes":\([0-9]*\).*/\1/p' <<<"$json")"
      return 0
    fi
  done
}

cmd_cluster_start() {
  cluster_ports
  local count=${#HTTP_PORTS[@]} i seeds=() masters=()
  for ((i = 0; i < count; i++)); do
    seeds+=("\"127.0.0.1:${TRANSPORT_PORTS[i]}\"")
    masters+=("\"node-${HTTP_PORTS[i]}\"")
  done
  CLUSTER_SEEDS="$(IFS=,; echo "${seeds[*]}")"
  CLUSTER_MASTERS="$(IFS=,; echo "${masters[*]}")"
  CLUSTER_NAME="${HTTP_PORTS[0]}"

  local java_home t0=$SECONDS
  local -A launcher_of=()  # HTTP port -> PID of its launcher
  java_home="$(find_java_home)"
  mkdir -p "$ES_HOME_DIR"
  unpack
  ensure_user
  # All nodes start together: a master-eligible node waits for a quorum of the others to form the
  # cluster, so starting them one after the other would wait for each in turn.
  for ((i = 0; i < count; i++)); do
    use_port "${HTTP_PORTS[i]}"
    if running_pid >/dev/null; then
      log "nœud $URL déjà lancé"
      continue
    fi
    port_in_use && die "le port $ES_PORT est occupé"
    TRANSPORT_PORT="${TRANSPORT_PORTS[i]}"
    write_config
    log "démarrage du nœud node-$ES_PORT sur $URL (transport $TRANSPORT_PORT)…"
    launch "$java_home"
    launcher_of[$ES_PORT]=$!
  done

  local health status nodes next_report=5 port
  while true; do
    health="$(cluster_health)"
    status="${health% *}"
    nodes="${health#* }"
    [[ "$status" == green || "$status" == yellow ]] && [[ "$nodes" == "$count" ]] && break
    for port in "${HTTP_PORTS[@]}"; do
      use_port "$port"
      if ! running_pid >/dev/null && ! alive "${launcher_of[$port]:-0}"; then
        log "le nœud $URL s'est arrêté ; fin du journal :"
        tail -n 40 "$INSTANCE/logs/console.log" >&2 2>/dev/null || true
        cmd_cluster_stop
        die "démarrage de la grappe échoué"
      fi
    done
    if ((SECONDS - t0 >= ES_START_TIMEOUT)); then
      log "grappe incomplète après ${ES_START_TIMEOUT} s (${health:-aucune réponse})"
      cmd_cluster_stop
      die "démarrage de la grappe échoué"
    fi
    if ((SECONDS - t0 >= next_report)); then
      log "en attente… ($((SECONDS - t0)) s, ${health:-aucune réponse})"
      next_report=$((next_report + 5))
    fi
    sleep 0.5
  done
  local launcher
  for launcher in "${launcher_of[@]}"; do wait "$launcher" || true; done
  log "grappe prête en $((SECONDS - t0)) s : $count nœuds, $status"
  cluster_urls
}

cmd_cluster_stop() {
  cluster_ports
  local port
  for port in "${HTTP_PORTS[@]}"; do
    (use_port "$port" && cmd_stop) &
  done
  wait
}

cmd_cluster_status() {
  cluster_ports
  local port
  for port in "${HTTP_PORTS[@]}"; do
    if curl -s -m 3 "http://127.0.0.1:$port/_cat/nodes?v&h=name,http_address,master,heap.percent" 2>/dev/null; then
      curl -s -m 3 "http://127.0.0.1:$port/_cluster/health"
      echo
      return 0
    fi
  done
  echo "arrêtée"
  return 1
}

with_lock() {
  # Sérialise start/stop concurrents (p. ex. plusieurs workers pytest).
  mkdir -p "$ES_HOME_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$ES_HOME_DIR/.lock-$LOCK_NAME"
    flock 9
  fi
  "$@"
}

LOCK_NAME="$ES_PORT"
case "${1:-}" in
  start) with_lock cmd_start ;;
  stop) with_lock cmd_stop ;;
  restart) with_lock cmd_stop && with_lock cmd_start ;;
  resume) ES_KEEP_DATA=1 && with_lock cmd_start ;;
  status) cmd_status ;;
  cluster-start) LOCK_NAME="cluster-${ES_CLUSTER_PORTS%%,*}" && with_lock cmd_cluster_start ;;
  cluster-stop) LOCK_NAME="cluster-${ES_CLUSTER_PORTS%%,*}" && with_lock cmd_cluster_stop ;;
  cluster-status) cmd_cluster_status ;;
  *)
    echo "usage : $0 {start|stop|status|restart|resume|cluster-start|cluster-stop|cluster-status}" >&2
    echo "        (ES_PORT, ES_VERSION, ES_HOME_DIR, ES_KEEP_DATA, ES_CLUSTER_PORTS)" >&2
    exit 2
    ;;
esac
