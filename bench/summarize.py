#!/usr/bin/env python3
"""Turns the raw results of scripts/bench-compare.sh into one table and a BENCHMARKS.md section.

Inputs (in --results):
  SERVER.SCENARIO.ROUND.json  pullguard-bench --json output, plus the script's own
                              /proc figures (_proc_cpu_s_all_processes, _proc_wall_s)
  SERVER.SCENARIO.ROUND.failed  the report of a run whose connections failed (exit 1):
                              no figures, only why (its error classes) for the notes
  memory.SERVER.json          bench/idle_conns.py output
  tls-floor.json              {"full": [µs, ...], "resume": [...]}: PullGuard's TLS
                              layer alone per handshake (pullguard-handshake-microbench)
and --machine, a JSON object describing the machine and versions.

Per server and scenario it takes the median over rounds. The CPU figure is the
server's CPU µs per connection (per request for keepalive and h2) as measured by
pullguard-bench on --target-pid; the ratio is to PullGuard's figure from the same
run. Only measured numbers are written: a missing measurement says so.

The section replaces the text between the bench-compare markers in --output (or
is appended; the file is created if needed). The table also goes to stdout.
"""
import argparse
import glob
import json
import os
import re
import statistics

BEGIN = "<!-- bench-compare:begin -->"
END = "<!-- bench-compare:end -->"
NAMES = {"pullguard": "PullGuard", "baseline": "PullGuard (baseline)", "pullguard-log": "PullGuard (access log on)",
         "nginx": "nginx", "haproxy": "HAProxy", "caddy": "Caddy"}
# The access log may add at most this much server CPU per keep-alive request (issue target).
ACCESS_LOG_TARGET = 1.10
MEMORY_TARGET_KIB = 48


def median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "not measured"
    return f"{value:,.{digits}f}"


PER_REQUEST = {"keepalive", "h2"}


def cpu_figure(run, scenario):
    key = "target_cpu_us_per_request" if scenario in PER_REQUEST else "target_cpu_us_per_connection"
    return run.get(key)


