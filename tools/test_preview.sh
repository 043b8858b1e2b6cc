#!/usr/bin/env bash
# Build the local docs preview (_site/) and test it in headless Chromium; one line per page, then
# `preview: N passed, M failed`. Exits non-zero on any failure. Installs what it needs when missing:
# Debian's pandoc and chromium (apt-get) and playwright + nbclient (pip; playwright drives the system chromium,
# no browser download). Usage: tools/test_preview.sh [--shots tools/screenshots] [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONWARNINGS=ignore
PY=${PYTHON:-python3}
start=$(date +%s)

fail() { echo "FAIL: $1"; echo "preview: 0 passed, 1 failed"; exit 1; }
browser() { command -v chromium || command -v chromium-browser || command -v google-chrome; }  # GitHub's runners carry Chrome
missing=()
command -v pandoc >/dev/null 2>&1 || missing+=(pandoc)
browser >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (apt-get, once)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || fail "could not install Debian's ${missing[*]} (apt-get install ${missing[*]})"
fi
CHROMIUM=$(browser)
if ! $PY -c "import playwright.sync_api, nbclient, nbformat, yaml, PIL, nbdev" >/dev/null 2>&1; then
  echo "== installing playwright and nbclient (pip, once; playwright drives the system chromium)"
  $PY -m pip install -q playwright nbclient pillow pyyaml || fail "could not pip install playwright nbclient pillow pyyaml"
fi

build_args=()
shot_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) build_args+=(--force) ;;
    --shots) shot_args+=(--shots "$2"); shift ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
  shift
done

echo "== build: nbdev processing (cached in _site/.proc; only changed notebooks) then pandoc, $(pandoc --version | head -1)"
$PY tools/preview.py build "${build_args[@]+"${build_args[@]}"}" || fail "tools/preview.py build crashed"
echo "== test in $($CHROMIUM --version 2>/dev/null | head -1)"
exec $PY tools/test_preview.py --chromium "$CHROMIUM" --started "$start" "${shot_args[@]+"${shot_args[@]}"}"
