#!/usr/bin/env bash
# Round-Robin Lab launcher: checks (or installs) the toolchain a verb needs, builds the lab, and
# hands every argument to the `lab` tool (sim/Lab), where all of the lab's work is done.
#   ./run-lab.sh                the default end-to-end experiment (lab experiment)
#   ./run-lab.sh test           the tests; ends with one line: "N passed, M failed"
#   ./run-lab.sh VERB --help    any verb of lab: scenario, scenarios, backends, compare, calibrate,
#                               startup, bench, ci, publish (./run-lab.sh --help lists them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Builds start no MSBuild nodes or compiler server that would outlive them: nothing is left behind,
# and nothing has to be shut down afterwards (which would also stop servers others started).
export MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'run-lab: %s\n' "$*" >&2; exit 2; }

# Installs Debian packages when this runs as root and apt-get is there; fails otherwise.
apt_updated=
apt_install() {
  [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
  log "Installing $* with apt-get"
  if [[ -z $apt_updated ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need PROGRAM PACKAGE: the verb cannot run without it.
# want PROGRAM PACKAGE: the verb runs without it and says what it left out.
found() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -e $1 ]]; }
need() { found "$1" || apt_install "$2" || die "$1 is missing: run 'sudo apt-get install $2' and try again."; }
want() { found "$1" || apt_install "$2" || log "$1 is not installed ('apt-get install $2'); going on without it"; }

need_dotnet() {
  command -v dotnet >/dev/null 2>&1 \
    || die "the .NET SDK is missing: install .NET SDK 10 (https://dot.net, or 'apt-get install dotnet-sdk-10.0' where Microsoft's feed is set up)."
  local major
  major=$(dotnet --version 2>/dev/null | cut -d. -f1)
  [[ ${major:-0} -ge 10 ]] || die "the .NET SDK is $(dotnet --version 2>/dev/null || echo unknown); the lab needs SDK 10 or newer."
}

# Builds what the verb runs: the whole solution for the tests, else the lab tool and what it uses.
# A failed build shows its errors; for `test` it also counts as one failed test.
build() {
  local target=sim/Lab/Lab.csproj log=artifacts/build.log
  [[ $1 == test ]] && target=Lab.sln
  mkdir -p artifacts
  log "Building $target (Release)"
  if ! dotnet build "$target" -c Release >"$log" 2>&1; then
    grep -E ': (error|warning) ' "$log" | sort -u >&2 || tail -n 30 "$log" >&2
    echo "run-lab: the build failed; see $log" >&2
    [[ $1 == test ]] && echo "0 passed, 1 failed"
    exit 1
  fi
}

verb=${1:-experiment}
[[ $# -gt 0 ]] && shift
case $verb in -h | --help | help) verb=--help ;; esac

need_dotnet
case $verb in
  experiment | scenario | ci | test | publish | startup | compare)
    # The Native AOT publish of the proxy (lab publishes it when its sources changed).
    need clang clang
    need /usr/include/zlib.h zlib1g-dev
    ;;
esac
case $verb in
  compare) need wrk wrk; need nginx nginx; need haproxy haproxy ;;
  calibrate) need wrk wrk ;;
  startup) want nginx nginx ;;
  test) want chromium chromium; want chromedriver chromium-driver ;;
esac

build "$verb"
# --no-build: built just above. exec: Ctrl-C and SIGTERM reach lab, which stops what it started.
exec dotnet run --project sim/Lab/Lab.csproj -c Release --no-build -- "$verb" "$@"
