# Sourced by Scripts/test-servers: throwaway Redis Clusters on loopback.
#
# start_redis_cluster NAME [REPLICAS]: starts 3 primaries and, with REPLICAS 1 (the
# default), 3 replicas in "$work/redis-NAME-1".."-6" (so test-servers' cleanup stops them
# by pid), joins them with `redis-cli --cluster create --cluster-replicas REPLICAS`, waits
# until every node says cluster_state:ok, agrees on the slots and every replica is in sync
# (about 3 s; run clusters in the background, in parallel).
# Then `redis_cluster_url NAME` prints its URL (redis+cluster://tokenstore:PW@..., two
# seeds) and `redis_cluster_control NAME` the path of its control script:
#   nodes                  CLUSTER NODES, as a live node sees it
#   port-of <slot>         the port of the primary serving <slot>
#   kill-primary <slot>    SIGKILL the primary serving <slot>; prints its port
#   wait-failover <slot>   wait (30 s at most) until a live primary serves <slot>; prints its port
#   restart <port>         start a killed node again (it rejoins as a replica)
# Needs free_port, random_password and $work from test-servers.

# A free port whose cluster bus port (port + 10000) is free too, both below the ephemeral
# range (32768 on): the nodes' own outgoing connections take ports there.
cluster_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$(( 10000 + RANDOM % 12000 ))
        if port_is_free "$port" && port_is_free $(( port + 10000 )); then echo "$port"; return 0; fi
    done
    echo "error: no free port found" >&2; return 1
}

# write_cluster_node_conf DIR PORT PASSWORD
write_cluster_node_conf() {
    cat > "$1/redis.conf" <<CONF
bind 127.0.0.1
port $2
dir $1
pidfile $1/redis.pid
logfile $1/server.log
daemonize yes
save ""
appendonly no
repl-diskless-sync-delay 0
shutdown-timeout 0
shutdown-on-sigterm nosave now
cluster-enabled yes
cluster-config-file $1/nodes.conf
cluster-node-timeout 2500
requirepass $3
masterauth $3
user tokenstore on >$3 ~* &* +@all
CONF
}

start_redis_cluster() {
    local name=$1 replicas=${2:-1} password ports=() dir port i
    # A cluster started in the background must not draw the same ports as its sibling.
    RANDOM=$BASHPID
    password=$(random_password)
    for i in $(seq 1 $(( 3 * (1 + replicas) ))); do
        dir="$work/redis-$name-$i"
        mkdir -p "$dir"
        for attempt in 1 2 3 4 5; do
            port=$(cluster_free_port)
            write_cluster_node_conf "$dir" "$port" "$password"
            redis-server "$dir/redis.conf" || { cat "$dir/server.log" >&2; return 1; }
            for _ in $(seq 1 1500); do
                redis-cli --no-auth-warning -a "$password" -p "$port" ping >/dev/null 2>&1 && break 2
                grep -q "aborting" "$dir/server.log" 2>/dev/null && break
                sleep 0.02
            done
            [[ $attempt -eq 5 ]] && { cat "$dir/server.log" >&2; return 1; }
        done
        ports+=("$port")
    done
    local cli=(redis-cli --no-auth-warning -a "$password")
    "${cli[@]}" --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas "$replicas" --cluster-yes \
        >"$work/redis-$name-1/create.log" 2>&1 || { cat "$work/redis-$name-1/create.log" >&2; return 1; }
    # Ready: every node ok and showing the same slot owners, every replica in sync.
    local ready slots first
    for _ in $(seq 1 1200); do
        ready=1 first=""
        for port in "${ports[@]}"; do
            "${cli[@]}" -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || { ready=0; break; }
            slots=$("${cli[@]}" -p "$port" cluster nodes 2>/dev/null | awk '$3 ~ /master/ {print $2, $9, $10, $11}' | sort)
            [[ -z "$first" ]] && first=$slots
            [[ "$slots" == "$first" && $(wc -l <<<"$slots") -eq 3 ]] || { ready=0; break; }
            if "${cli[@]}" -p "$port" role 2>/dev/null | head -n 1 | grep -q slave; then
                "${cli[@]}" -p "$port" info replication | grep -q '^master_link_status:up' || { ready=0; break; }
            fi
        done
        [[ $ready -eq 1 ]] && break
        sleep 0.05
    done
    [[ $ready -eq 1 ]] || { echo "error: redis cluster $name did not become ready" >&2; return 1; }

    echo "redis+cluster://tokenstore:$password@127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}/0" > "$work/redis-$name-1/url"
    redis_cluster_control="$work/redis-$name-1/cluster-control"
    cat > "$redis_cluster_control" <<CONTROL
#!/usr/bin/env bash
# Controls the throwaway Redis Cluster $name (see Scripts/lib/redis-cluster.sh).
set -euo pipefail
ports=(${ports[*]})
cli() { redis-cli --no-auth-warning -a "$password" "\$@"; }
live() { for p in "\${ports[@]}"; do cli -p "\$p" ping >/dev/null 2>&1 && { echo "\$p"; return 0; }; done; return 1; }
dir_of() { for i in "\${!ports[@]}"; do [[ "\${ports[\$i]}" == "\$1" ]] && { echo "$work/redis-$name-\$((i + 1))"; return 0; }; done; return 1; }
# The primary serving slot \$2 as node \$1 sees it (empty when none, or when it is marked failed).
owner() {
    cli -p "\$1" cluster nodes | awk -v s="\$2" '\$3 ~ /master/ && \$3 !~ /fail/ {
        for (i = 9; i <= NF; i++) { n = split(\$i, r, "-"); lo = r[1]; hi = (n > 1) ? r[2] : r[1];
            if (\$i !~ /^\[/ && s + 0 >= lo + 0 && s + 0 <= hi + 0) { split(\$2, a, "[:@]"); print a[2]; exit } } }'
}
case "\${1:-}" in
    nodes) cli -p "\$(live)" cluster nodes ;;
    port-of) owner "\$(live)" "\$2" ;;
    kill-primary)
        port=\$(owner "\$(live)" "\$2"); dir=\$(dir_of "\$port")
        kill -KILL "\$(cat "\$dir/redis.pid")"; rm -f "\$dir/redis.pid"; echo "\$port" ;;
    wait-failover)
        for _ in \$(seq 1 600); do
            p=\$(live); port=\$(owner "\$p" "\$2")
            if [[ -n "\$port" ]] && cli -p "\$port" role 2>/dev/null | head -n 1 | grep -q master; then echo "\$port"; exit 0; fi
            sleep 0.05
        done
        echo "no failover for slot \$2" >&2; exit 1 ;;
    restart) redis-server "\$(dir_of "\$2")/redis.conf" ;;
    *) echo "usage: \$0 nodes | port-of SLOT | kill-primary SLOT | wait-failover SLOT | restart PORT" >&2; exit 2 ;;
esac
CONTROL
    chmod 755 "$redis_cluster_control"
}

redis_cluster_url() { cat "$work/redis-$1-1/url"; }
redis_cluster_control() { echo "$work/redis-$1-1/cluster-control"; }
