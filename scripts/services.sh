#!/usr/bin/env bash
# Before the tests (make test): PostgreSQL must answer at 127.0.0.1:5432 (user postgres, trust
# auth) and Redis at 127.0.0.1:6379. A service that does not answer is installed from Debian
# (postgresql, redis-server) and started; one still silent afterwards fails the run with one
# sentence: the PostgreSQL half of the suite is never skipped silently.
#
# HELIOS_SERVICES_PG_PORT and HELIOS_SERVICES_REDIS_PORT move the ports checked, and
# HELIOS_SERVICES_DRY_RUN=1 prints the commands instead of running them (tests/test_postgres_services.py).
set -euo pipefail

HOST=127.0.0.1
PG_PORT=${HELIOS_SERVICES_PG_PORT:-5432}
REDIS_PORT=${HELIOS_SERVICES_REDIS_PORT:-6379}
DRY_RUN=${HELIOS_SERVICES_DRY_RUN:-0}
WAIT_SECONDS=${HELIOS_SERVICES_WAIT:-30}
APT_UPDATED=0

run() {
    if [ "$DRY_RUN" = 1 ]; then echo "would run: $*"; else "$@"; fi
}

answers() {  # a TCP connection to $1 opens within 3 s
    timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

postgres_accepts_us() {  # answers, and lets postgres in without a password
    answers "$PG_PORT" || return 1
    command -v psql >/dev/null || return 0
    PGCONNECT_TIMEOUT=3 psql -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1
}

apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then run apt-get update -qq; APT_UPDATED=1; fi
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

start_postgres() {
    command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] || apt_install postgresql
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    version=${version:-15}
    local hba=/etc/postgresql/$version/main/pg_hba.conf
    local rule="host all postgres $HOST/32 trust"
    # Trust only the postgres user, only from the loopback address, first rule so it wins.
    if [ "$DRY_RUN" = 1 ] || ! grep -qxF "$rule" "$hba" 2>/dev/null; then
        run sed -i "1i $rule" "$hba"
    fi
    run pg_ctlcluster "$version" main restart
}

start_redis() {
    command -v redis-server >/dev/null || apt_install redis-server
    run redis-server --daemonize yes --bind "$HOST" --port "$REDIS_PORT"
}

wait_for() {  # $1: check command; true once it succeeds within WAIT_SECONDS
    [ "$DRY_RUN" = 1 ] && { "$1"; return; }
    for _ in $(seq "$WAIT_SECONDS"); do
        "$1" && return 0
        sleep 1
    done
    return 1
}

redis_answers() { answers "$REDIS_PORT"; }

if postgres_accepts_us; then
    echo "PostgreSQL answers at $HOST:$PG_PORT."
else
    echo "PostgreSQL does not answer at $HOST:$PG_PORT (or refuses user postgres): installing and starting it."
    start_postgres
    if ! wait_for postgres_accepts_us; then
        echo "PostgreSQL still does not let user postgres in at $HOST:$PG_PORT after starting it, so the tests cannot run on PostgreSQL." >&2
        exit 1
    fi
fi

if redis_answers; then
    echo "Redis answers at $HOST:$REDIS_PORT."
else
    echo "Redis does not answer at $HOST:$REDIS_PORT: installing and starting it."
    start_redis
    if ! wait_for redis_answers; then
        echo "Redis still does not answer at $HOST:$REDIS_PORT after starting it, so the tests that need it cannot run." >&2
        exit 1
    fi
fi
