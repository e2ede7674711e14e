#!/usr/bin/env bash
# Known vulnerabilities in both locked dependency sets (uv.lock for the API, bot/requirements.lock for
# the assistant), with pip-audit and the PyPI/OSV vulnerability database. Fails (exit 1) when a locked
# package has a known vulnerability with a fixed version; lists the others.
#
# It needs the vulnerability database online (PyPI's JSON API or api.osv.dev): the CI machine of this
# project reaches only the package index, so `make test` cannot run it (docs/reliability.md). Run it
# where the network allows: `make audit`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=.tools/bin/uv
mkdir -p var/audit
"$UV" export --frozen --format requirements-txt --no-hashes --no-emit-project >var/audit/api-requirements.txt
cp bot/requirements.lock var/audit/bot-requirements.txt
status=0
for set in api bot; do
  echo "== $set"
  rm -f "var/audit/$set.json"
  "$UV" tool run --from pip-audit==2.10.1 pip-audit --disable-pip --no-deps --progress-spinner off \
    -s "${AUDIT_SERVICE:-osv}" -f json -o "var/audit/$set.json" -r "var/audit/$set-requirements.txt" || true
  [[ -s "var/audit/$set.json" ]] || { echo "pas de résultat : base de vulnérabilités injoignable ?" >&2; exit 2; }
  python3 - "var/audit/$set.json" <<'PY' || status=1
import json, sys
report = json.load(open(sys.argv[1]))
fixable, other = [], []
for dep in report.get("dependencies", []):
    for vuln in dep.get("vulns", []):
        (fixable if vuln.get("fix_versions") else other).append((dep["name"], dep.get("version"), vuln["id"], vuln.get("fix_versions")))
skipped = [d["name"] for d in report.get("dependencies", []) if d.get("skip_reason")]
for name, version, vid, fixes in fixable:
    print(f"À CORRIGER {name} {version} : {vid}, corrigé en {', '.join(fixes)}")
for name, version, vid, _ in other:
    print(f"sans correctif publié {name} {version} : {vid}")
if skipped:
    print(f"{len(skipped)} paquets non vérifiés (absents de la base) : {', '.join(skipped[:10])}…", file=sys.stderr)
    sys.exit(2 if len(skipped) == len(report.get("dependencies", [])) else 0)
sys.exit(1 if fixable else 0)
PY
done
exit "$status"
