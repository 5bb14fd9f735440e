#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of the home page and
# an article of the demo blog, mobile and desktop presets, as served in production:
# gunicorn behind nginx (gzip, /static/ served by nginx), all on loopback.
#
#   bench/lighthouse.sh            # prints a table; reports in test-artifacts/lighthouse/
#   RUNS=5 bench/lighthouse.sh     # median of 5 runs per page and preset (default 3)
#
# Lighthouse 12 (pinned in bench/lighthouse/package.json: 13 needs Node 22) drives
# Debian's Chromium (CHROME_PATH=/usr/bin/chromium) with flags that keep it on loopback.
# Exits 1 when a score is below 100. Needs node/npm, chromium and nginx (installed with
# apt-get when missing and we are root).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LH="$ROOT/bench/lighthouse"
OUT="$ROOT/test-artifacts/lighthouse"
RUNS="${RUNS:-3}"
APP_PORT=5078
WEB_PORT=5079
cd "$ROOT"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "missing: ${need[*]} (apt-get install them)"; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -x "$LH/node_modules/.bin/lighthouse" ] || (cd "$LH" && npm ci --no-audit --no-fund --silent)
make -s install translations >/dev/null

work="$(mktemp -d)"
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [ -n "${gunicorn_pid:-}" ] && kill "$gunicorn_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export LECKO_INSTANCE_PATH="$work/instance" FLASK_SECRET_KEY=lighthouse
mkdir -p "$work/instance" "$OUT"
chmod 755 "$work"  # nginx's workers (nobody) read the uploads
.venv/bin/flask --app app db upgrade >/dev/null 2>&1
.venv/bin/flask --app app demo load >/dev/null
.venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$APP_PORT" app:app >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!

cat >"$work/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  gzip on;
  gzip_types text/css application/javascript image/svg+xml;
  server {
    listen 127.0.0.1:$WEB_PORT;
    location /static/ { alias $ROOT/static/; expires 365d; }
    location /media/ { alias $work/instance/uploads/; expires 365d; }
    location / {
      proxy_pass http://127.0.0.1:$APP_PORT;
      proxy_set_header Host \$host;
    }
  }
}
EOF
/usr/sbin/nginx -p "$work" -c "$work/nginx.conf"

base="http://127.0.0.1:$WEB_PORT"
for _ in $(seq 50); do curl -fs "$base/" >/dev/null 2>&1 && break; sleep 0.2; done
article="$(curl -fs "$base/" | grep -o 'href="/20[0-9][0-9]/[0-9][0-9]/[^"#]*/"' | head -1 | cut -d'"' -f2)"
[ -n "$article" ] || { echo "no article link on the home page"; exit 2; }

flags="--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
flags+=" --disable-component-update --disable-sync --proxy-server=http://127.0.0.1:9"
flags+=" --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*'"

for page in "/" "$article"; do
  name="$( [ "$page" = / ] && echo home || echo article )"
  for preset in mobile desktop; do
    for run in $(seq "$RUNS"); do
      preset_flag=(); [ "$preset" = desktop ] && preset_flag=(--preset=desktop)
      CHROME_PATH=/usr/bin/chromium "$LH/node_modules/.bin/lighthouse" "$base$page" --quiet \
        --output=json --output-path="$OUT/$name-$preset-$run.json" "${preset_flag[@]}" \
        --chrome-flags="$flags" || echo "lighthouse failed on $page ($preset)"
    done
  done
done

.venv/bin/python - "$OUT" "$RUNS" "$article" <<'EOF'
"""Median score per page, preset and category; exit 1 below 100."""
import json, statistics, sys
from pathlib import Path

out, runs, article = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
categories = ("performance", "accessibility", "best-practices", "seo")
print(f"Lighthouse 12, median of {runs} run(s); article: {article}")
print(f"{'page':<9}{'preset':<9}" + "".join(f"{c:>16}" for c in categories))
low = []
for name in ("home", "article"):
    for preset in ("mobile", "desktop"):
        scores = {c: [] for c in categories}
        for run in range(1, runs + 1):
            path = out / f"{name}-{preset}-{run}.json"
            report = json.loads(path.read_text()) if path.exists() else {}
            for c in categories:
                score = report.get("categories", {}).get(c, {}).get("score")
                scores[c].append(round(100 * score) if score is not None else 0)
        medians = {c: statistics.median(scores[c]) for c in categories}
        low += [f"{name} {preset} {c}: {m:g}" for c, m in medians.items() if m < 100]
        print(f"{name:<9}{preset:<9}" + "".join(f"{medians[c]:>16g}" for c in categories))
if low:
    print("below 100: " + "; ".join(low))
sys.exit(1 if low else 0)
EOF
