#!/usr/bin/env bash
# Round-Robin Lab: build, test and run experiments on the round-robin proxy.
# Run ./run-lab.sh --help for the subcommands.
set -euo pipefail

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$LAB_ROOT"

# Ports and folders; every one can be changed from the environment.
PROXY_PORT="${PROXY_PORT:-8080}"
ADMIN_PORT="${ADMIN_PORT:-9901}"
BACKEND_BASE_PORT="${BACKEND_BASE_PORT:-5001}"
RESULTS_DIR="${RESULTS_DIR:-$LAB_ROOT/results}"
ARTIFACTS_DIR="$LAB_ROOT/artifacts"
PROXY_DIR="$ARTIFACTS_DIR/proxy"
PROXY_BIN="$PROXY_DIR/rrproxy"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() {
  cat <<'EOF'
Usage: ./run-lab.sh [SUBCOMMAND] [ARGS...]

Subcommands:
  (none)          The default end-to-end experiment: builds what is needed, starts 3
                  WireMock backends and the native proxy on PROXY_PORT, drives 20 s of
                  steady load, prints per-backend counts as the client and as the
                  backends saw them, with throughput and latency percentiles, writes
                  the reports to results/, and tears everything down. Exits non-zero
                  when the split is not even or anything failed.
  scenario NAME [OPTIONS]
                  Run one scenario of the catalogue (list: ./run-lab.sh scenarios);
                  OPTIONS go to lab-scenarios (--duration, --rate, --users, --threshold ...).
  scenarios       List the scenarios.
  backends [OPTIONS]
                  Start the fake-backend fleet in the foreground (lab-backends --help).
  test            Unit and integration tests, a Native AOT publish of the proxy (zero
                  warnings), smoke tests of the published binary, and the CI scenarios
                  against it. Ends with one line: "N passed, M failed".
  calibrate       Check the scenario engine against wrk: the same closed load (20
                  connections) on one WireMock backend answering in 10 ms, alternating
                  rounds; prints both tools' rate and latency percentiles side by side.
  compare         The same load, in one run and alternating rounds, against rrproxy,
                  nginx and HAProxy as round-robin proxies over the same two fast
                  backends (nginx static answers): small responses at 50 and 256
                  connections, 1 MiB responses and HTTPS (rrproxy and nginx terminating TLS
                  with one certificate), each with wrk -t1 and -t2 (the two
                  ways of sharing the cores with the load generator). Reports
                  requests/s, p50/p99, CPU microseconds per request and RSS per proxy
                  and the ratios to nginx (table + chart). ROUNDS (3) and
                  SECONDS_PER_ROUND (10) set the rounds and their length.
  bench           BenchmarkDotNet microbenchmarks (short job) to results/bench.
  startup         Footprint: start the published proxy ROUNDS (15) times; median time from
                  launch to the first proxied 200, RSS then, and the binary's size; nginx
                  (when installed) started the same way in alternate rounds, and the ratio.
  publish         Native AOT publish of the proxy to artifacts/proxy/rrproxy (reused
                  while its sources are unchanged).
  -h, --help      This text.

Environment:
  PROXY_PORT (8080), ADMIN_PORT (9901), BACKEND_BASE_PORT (5001), RESULTS_DIR (./results)

Needs the .NET 10 SDK, and clang with zlib headers for the Native AOT publish; when
they are missing and apt-get can install them, this script does.
EOF
}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'run-lab: %s\n' "$*" >&2; exit 1; }

