#!/usr/bin/env bash
# Installs what the browser end-to-end tests (`make e2e`) need, idempotently:
# Debian's chromium and chromium-driver (never a browser downloaded by a
# test tool) and axe-core from the npm registry, into target/e2e-node.
# Prints nothing but errors when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "e2e-deps: installing chromium and chromium-driver (Debian packages)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq chromium chromium-driver >/dev/null
fi

AXE_DIR=target/e2e-node
AXE_VERSION=4.11.0
if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null || {
    echo "e2e-deps: npm is needed for axe-core (apt-get install -y npm)" >&2
    exit 1
  }
  echo "e2e-deps: installing axe-core@$AXE_VERSION into $AXE_DIR"
  mkdir -p "$AXE_DIR"
  npm install --silent --no-audit --no-fund --no-save --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
fi
