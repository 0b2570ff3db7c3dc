#!/usr/bin/env bash
# bench-compare.sh — PullGuard side by side with nginx, HAProxy and Caddy (Debian's
# packages) on this machine, all doing the same mTLS reverse-proxy work.
#
# What it does, in order:
#   1. Installs nginx-light, haproxy, caddy, openssl, curl, python3 (apt-get, as
#      root; otherwise prints the apt-get line and exits 1). A policy-rc.d that
#      answers 101 keeps Debian from starting the packages' services; any service
#      the install started anyway is stopped (systemctl, or by the PID in its /run
#      pid file when that PID did not exist before the install).
#   2. Builds pullguard, pullguard-bench and pullguard-handshake-microbench in release
#      mode with the Swift runtime linked in, as `make release` does (swift build -c
#      release --static-swift-stdlib).
#   3. Makes a private PKI in a temp dir (openssl, all ECDSA P-256): root CA, server
#      leaf (CN/SAN localhost, serverAuth), client leaf (clientAuth); plus a client
#      under an unrelated root, to prove that verification happens.
#   4. Starts one upstream (a tiny nginx answering "200 ok", own prefix, core 1).
#   5. For each round, for each server (PullGuard, nginx, HAProxy, Caddy), one at a
#      time: starts it with ONE worker on core 0 (bench/*.template), checks with
#      curl that it answers 200 "ok" with the client certificate and refuses without
#      one and with an untrusted one, runs the scenarios with pullguard-bench on
#      core 1 (--target-pid = the server's worker), stops it by PID.
#        full       new connection, full handshake, one request
#        resume     resumed handshake, one request
#        keepalive  100 requests per connection (HTTP/1.1)
#      Rounds interleave the servers so drift on this shared machine hits all alike;
#      the table shows the median over rounds.
#   6. Memory: opens --idle-connections established mTLS connections (handshake +
#      one keep-alive request each, bench/idle_conns.py) to PullGuard and to nginx
#      and reports the growth of the server's RSS divided by the connection count.
#   7. The floor: PullGuard's TLS layer alone, in memory (pullguard-handshake-microbench,
#      core 0), per full and resumed handshake.
#   8. Prints one table and writes it, with the machine description, versions, the
#      targets as a met/not-met checklist and each target beside its floor (kernel
#      time per connection + the TLS layer alone), into a section of BENCHMARKS.md.
#      Only measured numbers are written; nothing in --check-only / --dry-run.
#
# Everything listens on 127.0.0.1 only; every process the script starts is stopped
# by its PID on exit (trap EXIT). Each bench run is bounded by `timeout`.
#
# Usage: scripts/bench-compare.sh [options]     (--help for the list)
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/bench-compare.sh [options]

Modes (default: full measurement):
  --check-only            start each server, verify 200 with the client certificate
                          and refusal without / with an untrusted one, stop it; no load
  --dry-run               the whole orchestration (rounds, servers, scenarios, memory
                          opener) with a curl loop instead of pullguard-bench; prints
                          the bench command lines it would run; writes nothing
                          (memory opener at 200 connections unless --idle-connections)

Options:
  --duration S            seconds per measurement (default 10)
  --warmup S              warm-up seconds per measurement (default 2)
  --rounds R              interleaved rounds; the median is reported (default 3)
  --concurrency N         connections in flight (default 32)
  --capacity-concurrency N  connections in flight for the bench-capacity check (default 64)
  --tls 1.2|1.3           TLS version for the load (default 1.3)
  --groups LIST           ECDHE groups for the load (default X25519)
  --idle-connections N    connections for the memory figure (default 10000; 0 skips)
  --servers LIST          comma list out of pullguard,nginx,haproxy,caddy (default all)
  --scenarios LIST        comma list out of full,resume,keepalive,h2 (default all); h2 is
                          HTTP/2: --http 2 --streams 10 --requests-per-connection 100
  --output FILE           results file (default BENCHMARKS.md at the repository root)
  --no-install            do not run apt-get (fail if something is missing)
  --no-build              use the existing release binaries
  --bench-bin PATH        use this pullguard-bench binary instead of building it
  --baseline PATH         also measure this (older) pullguard binary as server
                          "baseline", alternating with the new one in every round:
                          the A/B for a change (table rows "PullGuard (baseline)")
  --access-log            also measure PullGuard with its access log on (a file in the
                          work dir) as server "pullguard-log", right after "pullguard"
                          in every round: the access log's cost, on ÷ off per round
  --insecure-load         pullguard-bench does not verify the server (--insecure): less
                          load-generator CPU, same server work (curl checks still verify)
  --identity-headers      nginx, HAProxy and Caddy also send the upstream what PullGuard
                          sends by default (X-Forwarded-*, the verdict and certificate
                          fields, a request id: bench/identity-headers.*), so that every
                          server does the same work per request; without it they add none.
                          The HTTP/2 target is read on such a run (docs/benchmarking.md)
  --keep-workdir          keep the temp dir (configs, logs, raw JSON) for inspection
  -h, --help              this text
EOF
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_dir="$repo_root/bench"

