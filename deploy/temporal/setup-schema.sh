#!/bin/sh
# One-shot (temporalio/admin-tools): creates or upgrades Temporal's two databases on the compose
# Postgres. Safe to run on every `docker compose up`: create and setup-schema are skipped when
# done before; update-schema brings an existing schema up to this server version and must succeed.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the Postgres host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do echo "waiting for Postgres at $POSTGRES_SEEDS:$PORT"; sleep 2; done

tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"; }

for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db="${pair%%:*}"; dir="${pair##*:}"
  tool --db "$db" create >/dev/null 2>&1 && echo "created database $db" || echo "database $db exists"
  tool --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 && echo "initialised schema of $db" || echo "schema of $db already initialised"
  tool --db "$db" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "Temporal schema is up to date"
