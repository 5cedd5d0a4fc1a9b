# Remote-cache servers on loopback for tests (a bash library: `source` it).
#
#   source tests/remote_cache/servers.sh
#   rc_start nginx DIR        # or: rc_start buildgrid DIR; sets RC_URL, RC_WRITE_URL, RC_PID, RC_PORT
#   ./bazel build //... --config=remote-cache --remote_cache="$RC_URL"     # reads only
#   ./bazel build //... --config=ci-cache --remote_cache="$RC_WRITE_URL"   # the writer
#   rc_lookups                # action-cache lookups served so far (from the server's log)
#   rc_writes [STATUS]        # PUTs under /ac/ and /cas/ so far (with that HTTP status)
#   rc_check_auth             # PASS/FAIL lines: PUT without or with wrong credentials is
#                             # refused (401), with RC_USER:RC_PASS it is stored
#   rc_kill                   # SIGKILL the server (all its processes)
#   rc_start nginx DIR        # again: same data dir, same port if it is still free
#   rc_corrupt_blobs N [HASH...]   # overwrite N CAS blobs (the given ones first), keep names
#   rc_stop                   # SIGTERM, then SIGKILL; idempotent (use it in a trap)
#
# nginx: Debian's nginx-light as a WebDAV server (PUT/GET under /ac/ and /cas/), its own
# config, pid file, logs and temp dirs in DIR; persistent across restarts. Anyone may read;
# writes need HTTP basic auth (README "Remote cache": only CI writes). The writer's
# credentials are made at the first start (user "ci", a random password; kept in
# DIR/credentials, mode 600, and as a salted hash in DIR/htpasswd): RC_USER, RC_PASS, and
# RC_WRITE_URL=http://ci:PASSWORD@127.0.0.1:PORT, the form Bazel 4.2.3 sends as basic auth.
# buildgrid: BuildGrid from PyPI, cache-only, no authentication (RC_WRITE_URL=RC_URL) (disk CAS in DIR, in-memory action cache: a
# restart loses the action cache, the CAS stays), installed into a venv under
# ${XDG_CACHE_HOME:-$HOME/.cache}/rules_kernel_lto/ from toolchains/locks/buildgrid.lock.txt.
# Each rc_start returns once the server answers (nginx: a PUT/GET round trip; BuildGrid:
# its gRPC port accepts), else prints one line with the tail of the server's log and
# returns 1. Only processes this library started are ever signalled (by their own
# process group, recorded at start).

RC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RC_KIND=""
RC_DIR=""
RC_PORT=""
RC_URL=""
RC_WRITE_URL=""
RC_USER=""
RC_PASS=""
RC_PID=""

_rc_err() { echo "servers.sh: $*" >&2; }

_rc_sudo() {  # as ./bazel does: sudo only when not root
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

_rc_free_port() {  # PREFERRED: prints PREFERRED if it can be bound, else a free port
  python3 - "${1:-0}" <<'EOF'
import socket, sys
want = int(sys.argv[1])
for port in ([want] if want else []) + [0]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(s.getsockname()[1])
    s.close()
    break
EOF
}

_rc_port_open() {  # PORT: 0 when something accepts on 127.0.0.1:PORT
  python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}

_rc_alive() { [ -n "$RC_PID" ] && kill -0 "$RC_PID" 2>/dev/null; }

_rc_log() {  # the server's log file
  case "$RC_KIND" in
    nginx) echo "$RC_DIR/error.log" ;;
    buildgrid) echo "$RC_DIR/bgd.log" ;;
  esac
}

_rc_fail_start() {  # WHAT: one line with the log's tail, stop what is left
  local tail_
  tail_=$(grep -v '^\s*$' "$(_rc_log)" 2>/dev/null | tail -3 | tr '\n' ' ' | cut -c1-400)
  _rc_err "$RC_KIND on 127.0.0.1:$RC_PORT: $1; log $(_rc_log): ${tail_:-(empty)}"
  rc_kill 2>/dev/null
  return 1
}

# ---- nginx WebDAV ---------------------------------------------------------------------

_rc_nginx_install() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && return 0
  echo "servers.sh: installing nginx-light (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  _rc_sudo apt-get update -qq >&2 && _rc_sudo apt-get install -y -qq --no-install-recommends nginx-light >&2
}