mode=measure
duration=10
warmup=2
rounds=3
concurrency=32
capacity_concurrency=64
tls_version=1.3
groups=X25519
idle_connections=10000
idle_set=0
servers_csv=pullguard,nginx,haproxy,caddy
scenarios_csv=full,resume,keepalive,h2
output="$repo_root/BENCHMARKS.md"
do_install=1
do_build=1
keep_workdir=0
bench_override=""
baseline_bin=""
access_log_ab=0
insecure_load=0
identity_headers=0

while [ $# -gt 0 ]; do
    case "$1" in
        --check-only) mode=check ;;
        --dry-run) mode=dry ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --concurrency) concurrency=$2; shift ;;
        --capacity-concurrency) capacity_concurrency=$2; shift ;;
        --tls) tls_version=$2; shift ;;
        --groups) groups=$2; shift ;;
        --idle-connections) idle_connections=$2; idle_set=1; shift ;;
        --servers) servers_csv=$2; shift ;;
        --scenarios) scenarios_csv=$2; shift ;;
        --output) output=$2; shift ;;
        --no-install) do_install=0 ;;
        --no-build) do_build=0 ;;
        --bench-bin) bench_override=$2; shift ;;
        --baseline) baseline_bin=$2; shift ;;
        --access-log) access_log_ab=1 ;;
        --insecure-load) insecure_load=1 ;;
        --identity-headers) identity_headers=1 ;;
        --keep-workdir) keep_workdir=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-compare: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# A dry run proves the memory opener at a small N unless told otherwise (its figures are printed, not written).
[ "$mode" = dry ] && [ "$idle_set" = 0 ] && idle_connections=200
for number in "$duration" "$warmup" "$rounds" "$concurrency" "$idle_connections"; do
    [[ "$number" =~ ^[0-9]+$ ]] || { echo "bench-compare: not a whole number: $number" >&2; exit 2; }
done
[ "$rounds" -ge 1 ] && [ "$duration" -ge 1 ] || { echo "bench-compare: --rounds and --duration must be >= 1" >&2; exit 2; }
case "$tls_version" in 1.2|1.3) ;; *) echo "bench-compare: --tls 1.2 or 1.3" >&2; exit 2 ;; esac
IFS=, read -r -a servers <<<"$servers_csv"
IFS=, read -r -a scenarios <<<"$scenarios_csv"
for s in "${servers[@]}"; do case "$s" in pullguard|nginx|haproxy|caddy) ;; *) echo "bench-compare: unknown server $s" >&2; exit 2 ;; esac; done
if [ -n "$baseline_bin" ]; then
    [ -x "$baseline_bin" ] || { echo "bench-compare: --baseline $baseline_bin is not an executable" >&2; exit 2; }
    baseline_bin=$(cd "$(dirname "$baseline_bin")" && pwd)/$(basename "$baseline_bin")
    # Right behind the new binary, so each round measures them back to back.
    with_baseline=()
    for s in "${servers[@]}"; do with_baseline+=("$s"); [ "$s" = pullguard ] && with_baseline+=(baseline); done
    servers=("${with_baseline[@]}")
    servers_csv=$(IFS=,; echo "${servers[*]}")
fi
if [ "$access_log_ab" = 1 ]; then
    [ -z "$baseline_bin" ] || { echo "bench-compare: --access-log and --baseline are two A/Bs; run them one at a time" >&2; exit 2; }
    with_log=()
    for s in "${servers[@]}"; do with_log+=("$s"); [ "$s" = pullguard ] && with_log+=(pullguard-log); done
    servers=("${with_log[@]}")
    servers_csv=$(IFS=,; echo "${servers[*]}")
fi
for s in "${scenarios[@]}"; do case "$s" in full|resume|keepalive|h2) ;; *) echo "bench-compare: unknown scenario $s" >&2; exit 2 ;; esac; done

log() { printf 'bench-compare: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup: every process we start goes into started_pids and is stopped by PID.
# ---------------------------------------------------------------------------
started_pids=()
workdir=""
policy_backup=""
policy_installed=0

stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

restore_policy_rc() {
    if [ "$policy_installed" = 1 ]; then
        if [ -n "$policy_backup" ]; then mv -f "$policy_backup" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
        policy_installed=0
    fi
}

cleanup() {
    local status=$? pid
    set +e
    restore_policy_rc
    for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
    if [ -n "$workdir" ] && [ -d "$workdir" ]; then
        if [ "$keep_workdir" = 1 ] || [ "$status" -ne 0 ]; then
            log "work dir kept: $workdir"
        else
            rm -rf "$workdir"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------
# command -> Debian package: nginx always (it is the upstream), HAProxy and Caddy when measured.
declare -A package_for=([nginx]=nginx-light [openssl]=openssl
                        [curl]=curl [python3]=python3 [taskset]=util-linux [timeout]=coreutils [ps]=procps)
for s in "${servers[@]}"; do
    case "$s" in haproxy) package_for[haproxy]=haproxy ;; caddy) package_for[caddy]=caddy ;; esac
done

