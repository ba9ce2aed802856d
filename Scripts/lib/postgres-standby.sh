# A PostgreSQL primary and a synchronous streaming standby on loopback, only for the
# failover tests (they crash the primary and promote the standby, so nothing else may use
# them). Sourced by Scripts/test-servers, whose helpers it uses: pg_bin, as_pg, free_port,
# random_password; its cleanup stops both servers by pid (the directories match pg*).

# start_postgres_standby_pair DIR: starts DIR-primary and, cloned from it by
# `pg_basebackup -R`, DIR-standby; returns once the primary reports the standby streaming
# and synchronous. Sets failover_url (both hosts, target_session_attrs=read-write) and
# failover_control (a script: stop-primary, promote-standby, status).
start_postgres_standby_pair() {
    local primary="$1-primary" standby="$1-standby" password primary_port standby_port attempt state
    local standby_name=tokenstore_standby
    mkdir -p "$primary/socket" "$standby/socket"
    password=$(random_password)
    printf '%s\n' "$password" > "$primary/pwfile"
    if [[ $(id -u) -eq 0 ]]; then chown -R tokenstore-test "$primary" "$standby"; fi
    "${as_pg[@]}" "$pg_bin/initdb" -D "$primary/data" --no-sync -U tokenstore --pwfile="$primary/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$primary/initdb.log" 2>&1 \
        || { cat "$primary/initdb.log" >&2; exit 1; }
    rm -f "$primary/pwfile"
    # The standby's walreceiver logs in over TCP as tokenstore, with the password.
    echo "host replication tokenstore 127.0.0.1/32 scram-sha-256" >> "$primary/data/pg_hba.conf"

    # Cheap to start and to lose (fsync off: a crash of the server, not of the machine,
    # keeps what it wrote).
    for attempt in 1 2 3 4 5; do
        primary_port=$(free_port)
        cat >> "$primary/data/postgresql.conf" <<CONF
port = $primary_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$primary/socket'
fsync = off
max_connections = 50
wal_level = replica
max_wal_senders = 4
CONF
        if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$primary/data" -l "$primary/server.log" -w start >/dev/null; then break; fi
        [[ $attempt -eq 5 ]] && { cat "$primary/server.log" >&2; exit 1; }
    done
    "${as_pg[@]}" "$pg_bin/createdb" -h "$primary/socket" -p "$primary_port" -U tokenstore tokenstore

    # -R writes standby.signal and primary_conninfo (with this application_name, the
    # name synchronous_standby_names waits for); -c fast skips waiting for a checkpoint.
    "${as_pg[@]}" env PGPASSWORD="$password" "$pg_bin/pg_basebackup" -D "$standby/data" --no-sync -R -X stream -c fast \
        -d "host=127.0.0.1 port=$primary_port user=tokenstore application_name=$standby_name" \
        >"$standby/basebackup.log" 2>&1 || { cat "$standby/basebackup.log" >&2; exit 1; }
    grep -q "application_name=$standby_name" "$standby/data/postgresql.auto.conf" \
        || { echo "error: pg_basebackup -R did not keep application_name in primary_conninfo" >&2; exit 1; }

    for attempt in 1 2 3 4 5; do
        standby_port=$(free_port)
        cat >> "$standby/data/postgresql.conf" <<CONF
port = $standby_port
unix_socket_directories = '$standby/socket'
CONF
        if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w start >/dev/null; then break; fi
        [[ $attempt -eq 5 ]] && { cat "$standby/server.log" >&2; exit 1; }
    done

    # Only now may commits wait for the standby (createdb and the base backup would wait
    # forever before it exists); set on the primary alone, so the promoted standby, which
    # has no standby of its own, never waits for one.
    "${as_pg[@]}" "$pg_bin/psql" -h "$primary/socket" -p "$primary_port" -U tokenstore -d postgres -XqAt \
        -c "ALTER SYSTEM SET synchronous_standby_names = '$standby_name'" -c "SELECT pg_reload_conf()" >/dev/null
    state=""
    for _ in $(seq 1 1200); do
        state=$("${as_pg[@]}" "$pg_bin/psql" -h "$primary/socket" -p "$primary_port" -U tokenstore -d postgres -XAtc \
            "SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '$standby_name'" || true)
        [[ $state == streaming/sync ]] && break
        sleep 0.05
    done
    [[ $state == streaming/sync ]] || { echo "error: the standby is not streaming synchronously ('$state')" >&2; cat "$standby/server.log" >&2; exit 1; }

    failover_control="$1-control"
    cat > "$failover_control" <<CONTROL
#!/usr/bin/env bash
# The failover pair: stop-primary (immediate: a crash) | promote-standby (waits until it
# accepts writes) | status (one line per server).
set -euo pipefail
case "\${1:-}" in
    stop-primary) ${as_pg[*]} "$pg_bin/pg_ctl" -D "$primary/data" -m immediate -w stop >/dev/null ;;
    promote-standby) ${as_pg[*]} "$pg_bin/pg_ctl" -D "$standby/data" -w promote >/dev/null ;;
    status)
        for server in "primary $primary $primary_port" "standby $standby $standby_port"; do
            set -- \$server
            recovery=\$(${as_pg[*]} "$pg_bin/psql" -h "\$2/socket" -p "\$3" -U tokenstore -d postgres -XAtc "SELECT pg_is_in_recovery()" 2>/dev/null || echo down)
            case "\$recovery" in t) role="in recovery (read-only)" ;; f) role="accepts writes" ;; *) role=down ;; esac
            echo "\$1 127.0.0.1:\$3 \$role"
        done
        ${as_pg[*]} "$pg_bin/psql" -h "$primary/socket" -p "$primary_port" -U tokenstore -d postgres -XAtc \\
            "SELECT 'replication ' || application_name || ' ' || state || ' ' || sync_state FROM pg_stat_replication" 2>/dev/null || true ;;
    *) echo "usage: \$0 stop-primary|promote-standby|status" >&2; exit 2 ;;
esac
CONTROL
    chmod 755 "$failover_control"
    failover_url="postgres://tokenstore:$password@127.0.0.1:$primary_port,127.0.0.1:$standby_port/tokenstore?target_session_attrs=read-write"
}