_rc_nginx_start() {
  _rc_nginx_install || { _rc_err "could not install nginx-light"; return 1; }
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$RC_DIR/data/ac" "$RC_DIR/data/cas" "$RC_DIR"/tmp/{body,proxy,fastcgi,uwsgi,scgi}
  local user_line=""
  if [ "$(id -u)" = 0 ]; then
    # The master runs as root, the workers as nobody: they write data/ and tmp/, and must
    # reach them (mktemp -d makes 0700 directories).
    user_line="user nobody nogroup;"
    chown -R nobody:nogroup "$RC_DIR/data" "$RC_DIR/tmp"
    chmod 755 "$RC_DIR"
    if ! runuser -u nobody -- test -w "$RC_DIR/tmp/body" 2>/dev/null; then
      _rc_err "nginx: user nobody cannot write $RC_DIR/tmp/body: give its parent directories o+x (mktemp -d makes 0700)"
      return 1
    fi
  fi
  _rc_nginx_credentials || return 1
  RC_WRITE_URL="http://$RC_USER:$RC_PASS@127.0.0.1:$RC_PORT"
  : > "$RC_DIR/error.log"
  cat > "$RC_DIR/nginx.conf" <<EOF
# Written by tests/remote_cache/servers.sh: a WebDAV HTTP cache for Bazel.
$user_line
daemon off;
worker_processes 2;
pid $RC_DIR/nginx.pid;
error_log $RC_DIR/error.log warn;
events { worker_connections 1024; }
http {
  access_log $RC_DIR/access.log;
  client_body_temp_path $RC_DIR/tmp/body;
  proxy_temp_path $RC_DIR/tmp/proxy;
  fastcgi_temp_path $RC_DIR/tmp/fastcgi;
  uwsgi_temp_path $RC_DIR/tmp/uwsgi;
  scgi_temp_path $RC_DIR/tmp/scgi;
  server {
    listen 127.0.0.1:$RC_PORT;
    root $RC_DIR/data;
    client_max_body_size 0;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      # Reads (GET, and HEAD with it) for everyone; every other method needs the writer's
      # credentials.
      limit_except GET {
        auth_basic "rules_kernel_lto cache writers";
        auth_basic_user_file $RC_DIR/htpasswd;
      }
    }
  }
}
EOF
  # Its own session: rc_kill signals the master and its workers as one process group.
  setsid "$nginx" -p "$RC_DIR" -e "$RC_DIR/error.log" -c "$RC_DIR/nginx.conf" \
    > "$RC_DIR/nginx.out" 2>&1 < /dev/null &
  RC_PID=$!
  local i body
  for i in $(seq 1 100); do
    _rc_alive || { cat "$RC_DIR/nginx.out" >> "$RC_DIR/error.log"; _rc_fail_start "exited at start"; return 1; }
    if _rc_port_open "$RC_PORT"; then
      # A PUT/GET round trip through the workers (a probe outside /ac/ and /cas/).
      body="probe $$ $RANDOM"
      if curl -fsS -u "$RC_USER:$RC_PASS" -X PUT --data-binary "$body" "$RC_URL/probe/p" -o /dev/null 2>>"$RC_DIR/error.log" &&
         [ "$(curl -fsS "$RC_URL/probe/p" 2>>"$RC_DIR/error.log")" = "$body" ]; then
        return 0
      fi
      _rc_fail_start "PUT/GET round trip failed"; return 1
    fi
    sleep 0.1
  done
  _rc_fail_start "no answer after 10 s"
}

_rc_nginx_credentials() {  # RC_USER, RC_PASS from DIR/credentials (made on first use); DIR/htpasswd
  local cred="$RC_DIR/credentials"
  if [ ! -s "$cred" ]; then
    (umask 077; printf 'ci:%s\n' "$(python3 -c 'import secrets; print(secrets.token_hex(16))')" > "$cred") || return 1
  fi
  RC_USER=$(cut -d: -f1 "$cred"); RC_PASS=$(cut -d: -f2- "$cred")
  # nginx's {SSHA} scheme (RFC 2307): base64(sha1(password + salt) + salt).
  python3 -c '
import base64, hashlib, os, sys
salt = os.urandom(8)
digest = hashlib.sha1(sys.argv[2].encode() + salt).digest() + salt
print("%s:{SSHA}%s" % (sys.argv[1], base64.b64encode(digest).decode()))
' "$RC_USER" "$RC_PASS" > "$RC_DIR/htpasswd" || return 1
  chmod 600 "$RC_DIR/htpasswd"
  if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$RC_DIR/htpasswd"; fi  # the workers read it
}

# ---- BuildGrid ------------------------------------------------------------------------