# PIDs of running nginx/haproxy/caddy binaries (by /proc/PID/exe), to tell apart
# what an install starts from what was already running.
server_binary_pids() {
    local exe pid
    for exe in /proc/[0-9]*/exe; do
        pid=${exe#/proc/}; pid=${pid%/exe}
        case "$(readlink "$exe" 2>/dev/null)" in
            */nginx|*/haproxy|*/caddy) echo "$pid" ;;
        esac
    done
}

install_packages() {
    local missing=() command pkg
    for command in "${!package_for[@]}"; do
        command -v "$command" >/dev/null 2>&1 || missing+=("${package_for[$command]}")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local line="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ] || [ "$do_install" = 0 ]; then
        log "missing packages; run (as root, with no service start):"
        echo "  apt-get update && $line" >&2
        exit 1
    fi
    log "installing ${missing[*]} (services kept from starting)"
    local before active_before=()
    before=$(server_binary_pids | sort)
    if [ -d /run/systemd/system ]; then
        for pkg in nginx haproxy caddy; do
            systemctl is-active --quiet "$pkg" 2>/dev/null && active_before+=("$pkg")
        done
    fi
    # policy-rc.d exit 101 = "action forbidden": invoke-rc.d / deb-systemd-invoke start nothing.
    if [ -e /usr/sbin/policy-rc.d ]; then
        policy_backup=$(mktemp /usr/sbin/policy-rc.d.bench-compare.XXXXXX)
        cp -p /usr/sbin/policy-rc.d "$policy_backup"
    fi
    policy_installed=1
    printf '#!/bin/sh\n# bench-compare.sh: no service starts during its apt-get install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    restore_policy_rc
    # Belt and braces: stop whatever the install started anyway.
    if [ -d /run/systemd/system ]; then
        for pkg in nginx haproxy caddy; do
            [[ " ${active_before[*]} " == *" $pkg "* ]] && continue
            systemctl is-active --quiet "$pkg" 2>/dev/null && { log "stopping $pkg.service started by the install"; systemctl stop "$pkg"; }
        done
    fi
    local pidfile pid
    for pidfile in /run/nginx.pid /run/haproxy.pid /run/caddy/caddy.pid; do
        [ -r "$pidfile" ] || continue
        pid=$(head -n1 "$pidfile" | tr -dc 0-9)
        [ -n "$pid" ] || continue
        if ! grep -qx "$pid" <<<"$before" && [[ "$(readlink /proc/"$pid"/exe 2>/dev/null)" =~ /(nginx|haproxy|caddy)$ ]]; then
            log "stopping PID $pid (from $pidfile) started by the install"
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
}

