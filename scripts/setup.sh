#!/usr/bin/env bash
# Installs the project. Hardhat 3 needs Node >= 22.13, and npm must itself run on Node 22 while it
# installs, or npm silently skips Hardhat's native EDR package. On an older system Node this fetches
# a private Node 22 from the npm registry into .tools/ and installs with it. After that every
# `npm run …` uses Node 22 on its own, because the `node` devDependency comes first on scripts' PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE22_VERSION=22.23.3
major=$(node -p 'process.versions.node.split(".")[0]')
minor=$(node -p 'process.versions.node.split(".")[1]')
if [ "$major" -lt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -lt 13 ]; }; then
  if [ ! -x .tools/node22/node_modules/.bin/node ]; then
    echo "setup: system Node $(node --version) is too old for Hardhat 3; installing Node $NODE22_VERSION into .tools/node22"
    npm install --prefix .tools/node22 --prefer-offline --no-audit --no-fund --loglevel=error "node@$NODE22_VERSION"
  fi
  export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"
fi
echo "setup: installing with Node $(node --version)"
# `npm install`, not `npm ci`: the lockfile omits the other platforms' optional EDR builds that this
# registry lacks, and `npm ci` refuses such a lockfile. With the committed lock it installs exactly it.
# --prefer-offline: metadata already in the npm cache is used as is. Here the registry answers some other
# platforms' optional packages with a TLS error that npm retries for about 70 s per package before it
# falls back to the cache anyway; without a cache, npm fetches as usual.
# A registry error mid-install (seen here: intermittent TLS failures) gets two more tries before setup fails.
for attempt in 1 2 3; do
  npm install --prefer-offline --no-audit --no-fund --loglevel=error && break
  [ "$attempt" -lt 3 ] || exit 1
  echo "setup: npm install failed (attempt $attempt of 3); retrying in 10 s"
  sleep 10
done
node -e 'import("@nomicfoundation/edr").then(() => console.log("setup: Hardhat EDR loaded"))'
# The web app is its own package (app/: Vite 8, React, wagmi), so Ponder's Vite 5 in the root stays as it is.
for attempt in 1 2 3; do
  npm install --prefix app --prefer-offline --no-audit --no-fund --loglevel=error && break
  [ "$attempt" -lt 3 ] || exit 1
  echo "setup: npm install --prefix app failed (attempt $attempt of 3); retrying in 10 s"
  sleep 10
done
echo "setup: web app dependencies installed (app/node_modules)"