# Every background process this script starts is registered here and ended on exit,
# on success, failure and Ctrl-C alike.
CHILD_PIDS=()
cleanup() {
  local pid
  for pid in "${CHILD_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${CHILD_PIDS[@]:-}"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  # MSBuild and the compiler server outlive a build unless told to stop.
  if command -v dotnet >/dev/null 2>&1; then
    dotnet build-server shutdown >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "Installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

require_dotnet() {
  command -v dotnet >/dev/null 2>&1 \
    || die "the .NET SDK is missing: install .NET SDK 10 (https://dot.net, or 'apt-get install dotnet-sdk-10.0' where Microsoft's feed is set up)."
  local major
  major=$(dotnet --version 2>/dev/null | cut -d. -f1)
  [[ "${major:-0}" -ge 10 ]] || die "the .NET SDK is $(dotnet --version 2>/dev/null || echo unknown); the lab needs SDK 10 or newer."
}

require_aot_toolchain() {
  local missing=()
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  [[ -f /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}" \
      || die "Native AOT needs ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (Debian/Ubuntu) and try again."
  fi
}

# Hash of everything the proxy binary is built from, to reuse a publish while it is unchanged.
proxy_source_hash() {
  find src/Proxy.Aot -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.json' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
    | sort -z | xargs -0 cat Directory.Build.props Directory.Packages.props global.json | sha256sum | cut -d' ' -f1
}

# Publishes the proxy with Native AOT. Fails when the publish fails or prints any warning.
publish_proxy() {
  require_dotnet
  require_aot_toolchain
  local hash
  hash=$(proxy_source_hash)
  if [[ -x "$PROXY_BIN" && -f "$PROXY_DIR/.source-hash" && "$(cat "$PROXY_DIR/.source-hash")" == "$hash" ]]; then
    log "Native AOT proxy is up to date ($PROXY_BIN)"
    return 0
  fi
  log "Publishing the proxy with Native AOT"
  mkdir -p "$ARTIFACTS_DIR"
  local publish_log="$ARTIFACTS_DIR/publish.log"
  rm -rf "$PROXY_DIR"
  if ! dotnet publish src/Proxy.Aot -c Release -r linux-x64 -o "$PROXY_DIR" >"$publish_log" 2>&1; then
    tail -n 30 "$publish_log" >&2
    echo "run-lab: the Native AOT publish failed; the whole log is in $publish_log" >&2
    return 1
  fi
  # -warnaserror would stop at the first warning; counting shows them all.
  local warnings
  warnings=$(grep -E ': warning [A-Z]+[0-9]+' "$publish_log" | sort -u || true)
  if [[ -n "$warnings" ]]; then
    echo "$warnings" >&2
    echo "run-lab: the Native AOT publish printed $(wc -l <<<"$warnings") warning(s); the standard is zero." >&2
    return 1
  fi
  echo "$hash" >"$PROXY_DIR/.source-hash"
  log "Published $PROXY_BIN ($(du -h "$PROXY_BIN" | cut -f1))"
}

# Test totals across the steps of `test`.
PASSED=0
FAILED=0

# Runs `dotnet test` with the given arguments and adds its counts to the totals. A run that
# ends without a summary line (it did not build, or crashed) counts as one failure.
run_dotnet_test() {
  local label=$1
  shift
  local out="$RESULTS_DIR/test-$label.log"
  log "Tests: $label"
  set +e
  # -m:1: one test project at a time; the timing tests share two cores with nothing else.
  dotnet test Lab.sln -c Release --no-build -m:1 "$@" 2>&1 | tee "$out" | grep -E '^\s+(Failed|Skipped) |^(Passed|Failed|Skipped)!|error' >&2
  set -e
  local summary passed failed
  summary=$(grep -E '^(Passed|Failed|Skipped)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$out" || true)
  if [[ -z "$summary" ]]; then
    echo "run-lab: '$label' ended without a test summary; see $out" >&2
    FAILED=$((FAILED + 1))
    return
  fi
  passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary" | awk '{ s += $1 } END { print s + 0 }')
  failed=$(sed -E 's/.*Failed: +([0-9]+), Passed.*/\1/' <<<"$summary" | awk '{ s += $1 } END { print s + 0 }')
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
}

# One check outside dotnet test (the AOT publish), counted like a test.
count_check() {
  if "$@"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); return 1; fi
}

# Builds the simulators (fleet and scenarios) in Release.
build_sims() {
  require_dotnet
  log "Building the simulators"
  local build_log="$ARTIFACTS_DIR/sims-build.log"
  mkdir -p "$ARTIFACTS_DIR"
  if ! dotnet build sim/LoadScenarios -c Release >"$build_log" 2>&1; then
    grep -E ': (error|warning) ' "$build_log" | sort -u >&2 || tail -n 30 "$build_log" >&2
    die "building the simulators failed; see $build_log"
  fi
}

SCENARIOS_DLL="sim/LoadScenarios/bin/Release/net10.0/lab-scenarios.dll"
scenarios_cli() {
  dotnet "$SCENARIOS_DLL" "$@"
}

# Runs lab-scenarios in the background of this shell so that Ctrl-C reaches it through the
# trap (it stops its proxy and fleet itself) and the exit status comes back.
run_scenarios() {
  # dotnet itself in the background (not a function, which would be a subshell that a signal
  # could end while dotnet, its child, runs on).
  dotnet "$SCENARIOS_DLL" "$@" --proxy "$PROXY_BIN" --proxy-port "$PROXY_PORT" --admin-port "$ADMIN_PORT" --backend-base-port "$BACKEND_BASE_PORT" &
  local pid=$!
  CHILD_PIDS+=("$pid")
  local status=0
  wait "$pid" || status=$?
  return $status
}

check_ports_free() {
  local port
  for port in "$PROXY_PORT" "$ADMIN_PORT" $(seq "$BACKEND_BASE_PORT" $((BACKEND_BASE_PORT + 2))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port is in use on 127.0.0.1; free it or choose other ports (PROXY_PORT, ADMIN_PORT, BACKEND_BASE_PORT)."
    fi
  done
}

cmd_experiment() {
  publish_proxy
  build_sims
  check_ports_free
  local dir
  dir="$RESULTS_DIR/$(date +%Y%m%d-%H%M%S)-experiment"
  log "Default experiment: 3 backends, the native proxy on 127.0.0.1:$PROXY_PORT, 20 s of steady load"
  run_scenarios run steady --duration 20 --report-dir "$dir"
}

cmd_scenario() {
  [[ $# -ge 1 ]] || die "scenario needs a NAME; ./run-lab.sh scenarios lists them."
  local name=$1
  shift
  publish_proxy
  build_sims
  check_ports_free
  run_scenarios run "$name" --report-dir "$RESULTS_DIR/$(date +%Y%m%d-%H%M%S)-$name" "$@"
}

# Seconds from wrk's latency notation (812.00us, 10.12ms, 1.20s) to milliseconds.
wrk_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

cmd_calibrate() {
  build_sims
  command -v wrk >/dev/null 2>&1 || apt_install wrk || die "wrk is missing: run 'sudo apt-get install wrk'."
  local port=$((BACKEND_BASE_PORT + 200)) rounds=3 dir
  dir="$RESULTS_DIR/$(date +%Y%m%d-%H%M%S)-calibrate"
  mkdir -p "$dir"
  printf '{ "default": { "latency": { "type": "fixed", "ms": 10 } } }\n' >"$dir/profile.json"
  log "One WireMock backend on 127.0.0.1:$port answering in 10 ms; $rounds alternating rounds of wrk and the engine"
  dotnet sim/Backends/bin/Release/net10.0/lab-backends.dll --count 1 --base-port "$port" --profile "$dir/profile.json" >"$dir/backend.log" 2>&1 &
  CHILD_PIDS+=("$!")
  local url="http://127.0.0.1:$port/" i
  for i in $(seq 1 50); do curl -fs -o /dev/null "$url" 2>/dev/null && break; sleep 0.2; done
  wrk -t2 -c20 -d3s "$url" >/dev/null
  {
    echo "| round | tool | requests/s | p50 ms | p99 ms |"
    echo "|---|---|---:|---:|---:|"
  } >"$dir/calibrate.md"
  for i in $(seq 1 "$rounds"); do
    local out rps p50 p99
    out=$(wrk -t2 -c20 -d10s --latency "$url")
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    echo "| $i | wrk -t2 -c20 | $rps | $p50 | $p99 |" >>"$dir/calibrate.md"
    scenarios_cli run probe --target "$url" --users 20 --duration 10 --warmup 2 --report-dir "$dir/engine-$i" >"$dir/engine-$i.log" 2>&1
    rps=$(grep -oE '"requestsPerSecond": [0-9.]+' "$dir/engine-$i/report.json" | head -1 | awk '{ print $2 }')
    p50=$(grep -oE '"p50Ms": [0-9.]+' "$dir/engine-$i/report.json" | head -1 | awk '{ print $2 }')
    p99=$(grep -oE '"p99Ms": [0-9.]+' "$dir/engine-$i/report.json" | head -1 | awk '{ print $2 }')
    echo "| $i | engine, 20 users | $rps | $p50 | $p99 |" >>"$dir/calibrate.md"
  done
  cat "$dir/calibrate.md"
  echo "Written to $dir/calibrate.md"
}

# CPU seconds (user + system) used so far by a process and its children (nginx workers).
cpu_seconds() {
  local pids pid total=0 ticks
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
  for pid in $pids; do
    ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# Resident memory (MiB) of a process and its children, now and at peak.
rss_mib() {
  local pids pid field=$2 total=0 kb
  pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
  for pid in $pids; do
    kb=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }'
}

fill_template() {
  sed -e "s|@DIR@|$2|g" -e "s|@PORT1@|$3|g" -e "s|@PORT2@|$4|g" -e "s|@PROXY@|${5:-0}|g" "$1"
}

wait_for_http() {
  local i
  for i in $(seq 1 100); do
    # shellcheck disable=SC2086 # $2: extra curl flags (-k for the run's self-signed certificate)
    curl -fs ${2:-} -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing answers at $1"
}

# The port a proxy serves a compare load on (the HTTPS load has its own listeners).
compare_port() {
  local base=$((PROXY_PORT + 101))
  case "$1/$2" in
    https-*/rrproxy) echo $((base + 3)) ;;
    https-*/nginx) echo $((base + 4)) ;;
    */rrproxy) echo "$base" ;;
    */nginx) echo $((base + 1)) ;;
    */haproxy) echo $((base + 2)) ;;
  esac
}