RC_BUILDGRID_LOCK="$RC_ROOT/toolchains/locks/buildgrid.lock.txt"

rc_buildgrid_venv() {  # prints the venv directory (installs it first when missing)
  local py hash dir
  py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])') || { _rc_err "no python3"; return 1; }
  hash=$(sha256sum "$RC_BUILDGRID_LOCK" | cut -c1-12)
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/rules_kernel_lto/buildgrid-$hash-py$py"
  if [ ! -f "$dir/.installed" ]; then
    mkdir -p "$(dirname "$dir")"
    (
      flock 9
      [ -f "$dir/.installed" ] && exit 0
      python3 -c 'import ensurepip, venv' 2>/dev/null || {
        echo "servers.sh: installing python3-venv (Debian package)" >&2
        export DEBIAN_FRONTEND=noninteractive
        _rc_sudo apt-get update -qq >&2 && _rc_sudo apt-get install -y -qq --no-install-recommends python3-venv >&2
      }
      rm -rf "$dir"
      echo "servers.sh: installing BuildGrid into $dir (pip, $RC_BUILDGRID_LOCK)" >&2
      python3 -m venv "$dir" >&2 || exit 1
      # The machine's configured pip (its indexes); every file pinned by sha256.
      if ! "$dir/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
           --no-deps --only-binary=:all: -r "$RC_BUILDGRID_LOCK" > "$dir.pip.log" 2>&1; then
        _rc_err "pip install -r $RC_BUILDGRID_LOCK failed (the lock is for CPython 3.11; this is $py; relock: see its header): $(grep -E 'ERROR|rror:' "$dir.pip.log" | head -2 | tr '\n' ' ' | cut -c1-300)"
        rm -rf "$dir"; exit 1
      fi
      touch "$dir/.installed"
    ) 9> "$dir.lock" || return 1
  fi
  echo "$dir"
}

_rc_buildgrid_start() {
  local venv
  venv=$(rc_buildgrid_venv) || return 1
  mkdir -p "$RC_DIR/cas"
  cat > "$RC_DIR/cache.yml" <<EOF
# Written by tests/remote_cache/servers.sh: BuildGrid as a cache only (no execution, no
# database): CAS on disk, action cache in memory (lost on restart).
description: rules_kernel_lto test cache
server:
  - !channel
    address: "127.0.0.1:$RC_PORT"
    insecure-mode: true
authorization:
  method: none
storages:
  - !disk-storage &cas
    path: $RC_DIR/cas
caches:
  - !lru-action-cache &ac
    storage: *cas
    max-cached-refs: 1000000
    allow-updates: true
    cache-failed-actions: false
instances:
  - name: ""
    services:
      - !action-cache
        cache: *ac
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
EOF
  # -vv: one INFO line per request (rc_lookups counts GetActionResult).
  setsid "$venv/bin/bgd" server start -vv "$RC_DIR/cache.yml" >> "$RC_DIR/bgd.log" 2>&1 < /dev/null &
  RC_PID=$!
  local i
  for i in $(seq 1 300); do
    _rc_alive || { _rc_fail_start "exited at start"; return 1; }
    _rc_port_open "$RC_PORT" && return 0
    sleep 0.1
  done
  _rc_fail_start "gRPC port not open after 30 s"
}

# ---- public ---------------------------------------------------------------------------

rc_start() {  # KIND DIR: start (or restart, on the same DIR) a server; sets RC_URL
  local kind=$1 dir=$2
  if _rc_alive; then _rc_err "rc_start: a $RC_KIND server is already running (pid $RC_PID)"; return 1; fi
  mkdir -p "$dir" || return 1
  local prev_port=""
  [ "$RC_DIR" = "$(cd "$dir" && pwd)" ] && prev_port=$RC_PORT
  RC_KIND=$kind
  RC_DIR=$(cd "$dir" && pwd)
  RC_PORT=$(_rc_free_port "$prev_port") || return 1
  case "$kind" in
    nginx) RC_URL="http://127.0.0.1:$RC_PORT"; _rc_nginx_start ;;
    buildgrid) RC_URL="grpc://127.0.0.1:$RC_PORT"; RC_WRITE_URL=$RC_URL; _rc_buildgrid_start ;;
    *) _rc_err "rc_start: unknown server '$kind' (nginx or buildgrid)"; return 2 ;;
  esac
}

