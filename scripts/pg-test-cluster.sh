#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: `scripts/pg-test-cluster.sh CMD…`.
# The cluster lives in a temporary folder, listens on 127.0.0.1 only, and is stopped and
# deleted when CMD ends, whatever its outcome. CMD sees LECKO_TEST_DATABASE_URL (a
# superuser, so migrations may CREATE EXTENSION unaccent) and PATH with the server's
# client tools first (pg_dump/pg_restore of the same version, for the backup tests).
set -euo pipefail

PORT="${LECKO_PG_PORT:-54329}"
BIN="${LECKO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "PostgreSQL server not found (apt install postgresql, or set LECKO_PG_BIN)" >&2
  exit 1
fi

# initdb refuses to run as root: CI runs as root, so the cluster belongs to a system user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || { owner=lecko-ci; id "$owner" >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"; }
  as_owner=(runuser -u "$owner" --)
fi

DIR="$(mktemp -d /tmp/lecko-pg.XXXXXX)"
[ ${#as_owner[@]} -eq 0 ] || chown "$owner" "$DIR"
stop() {
  "${as_owner[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT

"${as_owner[@]}" "$BIN/initdb" -D "$DIR/data" -U lecko --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway cluster: skipping fsync makes the suite faster.
"${as_owner[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start -o \
  "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off \
   -c full_page_writes=off -c max_connections=200" >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }

export LECKO_TEST_DATABASE_URL="postgresql+psycopg://lecko@127.0.0.1:$PORT/postgres"
export PATH="$BIN:$PATH"
"$@"