# ---------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------
n_servers=${#servers[@]}
n_scenarios=${#scenarios[@]}
memory_servers=()
for s in pullguard nginx; do [[ " ${servers[*]} " == *" $s "* ]] && memory_servers+=("$s"); done
case "$mode" in
    check) estimate=$((n_servers * 5)) ;;
    dry) estimate=$((rounds * n_servers * (5 + n_scenarios * 3) + ${#memory_servers[@]} * 10)) ;;
    *) # per measurement: warm-up + duration + ~3 s set-up; per server start ~5 s; memory ~N/300 s + 10 s
       estimate=$((rounds * n_servers * (5 + n_scenarios * (warmup + duration + 3)))); 
       [ "$idle_connections" -gt 0 ] && estimate=$((estimate + ${#memory_servers[@]} * (idle_connections / 300 + 15))) ;;
esac
log "mode $mode; servers ${servers[*]}; scenarios ${scenarios[*]}; rounds $rounds; duration ${duration}s"
log "estimated time after install and build: ~$((estimate / 60)) min $((estimate % 60)) s"

install_packages
for command in "${!package_for[@]}"; do
    command -v "$command" >/dev/null 2>&1 || die "$command not found"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on core 0, load and upstream on core 1)"

# Open files: the memory test holds 10,000+ connections in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$idle_connections" -gt 0 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle_connections + 1000)) ]; then
    die "open-file limit $(ulimit -n) too low for --idle-connections $idle_connections (raise the hard limit or pass a smaller N)"
fi

# ---------------------------------------------------------------------------
# 2. Build
# ---------------------------------------------------------------------------
cd "$repo_root"
# The commit the measured binaries are built from, recorded now: the tree may move on
# during a ten-minute run.
built_commit="$(git -C "$repo_root" rev-parse HEAD)"
git -C "$repo_root" diff --quiet HEAD -- Sources Package.swift || built_commit="$built_commit (with uncommitted changes)"
need_bench=0
[ "$mode" = measure ] && need_bench=1
# The Makefile's RELEASE_FLAGS: the binaries measured are the ones `make install` ships.
release_build=(swift build -c release --static-swift-stdlib)
if [ "$do_build" = 1 ]; then
    log "building pullguard (release)"
    "${release_build[@]}" --product pullguard >&2
    if [ "$need_bench" = 1 ] && [ -z "$bench_override" ]; then
        grep -q '"pullguard-bench"' Package.swift \
            || die "product pullguard-bench is not in Package.swift on this branch yet (use --dry-run or --check-only)"
        log "building pullguard-bench (release)"
        "${release_build[@]}" --product pullguard-bench >&2
        log "building pullguard-handshake-microbench (release)"
        "${release_build[@]}" --product pullguard-handshake-microbench >&2
    fi
fi
bin_dir=$("${release_build[@]}" --show-bin-path)
pullguard_bin="$bin_dir/pullguard"
bench_bin=${bench_override:-"$bin_dir/pullguard-bench"}
microbench_bin="$bin_dir/pullguard-handshake-microbench"
[ -x "$pullguard_bin" ] || die "$pullguard_bin missing (build with: ${release_build[*]} --product pullguard)"
if [ "$need_bench" = 1 ]; then [ -x "$bench_bin" ] || die "$bench_bin missing"; fi

# ---------------------------------------------------------------------------
# 3. Work dir and PKI
# ---------------------------------------------------------------------------
workdir=$(mktemp -d /tmp/pullguard-bench-compare.XXXXXX)
certs="$workdir/certs"
mkdir -p "$certs" "$workdir/results"
log "work dir $workdir"

make_pki() {
    local d=$certs
    (
        cd "$d"
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
        openssl req -x509 -new -key root.key -sha256 -days 7 -subj "/CN=PullGuard bench root" \
            -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.pem 2>/dev/null
        leaf() { # name cn eku san
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
            openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
            {
                echo "basicConstraints=critical,CA:FALSE"
                echo "keyUsage=critical,digitalSignature"
                echo "extendedKeyUsage=$3"
                [ -n "$4" ] && echo "subjectAltName=$4"
            } >"$1.ext"
            openssl x509 -req -in "$1.csr" -CA "${5:-root}.pem" -CAkey "${5:-root}.key" -CAcreateserial \
                -days 7 -sha256 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
        }
        leaf server localhost serverAuth "DNS:localhost,IP:127.0.0.1"
        leaf client pullguard-bench-client clientAuth ""
        # An unrelated root and a client under it: must be refused everywhere.
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out rogue-root.key 2>/dev/null
        openssl req -x509 -new -key rogue-root.key -sha256 -days 7 -subj "/CN=Rogue root" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" -out rogue-root.pem 2>/dev/null
        leaf rogue-client rogue-client clientAuth "" rogue-root
        cat server.pem server.key >server-combined.pem
        openssl verify -CAfile root.pem server.pem client.pem >/dev/null
    )
}
make_pki

# Free loopback ports, chosen once.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
read -r upstream_port pullguard_port nginx_port haproxy_port caddy_port baseline_port log_port <<<"$(free_ports 7)"
declare -A port_of=([pullguard]=$pullguard_port [nginx]=$nginx_port [haproxy]=$haproxy_port [caddy]=$caddy_port
                    [baseline]=$baseline_port [pullguard-log]=$log_port)

# Same protocol policy as PullGuard (Sources/PullGuard/TLS/TLSProtocolPolicy.swift).
tls12_ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
tls13_suites="TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

render() { # template dir port -> stdout
    # The line @IDENTITY_HEADERS@ becomes the server's identity-header directives
    # (--identity-headers) or nothing.
    local snippet=/dev/null
    if [ "$identity_headers" = 1 ]; then
        case "$1" in
            nginx.conf.template) snippet="$bench_dir/identity-headers.nginx" ;;
            haproxy.cfg.template) snippet="$bench_dir/identity-headers.haproxy" ;;
            Caddyfile.template) snippet="$bench_dir/identity-headers.caddy" ;;
        esac
    fi
    sed -e "s#@DIR@#$2#g" -e "s#@CERTS@#$certs#g" -e "s#@PORT@#$3#g" -e "s#@UPSTREAM_PORT@#$upstream_port#g" \
        -e "s#@TLS12_CIPHERS@#$tls12_ciphers#g" -e "s#@TLS13_SUITES@#$tls13_suites#g" \
        -e "/^@IDENTITY_HEADERS@\$/r $snippet" -e "/^@IDENTITY_HEADERS@\$/d" "$bench_dir/$1"
}

# Sum of utime+stime (clock ticks) over PIDs (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
    local total=0 pid fields
    for pid in "$@"; do
        # After the ")" that ends the command name, utime and stime are fields 12 and 13.
        fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
        total=$((total + $(awk '{print $12 + $13}' <<<"$fields")))
    done
    echo "$total"
}