cmd_compare() {
  publish_proxy
  local missing=()
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}" || die "compare needs ${missing[*]}: run 'sudo apt-get install ${missing[*]}'."
  fi
  export PATH="$PATH:/usr/sbin"
  local rounds="${ROUNDS:-3}" seconds="${SECONDS_PER_ROUND:-10}"
  local b1=$((BACKEND_BASE_PORT + 400)) b2=$((BACKEND_BASE_PORT + 401))
  local p_rr=$((PROXY_PORT + 101)) p_nginx=$((PROXY_PORT + 102)) p_haproxy=$((PROXY_PORT + 103))
  local p_rr_tls p_nginx_tls
  p_rr_tls=$(compare_port https-c50 rrproxy) p_nginx_tls=$(compare_port https-c50 nginx)
  local dir
  dir="$RESULTS_DIR/$(date +%Y%m%d-%H%M%S)-compare"
  mkdir -p "$dir"
  head -c 1048576 /dev/zero >"$dir/1m.bin"

  log "Backends: nginx static answers on 127.0.0.1:$b1 and :$b2"
  fill_template lab/compare/backends.nginx.conf "$dir" "$b1" "$b2" >"$dir/backends.conf"
  nginx -c "$dir/backends.conf" -g 'daemon off;' &
  CHILD_PIDS+=("$!")
  local pid_backends=$!
  wait_for_http "http://127.0.0.1:$b1/"
  wait_for_http "http://127.0.0.1:$b2/"

  log "Proxies: rrproxy :$p_rr, nginx :$p_nginx, HAProxy :$p_haproxy"
  # One certificate for both TLS terminators (the HTTPS row): self-signed, made for the run.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1 || die "openssl could not make the test certificate"
  "$PROXY_BIN" --backends "http://127.0.0.1:$b1,http://127.0.0.1:$b2" --urls "http://127.0.0.1:$p_rr,https://127.0.0.1:$p_rr_tls" \
    --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key" --admin-urls "http://127.0.0.1:$((ADMIN_PORT + 101))" >"$dir/rrproxy.log" 2>&1 &
  CHILD_PIDS+=("$!")
  local pid_rr=$!
  fill_template lab/compare/proxy.nginx.conf "$dir" "$b1" "$b2" "$p_nginx" >"$dir/nginx-proxy.conf"
  nginx -c "$dir/nginx-proxy.conf" -g 'daemon off;' &
  CHILD_PIDS+=("$!")
  local pid_nginx=$!
  fill_template lab/compare/proxy-tls.nginx.conf "$dir" "$b1" "$b2" "$p_nginx_tls" >"$dir/nginx-proxy-tls.conf"
  nginx -c "$dir/nginx-proxy-tls.conf" -g 'daemon off;' &
  CHILD_PIDS+=("$!")
  local pid_nginx_tls=$!
  fill_template lab/compare/proxy.haproxy.cfg "$dir" "$b1" "$b2" "$p_haproxy" >"$dir/haproxy.cfg"
  haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
  CHILD_PIDS+=("$!")
  local pid_haproxy=$!
  for port in "$p_rr" "$p_nginx" "$p_haproxy"; do wait_for_http "http://127.0.0.1:$port/"; done
  for port in "$p_rr_tls" "$p_nginx_tls"; do wait_for_http "https://127.0.0.1:$port/" -k; done
  local name
  for name in rrproxy nginx haproxy; do
    echo "$name: idle RSS $(rss_mib "$(eval echo \$pid_${name/rrproxy/rr})" VmRSS) MiB" >>"$dir/idle-rss.txt"
  done

  local tsv="$dir/rounds.tsv"
  printf 'load\tround\tproxy\trps\tp50_ms\tp99_ms\tcpu_s\trss_mib\trequests\n' >"$tsv"
  local load conns path threads round proxy port pid out rps p50 p99 cpu0 cpu1 requests
  local scheme proxies
  for load in "small-c50 50 /" "small-c256 256 /" "1mib-c50 50 /1m" "https-c50 50 /"; do
    read -r load conns path <<<"$load"
    # The HTTPS row: rrproxy and nginx terminating TLS with the same certificate (HTTP/1.1 over
    # TLS, as wrk speaks it); HAProxy is left out of it.
    scheme=http proxies="rrproxy nginx haproxy"
    [[ $load == https-* ]] && scheme=https proxies="rrproxy nginx"
    for proxy in $proxies; do
      port=$(compare_port "$load" "$proxy")
      wrk -t2 -c"$conns" -d2s "$scheme://127.0.0.1:$port$path" >/dev/null
    done
    # Requests/s depends on how the two cores are split between wrk and the proxy; CPU per
    # request does not. Both splits, each with its own alternating rounds.
    for threads in 1 2; do
      log "Load $load/t$threads: wrk -t$threads -c$conns -d${seconds}s, $rounds rounds alternating the proxies"
      for round in $(seq 1 "$rounds"); do
        for proxy in $proxies; do
          port=$(compare_port "$load" "$proxy")
          case $proxy in
            rrproxy) pid=$pid_rr ;;
            nginx) pid=$pid_nginx; [[ $load == https-* ]] && pid=$pid_nginx_tls ;;
            haproxy) pid=$pid_haproxy ;;
          esac
          cpu0=$(cpu_seconds "$pid")
          out=$(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency "$scheme://127.0.0.1:$port$path")
          cpu1=$(cpu_seconds "$pid")
          rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
          requests=$(awk '/ requests in / { print $1 }' <<<"$out")
          p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
          p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
          printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$load/t$threads" "$round" "$proxy" "$rps" "$p50" "$p99" \
            "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" "$(rss_mib "$pid" VmRSS)" "$requests" >>"$tsv"
          printf '  round %s %-8s %10s req/s  p50 %8s ms  p99 %8s ms\n' "$round" "$proxy" "$rps" "$p50" "$p99" >&2
        done
      done
    done
  done
  for name in rrproxy nginx haproxy; do
    echo "$name: peak RSS $(rss_mib "$(eval echo \$pid_${name/rrproxy/rr})" VmHWM) MiB" >>"$dir/idle-rss.txt"
  done
  compare_summary "$tsv" "$dir"
}