rc_kill() {  # SIGKILL the server: the process group it was started in
  [ -n "$RC_PID" ] || return 0
  kill -KILL -- "-$RC_PID" 2>/dev/null || kill -KILL "$RC_PID" 2>/dev/null
  wait "$RC_PID" 2>/dev/null
  # nginx workers exit when the master's group is killed; wait for the port to close.
  local i
  for i in $(seq 1 50); do _rc_port_open "$RC_PORT" || break; sleep 0.1; done
  RC_PID=""
}

rc_stop() {  # SIGTERM (graceful), SIGKILL after 5 s
  [ -n "$RC_PID" ] || return 0
  kill -TERM -- "-$RC_PID" 2>/dev/null
  local i
  for i in $(seq 1 50); do _rc_alive || break; sleep 0.1; done
  rc_kill
}

rc_lookups() {  # action-cache lookups the server has logged since its DIR was made
  case "$RC_KIND" in
    nginx) grep -c '"GET /ac/' "$RC_DIR/access.log" 2>/dev/null || true ;;
    buildgrid) grep -c 'method="GetActionResult"' "$RC_DIR/bgd.log" 2>/dev/null || true ;;
  esac
}

rc_writes() {  # [STATUS]: PUTs under /ac/ and /cas/ the server has logged (nginx only)
  [ "$RC_KIND" = nginx ] || { echo 0; return; }
  if [ -n "${1:-}" ]; then
    grep -cE "\"PUT /(ac|cas)/[^\"]*\" $1 " "$RC_DIR/access.log" 2>/dev/null || true
  else
    grep -cE '"PUT /(ac|cas)/' "$RC_DIR/access.log" 2>/dev/null || true
  fi
}

rc_check_auth() {  # PASS/FAIL lines (nginx); 0 when writes need the credentials, reads do not
  [ "$RC_KIND" = nginx ] || { echo "note: $RC_KIND has no write authentication in these tests"; return 0; }
  local url="$RC_URL/cas/auth-probe-$$" code ok=0
  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "unauthenticated" "$url")
  if [ "$code" = 401 ]; then echo "PASS: cache: PUT without credentials refused (HTTP $code)"
  else echo "FAIL: cache: PUT without credentials answered HTTP $code (want 401)"; ok=1; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$RC_USER:wrong-$RC_PASS" -X PUT --data-binary "wrong password" "$url")
  if [ "$code" = 401 ]; then echo "PASS: cache: PUT with a wrong password refused (HTTP $code)"
  else echo "FAIL: cache: PUT with a wrong password answered HTTP $code (want 401)"; ok=1; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
  if [ "$code" != 404 ]; then echo "FAIL: cache: after the refused PUTs, GET answered HTTP $code (want 404)"; ok=1; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -u "$RC_USER:$RC_PASS" -X PUT --data-binary "writer" "$url")
  if [[ "$code" = 20[14] ]] && [ "$(curl -s "$url")" = writer ]; then
    echo "PASS: cache: PUT with the writer's credentials stored (HTTP $code); GET without credentials reads it"
  else echo "FAIL: cache: PUT with the writer's credentials answered HTTP $code, or GET did not read it back"; ok=1; fi
  return $ok
}

rc_blob_path() {  # HASH: where the server keeps that CAS blob
  case "$RC_KIND" in
    nginx) echo "$RC_DIR/data/cas/$1" ;;
    buildgrid) echo "$RC_DIR/cas/cas/objects/${1:0:2}/${1:2}" ;;
  esac
}

rc_corrupt_blobs() {  # N [HASH...]: overwrite N non-empty CAS blobs in place (the HASHes
  # given first, then any), same size and name, so only a digest check can tell.
  # Prints the hashes it corrupted, one a line.
  local n=$1; shift
  local paths=() h p
  for h in "$@"; do
    p=$(rc_blob_path "$h")
    [ -s "$p" ] && paths+=("$p")
  done
  local root
  case "$RC_KIND" in
    nginx) root="$RC_DIR/data/cas" ;;
    buildgrid) root="$RC_DIR/cas/cas/objects" ;;
  esac
  python3 - "$n" "$root" "${paths[@]}" <<'EOF'
import os, sys
n, root, wanted = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
others = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
done = []
for path in wanted + others:
    if len(done) >= n:
        break
    if path in done or not os.path.isfile(path) or os.path.getsize(path) == 0:
        continue
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(bytes(b ^ 0x5A for b in data))  # every byte changes, the size does not
    done.append(path)
    rel = os.path.relpath(path, root)
    print(rel.replace(os.sep, ""))
EOF
}