# ---------------------------------------------------------------------------
# 4. Upstream
# ---------------------------------------------------------------------------
start_upstream() {
    local dir="$workdir/upstream"
    mkdir -p "$dir/tmp"
    render upstream-nginx.conf.template "$dir" 0 >"$dir/nginx.conf"
    nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || die "upstream nginx config invalid"
    taskset -c 1 nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
    upstream_pid=$!
    started_pids+=("$upstream_pid")
    local i
    for i in $(seq 1 50); do
        [ "$(curl -s --max-time 2 "http://127.0.0.1:$upstream_port/" 2>/dev/null)" = ok ] && { log "upstream up on 127.0.0.1:$upstream_port (PID $upstream_pid, core 1)"; return 0; }
        kill -0 "$upstream_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$dir/error.log" >&2 2>/dev/null || true
    die "upstream did not come up"
}

# ---------------------------------------------------------------------------
# 5. Servers under test
# ---------------------------------------------------------------------------
server_pid=""      # the process we started (nginx: master)
target_pid=""      # the process doing the work (nginx: its single worker)
server_all_pids=() # every process of the server (RSS and CPU sums)

curl_mtls() { # port [extra curl args] -> prints "http_code exit_code"; body in $workdir/body
    local port=$1; shift
    local code rc=0
    code=$(curl -s -o "$workdir/body" -w '%{http_code}' --max-time 5 --cacert "$certs/root.pem" \
        --resolve "localhost:$port:127.0.0.1" "$@" "https://localhost:$port/" 2>/dev/null) || rc=$?
    echo "${code:-000} $rc"
}

start_server() { # name
    local name=$1 port=${port_of[$1]} dir="$workdir/$1"
    mkdir -p "$dir/tmp"
    : >"$workdir/body"
    case "$name" in
        pullguard|baseline|pullguard-log)
            local binary=$pullguard_bin
            [ "$name" = baseline ] && binary=$baseline_bin
            # The access log on a file, as an operator would run it (not /dev/null: the
            # writes are part of the cost); removed when the server stops.
            local access_log=()
            [ "$name" = pullguard-log ] && access_log=(--access-log "$dir/access.log")
            # The admin listener (default 127.0.0.1:9901) is off: two servers run side by side,
            # and scraping is not what is measured. Older binaries have no --admin flag.
            local admin=()
            "$binary" run --help 2>/dev/null | grep -q -- '--admin' && admin=(--admin off)
            taskset -c 0 "$binary" run --listen "127.0.0.1:$port" --upstream "http://127.0.0.1:$upstream_port" \
                --cert "$certs/server.pem" --key "$certs/server.key" --client-ca "$certs/root.pem" \
                --verify-depth 1 --workers 1 --log-level warning "${admin[@]}" "${access_log[@]}" \
                >"$dir/stdout.log" 2>"$dir/stderr.log" &
            server_pid=$! ;;
        nginx)
            render nginx.conf.template "$dir" "$port" >"$dir/nginx.conf"
            nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || die "nginx config invalid"
            taskset -c 0 nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
            server_pid=$! ;;
        haproxy)
            render haproxy.cfg.template "$dir" "$port" >"$dir/haproxy.cfg"
            haproxy -c -q -f "$dir/haproxy.cfg" || die "haproxy config invalid"
            taskset -c 0 haproxy -db -f "$dir/haproxy.cfg" >"$dir/stdout.log" 2>&1 &
            server_pid=$! ;;
        caddy)
            render Caddyfile.template "$dir" "$port" >"$dir/Caddyfile"
            XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" HOME="$dir" \
                caddy validate --config "$dir/Caddyfile" --adapter caddyfile >"$dir/validate.log" 2>&1 \
                || { cat "$dir/validate.log" >&2; die "Caddyfile invalid"; }
            GOMAXPROCS=1 XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" HOME="$dir" \
                taskset -c 0 caddy run --config "$dir/Caddyfile" --adapter caddyfile >"$dir/stdout.log" 2>&1 &
            server_pid=$! ;;
    esac
    started_pids+=("$server_pid")
    local i result
    for i in $(seq 1 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        result=$(curl_mtls "$port" --cert "$certs/client.pem" --key "$certs/client.key")
        [ "${result%% *}" = 200 ] && break
        sleep 0.2
    done
    if ! kill -0 "$server_pid" 2>/dev/null || [ "${result%% *}" != 200 ]; then
        tail -n 20 "$dir"/*.log >&2 2>/dev/null || true
        die "$name did not come up on 127.0.0.1:$port"
    fi
    target_pid=$server_pid
    server_all_pids=("$server_pid")
    [ "$(taskset -pc "$server_pid" | sed 's/.*: *//')" = 0 ] || die "$name is not pinned to core 0"
    if [ "$name" = nginx ]; then
        local workers
        workers=$(ps -o pid= --ppid "$server_pid" | tr -d ' ')
        [ "$(wc -w <<<"$workers")" = 1 ] || die "nginx: expected one worker, found: $workers"
        target_pid=$workers
        server_all_pids+=("$workers")
    fi
}

