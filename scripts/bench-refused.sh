#!/usr/bin/env bash
# bench-refused.sh — server CPU per REFUSED connection: a client that connects without a
# client certificate, as anyone who finds an origin's address can, over and over.
#
# Servers, one at a time, ONE worker pinned to core 0; pullguard-bench on core 1, no client
# certificate, TLS 1.3, X25519, a new connection each time (--mode full, --insecure):
#   pullguard            no client_ips: refused in the handshake (certificate_required alert)
#                        after the server's whole first flight; logs one line per refusal
#   pullguard-quiet      the same with log_level: error (no refusal line)
#   pullguard-allowlist  client_ips: [127.0.0.2/32], the bench connects from 127.0.0.1:
#                        closed at accept, no TLS byte read or written
#   nginx                ssl_verify_client on: the handshake completes, the request gets 400
#   nginx-deny           the same plus `deny all;` (nginx's allow-list runs after the handshake)
#   haproxy              `verify required`: refused in the handshake
#   haproxy-reject       the same plus `tcp-request connection reject if !{ src 127.0.0.2 }`
# The figure is the server's CPU (utime+stime of the worker) divided by every connection
# the bench finished in the measured window, refused or not: pullguard-bench counts a
# connection closed before any TLS byte as a `connect` failure, never waits on it.
#
# Everything listens on 127.0.0.1; each server is stopped by its PID. Quote only ratios
# from one run: the machine is shared.
#
# Usage: scripts/bench-refused.sh [--duration S] [--warmup S] [--concurrency N]
#            [--pullguard BIN] [--bench BIN] [--servers LIST] [--keep-workdir]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=5
warmup=1
concurrency=16
pullguard_bin="$repo_root/.build/release/pullguard"
bench_bin="$repo_root/.build/release/pullguard-bench"
servers_csv=pullguard,pullguard-quiet,pullguard-allowlist,nginx,nginx-deny,haproxy,haproxy-reject
keep_workdir=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --concurrency) concurrency=$2; shift ;;
        --pullguard) pullguard_bin=$2; shift ;;
        --bench) bench_bin=$2; shift ;;
        --servers) servers_csv=$2; shift ;;
        --keep-workdir) keep_workdir=1 ;;
        -h|--help) sed -n 2,24p "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for tool in openssl python3 taskset timeout nginx haproxy; do
    command -v "$tool" >/dev/null || { echo "bench-refused: $tool is required" >&2; exit 1; }
done
[ -x "$pullguard_bin" ] || { echo "bench-refused: no $pullguard_bin (make release)" >&2; exit 1; }
[ -x "$bench_bin" ] || { echo "bench-refused: no $bench_bin (make release)" >&2; exit 1; }

workdir=$(mktemp -d /tmp/pullguard-bench-refused.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ "$keep_workdir" = 1 ] && echo "bench-refused: kept $workdir" >&2 || rm -rf "$workdir"
}
trap cleanup EXIT
log() { echo "bench-refused: $*" >&2; }

# The PKI: a root and a server leaf (ECDSA P-256). No client certificate: nobody here has one.
(
    cd "$workdir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
        -subj "/CN=bench-refused root" -days 2 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
        -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA root.pem -CAkey root.key -CAcreateserial -out server.pem -days 2 \
        -extfile server.ext 2>/dev/null
    cat server.pem server.key >server-combined.pem
)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # name port -> sets server_pid and target_pid
    local name=$1 port=$2 dir="$workdir/$1"
    mkdir -p "$dir/tmp"
    case "$name" in
        pullguard*)
            local extra="log_level: info"
            [ "$name" = pullguard-quiet ] && extra="log_level: error"
            [ "$name" = pullguard-allowlist ] && extra=$'log_level: info\nclient_ips: [127.0.0.2/32]'
            cat >"$dir/config.yaml" <<EOF
listen: 127.0.0.1:$port
workers: 1
admin: off
$extra
sites:
  - name: origin
    certificates: [{cert: $workdir/server.pem, key: $workdir/server.key}]
    upstream: http://127.0.0.1:9
    client_auth: {trust: [$workdir/root.pem]}
EOF
            taskset -c 0 "$pullguard_bin" run --config "$dir/config.yaml" >"$dir/stdout.log" 2>"$dir/stderr.log" &
            server_pid=$!
            target_pid=$server_pid
            ;;
        nginx*)
            local deny=""
            [ "$name" = nginx-deny ] && deny="deny all;"
            cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl backlog=4096;
        server_name localhost;
        ssl_certificate $workdir/server.pem;
        ssl_certificate_key $workdir/server.key;
        ssl_client_certificate $workdir/root.pem;
        ssl_verify_client on;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ecdh_curve X25519:prime256v1;
        ssl_session_tickets off;
        $deny
        location / { return 200 "ok\n"; }
    }
}
EOF
            taskset -c 0 nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
            server_pid=$!
            ;;
        haproxy*)
            local reject=""
            [ "$name" = haproxy-reject ] && reject="tcp-request connection reject if !{ src 127.0.0.2 }"
            cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 9000
    ssl-default-bind-options ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 no-tls-tickets
    ssl-default-bind-curves X25519:P-256
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:$port ssl crt $workdir/server-combined.pem ca-file $workdir/root.pem verify required
    $reject
    http-request return status 200 content-type text/plain string ok
EOF
            taskset -c 0 haproxy -db -f "$dir/haproxy.cfg" >"$dir/stdout.log" 2>&1 &
            server_pid=$!
            target_pid=$server_pid
            ;;
    esac
    local i
    for i in $(seq 1 100); do
        # Up when the port accepts a TCP connection.
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" \
            2>/dev/null && break
        sleep 0.1
    done
    if [[ $name == nginx* ]]; then
        target_pid=$(ps -o pid= --ppid "$server_pid" | tr -d ' ')
        [ "$(wc -w <<<"$target_pid")" = 1 ] || { log "nginx: expected one worker, found: $target_pid"; exit 1; }
    fi
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

IFS=, read -r -a servers <<<"$servers_csv"
printf '%-20s %12s %14s %10s  %s\n' server "finished/s" "CPU us/conn" "kernel us" "outcomes" >&2
results=()
for name in "${servers[@]}"; do
    port=$(free_port)
    start_server "$name" "$port"
    out="$workdir/$name.json"
    rc=0
    timeout --kill-after=5 $((warmup + duration + 60)) taskset -c 1 "$bench_bin" --url "https://127.0.0.1:$port/" \
        --sni localhost --insecure --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
        --tls 1.3 --groups X25519 --mode full --timeout 5 --json --target-pid "$target_pid" \
        >"$out" 2>"$out.stderr" || rc=$?
    stop_server
    line=$(python3 - "$out" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
finished = d["connections_ok"] + d["connections_failed"]
cpu = d["target_cpu_s"] * 1e6 / finished if finished else float("nan")
kernel = d["target_kernel_cpu_s"] * 1e6 / finished if finished and d["target_kernel_cpu_s"] is not None else float("nan")
outcomes = ", ".join(f"{k} {v}" for k, v in sorted(d["errors"].items()))
if d["connections_ok"]:
    outcomes = f"ok {d['connections_ok']}" + (", " + outcomes if outcomes else "")
print(f"{sys.argv[2]:<20} {finished / d['duration_s']:>12.0f} {cpu:>14.1f} {kernel:>10.1f}  {outcomes}")
PY
) || { log "$name: no report (bench exit $rc): $(tail -n 3 "$out.stderr")"; continue; }
    echo "$line" >&2
    results+=("$line")
done
printf '%s\n' "${results[@]}"
