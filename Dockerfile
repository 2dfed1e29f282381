# syntax=docker/dockerfile:1
#
# One image for every BeatStream service; compose.yaml picks the command: the relayer (the default CMD), the Ponder
# indexer, the one-shot deploy and the local Hardhat node. The relayer runs as TypeScript through tsx and the deploy
# through Hardhat, so the image keeps the devDependencies. Not built on the development machine (no Docker engine
# there): see README, "Scale path: Docker Compose".
#
#   docker build -t beatstream .

# Hardhat 3 needs Node >= 22.13 and scripts/check-lock.ts Node's type stripping (on by default from 22.18): any
# current node:22 image has both.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# A C++ toolchain for native addons without a prebuilt binary for the build platform (secp256k1 and keccak ship
# linux-x64 ones; other platforms compile them).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts/check-lock.ts scripts/
# `npm install --no-save`, not `npm ci`: the lock omits the other platforms' optional Hardhat EDR builds and `npm ci`
# refuses it (scripts/setup.sh). With the committed lock npm installs exactly its versions, which check-lock.ts then
# proves package by package; --no-save leaves the lock as committed. npm runs on the image's Node 22 here, so it
# installs Hardhat's native EDR package (engines >= 22), which an older Node would silently skip.
RUN --mount=type=cache,target=/root/.npm \
    npm install --no-save --no-audit --no-fund --loglevel=error \
 && node scripts/check-lock.ts \
 && node -e 'import("@nomicfoundation/edr").then(() => console.log("Hardhat EDR loaded"))'

FROM deps AS build
COPY . .
# The deploy step needs the contracts' artifacts; compiling here (offline, with the pinned WASM solc) keeps it out of
# every container start. The indexer's ABIs are committed (indexer/abis), so it needs no build.
RUN npx hardhat build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# MALLOC_TRIM_THRESHOLD_: glibc hands back the native memory PGlite's thread frees (100–140 MB of RSS, BENCHMARKS.md).
ENV PONDER_TELEMETRY_DISABLED=true \
    MALLOC_TRIM_THRESHOLD_=131072 \
    HEALTHCHECK_URL=http://127.0.0.1:8787/healthz
# Owned by the unprivileged `node` user of the base image: Hardhat's cache, Ignition's journal, Ponder's generated
# files, the embedded stores and deployments/ are written at run time.
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/deployments /app/.data && chown node:node /app/deployments /app/.data
USER node
EXPOSE 8545 8787 42069
# Plain Node (the slim image has no curl): 200 from HEALTHCHECK_URL is healthy. The relayer's /healthz checks its
# database and the chain; compose points the indexer's at Ponder's /ready.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "relayer/src/server.ts"]