# The check: 200 "ok" with the client certificate (TLS 1.2 and 1.3), refused
# without one and with a client certificate from an unrelated root.
check_server() { # name
    local name=$1 port=${port_of[$1]} version result ok=1 how
    for version in 1.2 1.3; do
        local pin=(--tlsv1.2 --tls-max 1.2)
        [ "$version" = 1.3 ] && pin=(--tlsv1.3 --tls-max 1.3)
        result=$(curl_mtls "$port" "${pin[@]}" --cert "$certs/client.pem" --key "$certs/client.key")
        if [ "${result%% *}" = 200 ] && [ "$(cat "$workdir/body")" = ok ]; then
            log "  $name TLS $version with client certificate: 200 ok"
        else
            log "  $name TLS $version with client certificate: FAILED (http ${result%% *}, curl exit ${result##* }, body '$(head -c 80 "$workdir/body")')"
            ok=0
        fi
    done
    # HTTP/2: only reported (a server without h2 is still measured in the other scenarios;
    # its h2 row then shows the bench's h2_alpn error class).
    if [[ " ${scenarios[*]} " == *" h2 "* ]]; then
        local h2
        h2=$(curl -s -o "$workdir/body" -w '%{http_code} %{http_version}' --max-time 5 --http2 --cacert "$certs/root.pem" \
            --resolve "localhost:$port:127.0.0.1" --cert "$certs/client.pem" --key "$certs/client.key" \
            "https://localhost:$port/" 2>/dev/null) || true
        if [ "$h2" = "200 2" ]; then
            log "  $name HTTP/2 (ALPN h2) with client certificate: 200"
        else
            log "  $name HTTP/2 (ALPN h2) with client certificate: not negotiated (curl --http2: '${h2:-no answer}'); its h2 row will show the failure"
        fi
    fi
    for how in none rogue; do
        local args=()
        [ "$how" = rogue ] && args=(--cert "$certs/rogue-client.pem" --key "$certs/rogue-client.key")
        result=$(curl_mtls "$port" "${args[@]}")
        local label="without client certificate"
        [ "$how" = rogue ] && label="with untrusted client certificate"
        if [ "${result%% *}" = 200 ]; then
            log "  $name $label: NOT REFUSED (200)"
            ok=0
        elif [ "${result##* }" != 0 ]; then
            log "  $name $label: refused in TLS (curl exit ${result##* })"
        else
            log "  $name $label: refused with HTTP ${result%% *}"
        fi
    done
    [ "$ok" = 1 ]
}