# Medians per load and proxy, the ratios to nginx, as Markdown and an SVG chart. CPU per request
# is the proxy's utime+stime (its children's too: nginx workers) over the requests wrk completed.
compare_summary() {
  local tsv=$1 dir=$2
  awk -F'\t' '
    NR > 1 { key = $1 SUBSEP $3; n[key]++; rps[key, n[key]] = $4; p50[key, n[key]] = $5; p99[key, n[key]] = $6; rss[key, n[key]] = $8
             us[key, n[key]] = $9 > 0 ? $7 * 1e6 / $9 : 0
             if (!($1 in seen)) { seen[$1] = 1; loads[++nl] = $1 } }
    function median(arr, key, count,   i, j, t, v) {
      for (i = 1; i <= count; i++) v[i] = arr[key, i] + 0
      for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
    }
    END {
      print "| load/wrk threads | proxy | requests/s | vs nginx | p50 ms | p99 ms | p99 vs nginx | CPU µs per request | CPU vs nginx | RSS MiB |"
      print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      split("rrproxy nginx haproxy", proxies, " ")
      for (l = 1; l <= nl; l++) {
        load = loads[l]; base = load SUBSEP "nginx"
        nr = median(rps, base, n[base]); np99 = median(p99, base, n[base]); nus = median(us, base, n[base])
        for (p = 1; p <= 3; p++) {
          key = load SUBSEP proxies[p]
          # A proxy left out of a load (HAProxy of the HTTPS one): a row of dashes keeps the groups of three.
          if (!(key in n)) { printf "| %s | %s | – | – | – | – | – | – | – | – |\n", load, proxies[p]; continue }
          r = median(rps, key, n[key]); q = median(p99, key, n[key]); u = median(us, key, n[key])
          printf "| %s | %s | %.0f | %.2f× | %.3f | %.3f | %.2f× | %.1f | %.2f× | %.1f |\n", load, proxies[p], r, r / nr, median(p50, key, n[key]), q, q / np99, u, u / nus, median(rss, key, n[key])
        }
      }
    }' "$tsv" >"$dir/compare.md"
  compare_chart "$dir/compare.md" >"$dir/compare.svg"
  {
    echo
    echo "Medians of $(awk -F'\t' 'NR > 1 { print $2 }' "$tsv" | sort -u | wc -l) alternating rounds; rounds in rounds.tsv; chart: compare.svg."
    cat "$dir/idle-rss.txt"
  } >>"$dir/compare.md"
  cat "$dir/compare.md"
  echo "Written to $dir/compare.md"
}

