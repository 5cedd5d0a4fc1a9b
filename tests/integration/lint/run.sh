#!/usr/bin/env bash
# Lint (issue 14): buildifier (format + lint warnings) over every BUILD/.bzl/WORKSPACE file
# and ruff (ruff.toml: pycodestyle, pyflakes, bugbear) over tools/, tests/ and bench/.
#
#   bash tests/integration/lint/run.sh            # check (CI runs this)
#   bash tests/integration/lint/run.sh --fix      # buildifier --mode=fix, ruff --fix
#   bash tests/integration/lint/run.sh --relock   # print lint.lock lines for the pinned versions
#
# The linters are the versions pinned in lint.lock, fetched once with the machine's own npm
# (`npm pack`) and pip (`pip download`) into ~/.cache/rules_kernel_lto/lint and checked by
# sha256; a missing npm is installed from Debian. Prints PASS/FAIL per linter; exit 1 on a
# finding, 2 if a linter cannot be fetched.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
lock="$here/lint.lock"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rules_kernel_lto/lint"
mode=check
case "${1:-}" in
  "") ;;
  --fix) mode=fix ;;
  --relock) mode=relock ;;
  *) echo "lint: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
esac
# Not buildifier's defaults: tests load rules/private on purpose (bzl-visibility); Bazel 4.2
# has sh_test built in and rules_shell cannot be fetched here (native-sh-test); WORKSPACE
# macros take no name (unnamed-macro); docstrings are prose, not Args:/Returns: sections.
warnings=-bzl-visibility,-native-sh-test,-unnamed-macro,-function-docstring-args,-function-docstring-return,-function-docstring-header

die() { echo "lint: $*" >&2; exit 2; }

fetch() {  # fetch TOOL: the verified download of TOOL in $cache; prints its path
  local tool=$1 line registry pkg version file sha got
  line=$(grep -v '^#' "$lock" | awk -v t="$tool" '$1 == t') || true
  [ -n "$line" ] || die "$lock has no line for $tool"
  read -r _ registry pkg version file sha <<<"$line"
  mkdir -p "$cache"
  if [ ! -f "$cache/$file" ]; then
    local tmp
    tmp=$(mktemp -d "$cache/fetch.XXXXXX")
    case $registry in
      npm)
        if ! command -v npm >/dev/null 2>&1; then
          local sudo=""
          [ "$(id -u)" = 0 ] || sudo=sudo
          echo "lint: installing npm (Debian package)" >&2
          DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >&2 || die "cannot install npm"
        fi
        (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null 2>"$tmp/err") || die "npm pack $pkg@$version failed: $(tail -1 "$tmp/err")" ;;
      pypi)
        python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
          --python-version 3.11 -d "$tmp" "$pkg==$version" 2>"$tmp/err" || die "pip download $pkg==$version failed: $(tail -1 "$tmp/err")" ;;
      *) die "$lock: unknown registry $registry" ;;
    esac
    [ -f "$tmp/$file" ] || die "$registry gave no $file for $pkg $version (got: $(ls "$tmp" | tr '\n' ' ')); relock with $0 --relock"
    mv "$tmp/$file" "$cache/$file"
    rm -rf "$tmp"
  fi
  got=$(sha256sum "$cache/$file" | cut -d' ' -f1)
  if [ "$mode" = relock ]; then
    echo "$tool $registry $pkg $version $file $got"
    return
  fi
  [ "$got" = "$sha" ] || die "$cache/$file: sha256 $got, $lock pins $sha (delete it to fetch again, or relock)"
  echo "$cache/$file"
}

if [ "$mode" = relock ]; then
  rm -f "$cache"/*.tgz "$cache"/*.whl
  fetch buildifier; fetch ruff
  exit 0
fi

tgz=$(fetch buildifier) || exit 2
whl=$(fetch ruff) || exit 2
bin="$cache/bin"
mkdir -p "$bin"
if [ ! -x "$bin/buildifier" ] || [ "$tgz" -nt "$bin/buildifier" ]; then
  tar -xzf "$tgz" -C "$bin" --strip-components=1 package/buildifier-linux_amd64 && mv "$bin/buildifier-linux_amd64" "$bin/buildifier" || die "cannot unpack $tgz"
fi
if [ ! -x "$bin/ruff" ] || [ "$whl" -nt "$bin/ruff" ]; then
  python3 - "$whl" "$bin/ruff" <<'PY' || die "cannot unpack $whl"
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/ruff"))
    with open(sys.argv[2], "wb") as f:
        f.write(z.read(name))
os.chmod(sys.argv[2], 0o755)
PY
fi

cd "$root"
mapfile -t starlark < <(git ls-files '*.bzl' '*.bazel' 'WORKSPACE' '*/BUILD' | grep -v '/testdata/')
status=0
out=$("$bin/buildifier" --lint=warn --warnings="$warnings" --mode="$mode" "${starlark[@]}" 2>&1) || true
if [ -z "$out" ]; then
  echo "PASS buildifier: ${#starlark[@]} files formatted, no lint warnings"
else
  echo "FAIL buildifier ($(grep -c . <<<"$out") findings; fix with: bash tests/integration/lint/run.sh --fix):"
  head -30 <<<"$out" | sed 's/^/    /'
  status=1
fi
ruff_args=(check --no-cache --config "$root/ruff.toml" --output-format=concise)
[ "$mode" = fix ] && ruff_args+=(--fix)
if out=$("$bin/ruff" "${ruff_args[@]}" tools tests bench 2>&1); then
  echo "PASS ruff: $(git ls-files 'tools/*.py' 'tests/*.py' 'bench/*.py' | wc -l) Python files"
else
  echo "FAIL ruff ($(grep -c ': [A-Z][0-9]' <<<"$out") findings):"
  head -30 <<<"$out" | sed 's/^/    /'
  status=1
fi
exit $status