stop_server() {
    stop_pid "$server_pid"
    rm -f "$workdir"/*/access.log
    local remaining=() pid
    for pid in "${started_pids[@]}"; do [ "$pid" = "$server_pid" ] || remaining+=("$pid"); done
    started_pids=("${remaining[@]}")
    server_pid=""
}

# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------
bench_args() { # name scenario -> prints the argument list, one per line
    local name=$1 scenario=$2
    printf '%s\n' --url "https://127.0.0.1:${port_of[$name]}/" --sni localhost \
        --cert "$certs/client.pem" --key "$certs/client.key" \
        $([ "$insecure_load" = 1 ] && echo --insecure || printf '%s\n' --cacert "$certs/root.pem") \
        --concurrency "$concurrency" --duration "$duration" --threads 1 --tls "$tls_version" --groups "$groups" \
        --json --target-pid "$target_pid" --warmup "$warmup"
    # full and resume: one request per connection (the modes' definition); keepalive: 100;
    # h2: 100 per connection over 10 concurrent streams (ALPN h2, keep-alive by definition).
    case "$scenario" in
        h2) printf '%s\n' --http 2 --streams 10 --requests-per-connection 100 ;;
        keepalive) printf '%s\n' --mode keepalive --http 1.1 --requests-per-connection 100 ;;
        *) printf '%s\n' --mode "$scenario" --http 1.1 ;;
    esac
    return 0
}

measure() { # name scenario round
    local name=$1 scenario=$2 round=$3 out="$workdir/results/$1.$2.$3.json"
    local args
    mapfile -t args < <(bench_args "$name" "$scenario")
    if [ "$mode" = dry ]; then
        log "  [dry-run] would run: taskset -c 1 $bench_bin ${args[*]}"
        local i good=0 n=20
        for i in $(seq 1 $n); do
            local result
            result=$(curl_mtls "${port_of[$name]}" --cert "$certs/client.pem" --key "$certs/client.key")
            [ "${result%% *}" = 200 ] && good=$((good + 1))
        done
        log "  [dry-run] $name $scenario round $round: curl stand-in $good/$n answered 200 (no numbers recorded)"
        [ "$good" = "$n" ] || die "$name stopped answering 200"
        return 0
    fi
    local ticks_before ticks_after wall_before wall_after rc=0
    ticks_before=$(cpu_ticks "${server_all_pids[@]}")
    wall_before=$(date +%s.%N)
    timeout --kill-after=5 $((warmup + duration + 60)) taskset -c 1 "$bench_bin" "${args[@]}" \
        >"$out.raw" 2>"$out.stderr" || rc=$?
    wall_after=$(date +%s.%N)
    ticks_after=$(cpu_ticks "${server_all_pids[@]}")
    if [ "$rc" != 0 ] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out.raw" 2>/dev/null; then
        log "  $name $scenario round $round: pullguard-bench failed (exit $rc): $(tail -n 3 "$out.stderr" | tr '\n' ' ')"
        # A run whose connections failed (exit 1) still printed its report: keep it apart,
        # so the table can say why the row has no figures (e.g. h2_alpn:http/1.1 for a
        # server that does not offer HTTP/2) instead of only "not measured".
        if [ "$rc" = 1 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out.raw" 2>/dev/null; then
            cp "$out.raw" "$workdir/results/$name.$scenario.$round.failed"
        fi
        return 0
    fi
    # Keep the bench's JSON and add our own /proc figures (all processes, warm-up included).
    python3 - "$out.raw" "$out" "$name" "$scenario" "$round" "$ticks_before" "$ticks_after" "$wall_before" "$wall_after" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
raw, out, name, scenario, rnd, t0, t1, w0, w1, hz = sys.argv[1:]
data = json.load(open(raw))
data["_server"], data["_scenario"], data["_round"] = name, scenario, int(rnd)
data["_proc_cpu_s_all_processes"] = (int(t1) - int(t0)) / int(hz)
data["_proc_wall_s"] = float(w1) - float(w0)
json.dump(data, open(out, "w"))
EOF
    python3 - "$out" <<'EOF' >&2
import json, sys
d = json.load(open(sys.argv[1]))
print(f"bench-compare:   {d['_server']} {d['_scenario']} round {d['_round']}: "
      f"{d.get('connections_per_s')} conn/s, {d.get('requests_per_s')} req/s, "
      f"p99 {d.get('latency_ms', {}).get('p99')} ms, "
      f"{d.get('target_cpu_us_per_connection')} us/conn, {d.get('target_cpu_us_per_request')} us/req, "
      f"failed {d.get('connections_failed')}")
EOF
}

# The bench's own capacity (the brief: one bench thread must drive one nginx worker to
# >= 95% of a core). Measured apart from the comparison: nginx answers by itself (no
# upstream hop), so only the bench runs on core 1 and only nginx's worker on core 0.
measure_bench_capacity() {
    local dir="$workdir/nginx-direct" port pid worker i rc=0 out="$workdir/results/bench-capacity.json"
    port=$(free_ports 1)
    mkdir -p "$dir/tmp"
    render nginx.conf.template "$dir" "$port" | sed 's#proxy_pass http://backend;#return 200 "ok\\n";#' >"$dir/nginx.conf"
    nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || die "nginx (direct) config invalid"
    taskset -c 0 nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
    pid=$!
    started_pids+=("$pid")
    for i in $(seq 1 50); do
        [ "$(curl_mtls "$port" --cert "$certs/client.pem" --key "$certs/client.key" | cut -d' ' -f1)" = 200 ] && break
        sleep 0.1
    done
    worker=$(ps -o pid= --ppid "$pid" | tr -d ' ')
    log "bench capacity: one bench thread (core 1, concurrency $capacity_concurrency) against nginx answering directly (worker $worker, core 0)"
    timeout --kill-after=5 $((warmup + duration + 60)) taskset -c 1 "$bench_bin" --url "https://127.0.0.1:$port/" --sni localhost \
        --cert "$certs/client.pem" --key "$certs/client.key" \
        $([ "$insecure_load" = 1 ] && echo --insecure || printf '%s\n' --cacert "$certs/root.pem") \
        --concurrency "$capacity_concurrency" --duration "$duration" --threads 1 --tls "$tls_version" --groups "$groups" \
        --mode full --json --target-pid "$worker" --warmup "$warmup" >"$out" 2>"$out.stderr" || rc=$?
    stop_pid "$pid"
    if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null; then
        log "  bench capacity: pullguard-bench failed (exit $rc)"
        rm -f "$out"
        return 0
    fi
    python3 - "$out" <<'PY' >&2
import json, sys
d = json.load(open(sys.argv[1]))
print(f"bench-compare:   bench capacity: {d['connections_per_s']} conn/s, nginx worker busy "
      f"{d['target_cpu_s'] / d['duration_s'] * 100:.1f}% of a core, {d['target_cpu_us_per_connection']} us/conn")
PY
}

measure_memory() { # name
    local name=$1 out="$workdir/results/memory.$1.json" pidargs=() pid rc=0
    for pid in "${server_all_pids[@]}"; do pidargs+=(--pid "$pid"); done
    local n=$idle_connections
    log "  memory: opening $n idle mTLS connections to $name"
    timeout --kill-after=5 $((n / 20 + 120)) taskset -c 1 python3 "$bench_dir/idle_conns.py" \
        --port "${port_of[$name]}" --cafile "$certs/root.pem" --cert "$certs/client.pem" --key "$certs/client.key" \
        "${pidargs[@]}" -n "$n" --timeout $((n / 25 + 60)) >"$out.raw" 2>"$out.stderr" || rc=$?
    if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out.raw" 2>/dev/null; then
        log "  memory $name: opener failed (exit $rc): $(tail -n 3 "$out.stderr" | tr '\n' ' ')"
        return 0
    fi
    python3 - "$out.raw" "$out" "$name" "$mode" <<'EOF' >&2
import json, sys
d = json.load(open(sys.argv[1])); d["_server"] = sys.argv[3]
if sys.argv[4] == "dry":
    d["_dry_run"] = True
json.dump(d, open(sys.argv[2], "w"))
print(f"bench-compare:   memory {sys.argv[3]}: {d['connections_open']}/{d['connections_requested']} open, "
      f"{d['closed_while_idle']} closed while idle, RSS {d['rss_before_kib']} -> {d['rss_after_kib']} KiB, "
      f"{d['kib_per_connection']} KiB/connection, errors {d['errors']}")
EOF
}

# The floor under the CPU targets: PullGuard's TLS layer alone (OpenSSL plus its
# handler, in memory: no sockets, no HTTP) per full and per resumed handshake, on
# core 0 with nothing else running there. summarize.py adds the kernel time each
# connection cost in the comparison; a target below that sum is out of reach of
# any tuning above the TLS library. Three runs of 2,000 handshakes; the median counts.
measure_tls_floor() {
    local out="$workdir/results/tls-floor.json" kind run line
    [ -x "$microbench_bin" ] || { log "tls floor: $microbench_bin missing, not measured"; return 0; }
    : >"$out.raw"
    for kind in full resume; do
        for run in 1 2 3; do
            line=$(timeout --kill-after=5 120 taskset -c 0 "$microbench_bin" "$kind" 2000 "$tls_version" 2>/dev/null) \
                || { log "  tls floor: microbench $kind failed"; continue; }
            echo "$line" >>"$out.raw"
            log "  tls floor: $line"
        done
    done
    python3 - "$out.raw" "$out" <<'PY'
import json, re, sys
runs = {}
for line in open(sys.argv[1]):
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    if "server_cpu_us_per_handshake" in fields:
        runs.setdefault(fields["mode"], []).append(float(fields["server_cpu_us_per_handshake"]))
json.dump(runs, open(sys.argv[2], "w"))
PY
}

# ---------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------
start_upstream
run_start=$(date +%s)

if [ "$mode" = check ]; then
    failed=()
    for name in "${servers[@]}"; do
        log "$name: starting on 127.0.0.1:${port_of[$name]} (core 0, one worker)"
        start_server "$name"
        log "  $name up: PID $server_pid, worker $target_pid"
        check_server "$name" || failed+=("$name")
        stop_server
        log "  $name stopped"
    done
    [ ${#failed[@]} -eq 0 ] || die "check failed for: ${failed[*]}"
    log "check passed for: ${servers[*]} ($(($(date +%s) - run_start)) s)"
    exit 0
fi

# The order of each A/B pair ("pullguard" with "baseline" or "pullguard-log") flips every
# other round: the second server of a pair measured systematically differently from the
# first on this machine, which a fixed order would book as the change's cost.
round_order() { # round -> the servers in this round's order
    local round=$1 i order=("${servers[@]}")
    if [ $((round % 2)) -eq 0 ]; then
        for i in "${!order[@]}"; do
            case "${order[$i]}" in
                baseline|pullguard-log)
                    order[$i]=pullguard
                    order[$((i - 1))]=${servers[$i]} ;;
            esac
        done
    fi
    printf '%s\n' "${order[@]}"
}

for round in $(seq 1 "$rounds"); do
    log "round $round of $rounds"
    mapfile -t this_round < <(round_order "$round")
    for name in "${this_round[@]}"; do
        start_server "$name"
        if check_server "$name"; then
            for scenario in "${scenarios[@]}"; do
                measure "$name" "$scenario" "$round"
            done
        else
            log "  $name failed its check: not measured in round $round"
        fi
        stop_server
    done
done

[ "$mode" = dry ] || [[ " ${servers[*]} " != *" nginx "* ]] || measure_bench_capacity
[ "$mode" = dry ] || [[ " ${servers[*]} " != *" pullguard "* ]] || measure_tls_floor

if [ "$idle_connections" -gt 0 ]; then
    for name in "${memory_servers[@]}"; do
        start_server "$name"
        measure_memory "$name"
        stop_server
    done
fi

log "measurements done in $(($(date +%s) - run_start)) s"
[ "$mode" = dry ] && { log "dry run: nothing written"; exit 0; }

# ---------------------------------------------------------------------------
# 8. Report
# ---------------------------------------------------------------------------
machine_json="$workdir/machine.json"
commit="$built_commit"
python3 - "$machine_json" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -a)" "$(nproc)" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
    "$(nginx -v 2>&1 | sed 's/^nginx version: //')" "$(haproxy -v 2>/dev/null | head -n1 | sed 's/ - https.*//' | grep . || echo 'HAProxy not measured')" \
    "$(caddy version 2>/dev/null | head -n1 | grep . || echo 'not measured')" "$(openssl version)" "$(swift --version 2>/dev/null | head -n1)" \
    "$commit" \
    "duration ${duration} s + warm-up ${warmup} s per measurement, ${rounds} interleaved rounds (median), concurrency ${concurrency}$([ "$insecure_load" = 1 ] && echo ', load without server verification (--insecure)')$([ "$identity_headers" = 1 ] && echo ', nginx, HAProxy and Caddy send the upstream the identity and forwarding headers PullGuard sends (--identity-headers)'), TLS ${tls_version}, groups ${groups}; load: pullguard-bench --threads 1 on core 1; each server: one worker on core 0; upstream: nginx on core 1" \
    "$idle_connections" "$identity_headers" <<'EOF'
import json, sys
keys = ["date", "uname", "nproc", "cpu", "nginx", "haproxy", "caddy", "openssl", "swift", "commit", "settings", "idle_connections",
        "identity_headers"]
json.dump(dict(zip(keys, sys.argv[2:])), open(sys.argv[1], "w"))
EOF
python3 "$bench_dir/summarize.py" --results "$workdir/results" --machine "$machine_json" \
    --servers "$servers_csv" --scenarios "$scenarios_csv" --output "$output"
log "results written to $output"