def kernel_figure(run, scenario):
    key = "target_kernel_cpu_us_per_request" if scenario in PER_REQUEST else "target_kernel_cpu_us_per_connection"
    return run.get(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--servers", default="pullguard,nginx,haproxy,caddy")
    parser.add_argument("--scenarios", default="full,resume,keepalive,h2")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    machine = json.load(open(args.machine))
    servers = args.servers.split(",")
    scenarios = args.scenarios.split(",")

    runs = {}
    for path in glob.glob(os.path.join(args.results, "*.json")):
        match = re.fullmatch(r"([\w-]+)\.(\w+)\.(\d+)\.json", os.path.basename(path))
        if match:
            runs.setdefault((match[1], match[2]), []).append(json.load(open(path)))
    failed_runs = {}
    for path in glob.glob(os.path.join(args.results, "*.failed")):
        match = re.fullmatch(r"([\w-]+)\.(\w+)\.(\d+)\.failed", os.path.basename(path))
        if match:
            failed_runs.setdefault((match[1], match[2]), []).append(json.load(open(path)))
    memory = {}
    for path in glob.glob(os.path.join(args.results, "memory.*.json")):
        data = json.load(open(path))
        if not data.get("_dry_run"):
            memory[data["_server"]] = data

    summary = {}
    for server in servers:
        for scenario in scenarios:
            rs = runs.get((server, scenario), [])
            errors = {}
            for r in rs:
                for kind, count in (r.get("errors") or {}).items():
                    errors[kind] = errors.get(kind, 0) + count
            summary[(server, scenario)] = {
                "rounds": len(rs),
                "cps": median([r.get("connections_per_s") for r in rs]),
                "rps": median([r.get("requests_per_s") for r in rs]),
                "p99": median([(r.get("latency_ms") or {}).get("p99") for r in rs]),
                "cpu": median([cpu_figure(r, scenario) for r in rs]),
                "kernel": median([kernel_figure(r, scenario) for r in rs]),
                "resumed": median([r.get("resumed_share") for r in rs]),
                "failed": sum(r.get("connections_failed") or 0 for r in rs),
                "errors": errors,
                "busy": median([r["target_cpu_s"] / r["duration_s"] for r in rs
                                if r.get("target_cpu_s") is not None and r.get("duration_s")]),
                # Cross-check from the script's own /proc reads (all processes, warm-up included).
                "busy_proc": median([r["_proc_cpu_s_all_processes"] / r["_proc_wall_s"] for r in rs
                                     if r.get("_proc_wall_s")]),
            }

    lines = ["| server | scenario | connections/s | requests/s | p99 (ms) | server CPU µs | of which kernel µs | × PullGuard CPU | notes |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for scenario in scenarios:
        base = summary.get(("pullguard", scenario), {}).get("cpu")
        unit = "per request" if scenario in PER_REQUEST else "per connection"
        for server in servers:
            s = summary[(server, scenario)]
            ratio = f"{s['cpu'] / base:.2f}×" if s["cpu"] is not None and base else "not measured"
            notes = [f"CPU {unit}", f"{s['rounds']} rounds"]
            if scenario == "resume" and s["resumed"] is not None:
                notes.append(f"resumed {s['resumed'] * 100:.0f}%")
            if s["failed"]:
                notes.append(f"{s['failed']} failed connections")
            if s["errors"]:
                notes.append("errors " + ", ".join(f"{k}: {v}" for k, v in sorted(s["errors"].items())))
            gone = failed_runs.get((server, scenario), [])
            if gone:
                why = {}
                for r in gone:
                    for kind, count in (r.get("errors") or {}).items():
                        why[kind] = why.get(kind, 0) + count
                notes.append(f"{len(gone)} rounds failed, not in the figures"
                             + (" (" + ", ".join(f"{k}: {v}" for k, v in sorted(why.items())) + ")" if why else ""))
            if scenario == "h2":
                notes.append("HTTP/2, 10 streams, 100 requests/connection")
            if server == "caddy":
                notes.append("Go TLS, tickets")
            lines.append(f"| {NAMES[server]} | {scenario} | {fmt(s['cps'])} | {fmt(s['rps'])} | {fmt(s['p99'], 2)} "
                         f"| {fmt(s['cpu'], 1)} | {fmt(s['kernel'], 1)} | {ratio} | {'; '.join(notes)} |")
    if "h2" not in scenarios:
        lines.append("| all | h2 | not measured (--scenarios without h2) | | | | | | |")
    table = "\n".join(lines)

    # --baseline: the new binary over the old one, round by round (each round runs them back to back).
    ab_lines = []
    if "baseline" in servers:
        ab_lines = ["A/B against the baseline binary: server CPU new ÷ old, paired by round "
                    "(median, and the range over rounds):", ""]
        for scenario in scenarios:
            old = {r.get("_round"): cpu_figure(r, scenario) for r in runs.get(("baseline", scenario), [])}
            ratios = sorted(cpu_figure(r, scenario) / old[r.get("_round")] for r in runs.get(("pullguard", scenario), [])
                            if old.get(r.get("_round")) and cpu_figure(r, scenario) is not None)
            ab_lines.append(f"- {scenario}: " + (f"{median(ratios):.3f} ({ratios[0]:.3f} to {ratios[-1]:.3f}, "
                                                  f"{len(ratios)} rounds)" if ratios else "not measured"))

    # --access-log: PullGuard with its access log on over the same binary with it off, round by round.
    if "pullguard-log" in servers:
        ab_lines += ["", "Access log on ÷ off: server CPU, paired by round (median, and the range over rounds):", ""]
        for scenario in scenarios:
            off = {r.get("_round"): cpu_figure(r, scenario) for r in runs.get(("pullguard", scenario), [])}
            ratios = sorted(cpu_figure(r, scenario) / off[r.get("_round")]
                            for r in runs.get(("pullguard-log", scenario), [])
                            if off.get(r.get("_round")) and cpu_figure(r, scenario) is not None)
            verdict = ""
            if ratios and scenario == "keepalive":
                verdict = (" (target at most {:.2f}: {})".format(
                    ACCESS_LOG_TARGET, "met" if median(ratios) <= ACCESS_LOG_TARGET else "NOT met"))
            ab_lines.append(f"- {scenario}: " + (f"{median(ratios):.3f} ({ratios[0]:.3f} to {ratios[-1]:.3f}, "
                                                  f"{len(ratios)} rounds){verdict}" if ratios else "not measured"))

    memory_lines = ["| server | idle connections held | RSS before (KiB) | RSS after (KiB) | KiB per idle connection |",
                    "| --- | ---: | ---: | ---: | ---: |"]
    for server in ("pullguard", "nginx"):
        m = memory.get(server)
        if m:
            memory_lines.append(f"| {NAMES[server]} | {m['connections_open']:,} of {m['connections_requested']:,} "
                                f"| {m['rss_before_kib']:,} | {m['rss_after_kib']:,} | {fmt(m['kib_per_connection'], 1)} |")
        elif server in servers and int(machine.get("idle_connections", 0)) > 0:
            memory_lines.append(f"| {NAMES[server]} | not measured | | | |")
    memory_table = "\n".join(memory_lines)

    capacity_path = os.path.join(args.results, "bench-capacity.json")
    busy = summary.get(("nginx", "full"), {}).get("busy")
    if os.path.exists(capacity_path):
        # The dedicated check: nginx answering by itself, nothing but the bench on core 1.
        cap = json.load(open(capacity_path))
        cap_busy = cap["target_cpu_s"] / cap["duration_s"]
        verdict = "yes: the bench is not the bottleneck" if cap_busy >= 0.95 else \
            "NO: one bench thread did not saturate nginx"
        bottleneck = (f"one bench thread drove one nginx worker answering by itself to {cap_busy * 100:.1f}% of a core "
                      f"({fmt(cap['connections_per_s'])} full mTLS connections/s, concurrency {cap['concurrency']}) — {verdict}")
        if busy is not None:
            bottleneck += (f"; in the comparison's full scenario, with the upstream sharing core 1 with the bench, "
                           f"nginx's worker was busy {busy * 100:.0f}%")
    elif busy is None:
        bottleneck = "not measured (nginx full scenario missing)"
    else:
        verdict = "yes: the bench is not the bottleneck" if busy >= 0.95 else \
            "NO: the bench did not saturate nginx; the connection rates are bench-bound, CPU per connection still holds"
        bottleneck = f"nginx worker busy {busy * 100:.0f}% of a core in the full scenario (worker CPU s / wall s) — {verdict}"
        busy_proc = summary[("nginx", "full")].get("busy_proc")
        if busy_proc is not None:
            bottleneck += f" (script's /proc cross-check, master + worker over the whole bench run: {busy_proc * 100:.0f}%)"

    def cpu(server, scenario):
        return summary.get((server, scenario), {}).get("cpu")

    def check(label, value, limit, ok):
        if value is None or limit is None:
            return f"- [ ] {label} — not measured"
        return f"- [{'x' if ok(value, limit) else ' '}] {label} — {'met' if ok(value, limit) else 'not met'}"

    pg_full, ng_full, cd_full = cpu("pullguard", "full"), cpu("nginx", "full"), cpu("caddy", "full")
    pg_res, ng_res = cpu("pullguard", "resume"), cpu("nginx", "resume")
    pg_ka, ng_ka = cpu("pullguard", "keepalive"), cpu("nginx", "keepalive")
    pg_mem = (memory.get("pullguard") or {}).get("kib_per_connection")
    pg_h2 = cpu("pullguard", "h2")
    others = [cpu(name, "h2") for name in ("nginx", "haproxy", "caddy") if cpu(name, "h2") is not None]
    others_h2 = min(others) if others else None
    # Per request, PullGuard sends the upstream its identity and forwarding fields; the
    # peers do the same only with --identity-headers. The HTTP/2 target is read on such a
    # run (docs/performance.md), so that target's line says which kind of run it was.
    same_work = machine.get("identity_headers") == "1"
    work = ("every server sends the same identity headers" if same_work
            else "the peers send none of PullGuard's identity headers; the target is read with --identity-headers")
    checklist = [
        check(f"full handshake: CPU per connection ≤ 0.6× nginx ({fmt(pg_full, 1)} vs {fmt(ng_full * 0.6 if ng_full else None, 1)} µs)",
              pg_full, ng_full, lambda v, n: v <= 0.6 * n),
        check(f"full handshake: CPU per connection < Caddy ({fmt(pg_full, 1)} vs {fmt(cd_full, 1)} µs)",
              pg_full, cd_full, lambda v, c: v < c),
        check(f"resumed handshake: CPU per connection ≤ 0.5× nginx ({fmt(pg_res, 1)} vs {fmt(ng_res * 0.5 if ng_res else None, 1)} µs)",
              pg_res, ng_res, lambda v, n: v <= 0.5 * n),
        check(f"keep-alive: CPU per request ≤ nginx ({fmt(pg_ka, 1)} vs {fmt(ng_ka, 1)} µs)",
              pg_ka, ng_ka, lambda v, n: v <= n),
        check(f"HTTP/2: CPU per request ≤ the lowest of nginx, HAProxy and Caddy ({fmt(pg_h2, 1)} vs {fmt(others_h2, 1)} µs; {work})",
              pg_h2, others_h2, lambda v, n: v <= n),
        check(f"HTTP/2: CPU per request < PullGuard's HTTP/1.1 keep-alive ({fmt(pg_h2, 1)} vs {fmt(pg_ka, 1)} µs)",
              pg_h2, pg_ka, lambda v, k: v < k),
        check(f"memory: ≤ {MEMORY_TARGET_KIB} KiB per idle connection (PullGuard: {fmt(pg_mem, 1)} KiB)",
              pg_mem, MEMORY_TARGET_KIB, lambda v, t: v <= t),
    ]

    # Each CPU target beside its floor: the kernel time PullGuard's connections cost in
    # this run (the same socket work nginx's cost, shown in the table) plus PullGuard's
    # TLS layer alone in memory. What is left between them is all the user space the
    # proxy, HTTP and the event loop may spend.
    floor_path = os.path.join(args.results, "tls-floor.json")
    tls_floor = json.load(open(floor_path)) if os.path.exists(floor_path) else {}

    def kernel(server, scenario):
        return summary.get((server, scenario), {}).get("kernel")

    floor_lines = ["| target | limit µs | PullGuard kernel µs | TLS layer alone µs | floor µs | room above the floor µs | PullGuard now µs |",
                   "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    floor_rows = [
        ("full handshake ≤ 0.6× nginx", "full", 0.6 * ng_full if ng_full else None, median(tls_floor.get("full") or [])),
        ("full handshake < Caddy", "full", cd_full, median(tls_floor.get("full") or [])),
        ("resumed handshake ≤ 0.5× nginx", "resume", 0.5 * ng_res if ng_res else None, median(tls_floor.get("resume") or [])),
        ("keep-alive request ≤ nginx", "keepalive", ng_ka, None),
    ]
    floor_notes = []
    for label, scenario, limit, tls in floor_rows:
        k = kernel("pullguard", scenario)
        floor = k + tls if k is not None and tls is not None else k
        room = limit - floor if limit is not None and floor is not None else None
        floor_lines.append(f"| {label} | {fmt(limit, 1)} | {fmt(k, 1)} | {fmt(tls, 1) if tls is not None else 'n/a: kernel only'} "
                           f"| {fmt(floor, 1)} | {fmt(room, 1)} | {fmt(cpu('pullguard', scenario), 1)} |")
        if room is not None and room < 0 and tls is not None:
            floor_notes.append(f"- {label}: the limit is {fmt(-room, 1)} µs below what the kernel and the TLS layer "
                               "alone cost here, so no tuning above OpenSSL can reach it.")
    floor_table = "\n".join(floor_lines)

    section = "\n".join([
        BEGIN,
        f"## Comparison with nginx, HAProxy and Caddy — {machine['date']}",
        "",
        "Produced by `scripts/bench-compare.sh` (set-up: `bench/README.md`); every number below was measured in this one run.",
        "",
        f"- Machine: `{machine['uname']}`",
        f"- Cores: {machine['nproc']}; CPU: {machine['cpu']}",
        f"- nginx {machine['nginx']}; {machine['haproxy']}; Caddy {machine['caddy']}; {machine['openssl']}; {machine['swift']}",
        f"- PullGuard commit: `{machine['commit']}`",
        f"- Settings: {machine['settings']}",
        "",
        table,
        "",
        *(ab_lines + [""] if ab_lines else []),
        f"Memory, {int(machine.get('idle_connections', 0)):,} idle established mTLS connections (handshake + one keep-alive request each), RSS summed over the server's processes:",
        "",
        memory_table,
        "",
        f"Bench check: {bottleneck}.",
        "",
        "Targets:",
        "",
        *checklist,
        "",
        "Each CPU target beside its floor: the kernel time PullGuard's connections cost in this run plus "
        "PullGuard's TLS layer alone (OpenSSL and its handler in memory, no sockets, no HTTP; "
        "`pullguard-handshake-microbench`, median of 3 × 2,000 handshakes on core 0). "
        "The room above the floor is all that HTTP, the proxy and the event loop may spend.",
        "",
        floor_table,
        *([""] + floor_notes if floor_notes else []),
        END,
    ])

    print(table)
    print()
    if ab_lines:
        print("\n".join(ab_lines))
        print()
    print(memory_table)
    print()
    print(f"Bench check: {bottleneck}.")
    print("\n".join(checklist))
    print()
    print(floor_table)
    print("\n".join(floor_notes))

    text = open(args.output).read() if os.path.exists(args.output) else "# Benchmarks\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(args.output, "w") as out:
        out.write(text)


if __name__ == "__main__":
    main()