# A grouped bar chart of requests/s relative to nginx per load and proxy (so 1 MiB loads are as
# readable as small ones), labelled with the ratio, from compare.md's table.
compare_chart() {
  awk -F'|' '
    NR > 2 && NF > 5 { gsub(/ /, "", $2); gsub(/ /, "", $3); gsub(/ /, "", $4); gsub(/[ ×]/, "", $5); load[++n] = $2; proxy[n] = $3; rps[n] = $4 + 0; ratio[n] = $5 + 0; if (ratio[n] > max) max = ratio[n] }
    END {
      # Wide enough for each group of three bars to carry its labels (150 px a group).
      h = 340; left = 70; bottom = 50; top = 40; plot = h - top - bottom; w = left + 20 + n / 3 * 150
      colors["rrproxy"] = "#2563eb"; colors["nginx"] = "#16a34a"; colors["haproxy"] = "#ea580c"
      printf "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">\n", w, h, w, h
      max *= 1.1
      printf "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"600\">Requests per second relative to nginx (medians; the figures are in compare.md)</text>\n", left
      y1 = h - bottom - 1 / max * plot
      printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#6b7280\" stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">nginx = 1</text>\n", left, w - 20, y1, y1, left - 4, y1 + 4
      groups = n / 3; gw = (w - left - 20) / groups
      for (i = 1; i <= n; i++) {
        g = int((i - 1) / 3); k = (i - 1) % 3
        bh = ratio[i] / max * plot; x = left + g * gw + 10 + k * (gw - 20) / 3; y = h - bottom - bh
        printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y, (gw - 20) / 3 - 4, bh, colors[proxy[i]]
        if (ratio[i] > 0) printf "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.2f×</text>\n", x + ((gw - 20) / 3 - 4) / 2, y - 4, ratio[i]
        if (k == 1) printf "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n", x + ((gw - 20) / 3 - 4) / 2, h - bottom + 18, load[i]
      }
      printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>\n", left, w - 20, h - bottom, h - bottom
      lx = left
      split("rrproxy nginx haproxy", names, " ")
      for (j = 1; j <= 3; j++) { printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", lx, h - 20, colors[names[j]], lx + 16, h - 10, names[j]; lx += 100 }
      print "</svg>"
    }' "$1"
}

cmd_bench() {
  require_dotnet
  local dir="$RESULTS_DIR/bench"
  log "BenchmarkDotNet, short job: results to $dir"
  dotnet run -c Release --project bench/Proxy.Aot.Benchmarks -- --filter "${BENCH_FILTER:-*}" --job short --exporters github --artifacts "$dir" &
  CHILD_PIDS+=("$!")
  wait "$!"
  cat "$dir"/results/*-report-github.md
}

# The CI scenarios, each counted as one test.
run_ci_scenarios() {
  log "Scenarios: the CI set against the published binary"
  local out="$RESULTS_DIR/test-scenarios.log" status=0
  set +e
  run_scenarios ci --report-dir "$RESULTS_DIR/ci-scenarios" >"$out" 2>&1
  status=$?
  set -e
  grep -E '^scenario |^== |^lab-scenarios:' "$out" >&2 || true
  local passed failed
  passed=$(grep -cE '^scenario .*: passed$' "$out" || true)
  failed=$(grep -cE '^scenario .*: FAILED$' "$out" || true)
  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    echo "run-lab: the CI scenarios did not finish (exit $status); see $out" >&2
    failed=1
  fi
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
}

cmd_test() {
  require_dotnet
  mkdir -p "$RESULTS_DIR"
  log "Building Lab.sln (Release)"
  if dotnet build Lab.sln -c Release >"$RESULTS_DIR/build.log" 2>&1; then
    run_dotnet_test unit --filter 'Category!=Smoke'
    if count_check publish_proxy; then
      LAB_PROXY_BINARY="$PROXY_BIN" run_dotnet_test smoke --filter 'Category=Smoke'
      run_ci_scenarios
    fi
  else
    grep -E ': (error|warning) ' "$RESULTS_DIR/build.log" | sort -u >&2 || tail -n 30 "$RESULTS_DIR/build.log" >&2
    echo "run-lab: the build failed; see $RESULTS_DIR/build.log" >&2
    FAILED=$((FAILED + 1))
  fi
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 && $PASSED -gt 0 ]]
}


main() {
  case "${1:-}" in
    -h|--help|help) usage ;;
    "") cmd_experiment ;;
    test) cmd_test ;;
    scenario) shift; cmd_scenario "$@" ;;
    scenarios) build_sims; scenarios_cli list ;;
    backends) shift; build_sims; dotnet sim/Backends/bin/Release/net10.0/lab-backends.dll "$@" ;;
    publish) publish_proxy ;;
    calibrate) cmd_calibrate ;;
    compare) cmd_compare ;;
    bench) cmd_bench ;;
    startup)
      publish_proxy
      build_sims
      echo "binary: $(stat -c %s "$PROXY_BIN") bytes ($PROXY_BIN)"
      # nginx in alternate rounds when it is installed (compare installs it): the target is a ratio.
      local nginx_args=()
      if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
        export PATH="$PATH:/usr/sbin"
        nginx_args=(--nginx lab/compare/proxy.nginx.conf)
      fi
      scenarios_cli startup --rounds "${ROUNDS:-15}" --proxy "$PROXY_BIN" "${nginx_args[@]}"
      ;;
    *) usage >&2; die "unknown subcommand '$1'" ;;
  esac
}

main "$@"
