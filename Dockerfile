# syntax=docker/dockerfile:1
# audiencectl controller image: `docker build -t audiencectl .`
# Runs `audiencectl run` by default; any other command works too, e.g.
# `docker run --rm audiencectl plan /manifests --base origin/main`.

# The base image, pinned by the digest of its multi-arch index (linux/amd64 and
# linux/arm64), so that a rebuild gets the same Node and Debian packages. This digest
# is node:24-bookworm-slim as published for Node 24.18.0; it was not pulled from the
# machine that wrote this line (no registry access there), so verify it before the
# first release, and update it (with the version in this comment) when Node or Debian
# ship fixes:
#   docker buildx imagetools inspect node:24-bookworm-slim   # prints "Digest: sha256:..."
# The release workflow builds with this same ARG.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# --- build: bundle the TypeScript with the dev dependencies (esbuild) ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No dependency's install script is needed to bundle (the package itself has none).
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
COPY specs ./specs
RUN npm run build

# --- deps: production dependencies only ----------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime: node, git, ssh and tini; no npm, non-root -------------------------
FROM ${NODE_IMAGE} AS runtime
# git (with ssh) is what the git source runs; ca-certificates for HTTPS remotes and
# AEP; tini as PID 1 reaps the processes git leaves behind (ssh, remote helpers)
# and forwards SIGTERM to node. libnss-wrapper gives ssh a user under a uid the image has
# none for (runAsUser other than 10001, OpenShift's assigned uids): ssh refuses to run
# without one, and the controller preloads it for git then (src/source/ssh-user.ts).
# npm, npx and corepack are removed: nothing runs them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client libnss-wrapper ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && groupadd --gid 10001 audiencectl \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin audiencectl \
 && mkdir -p /var/lib/audiencectl /var/cache/audiencectl \
 && chown 10001:10001 /var/lib/audiencectl /var/cache/audiencectl

WORKDIR /app
# [::] takes IPv4 and IPv6 connections.
ENV NODE_ENV=production \
    AUDIENCECTL_STATE_DIR=/var/lib/audiencectl \
    AUDIENCECTL_WORK_DIR=/var/cache/audiencectl \
    AUDIENCECTL_LISTEN=[::]:8080
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/specs ./specs
# Checkouts mounted from the host belong to the host's user: git trusts them (image/gitconfig).
COPY image/gitconfig /etc/gitconfig
# `audiencectl` on the PATH, as npm links it: `kubectl exec deploy/audiencectl -- audiencectl
# state …` repairs the file state inside the pod (docs/deploy.md, "Repairing the file state").
RUN ln -s /app/dist/cli/main.js /usr/local/bin/audiencectl

USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/main.js"]
CMD ["run"]

LABEL org.opencontainers.image.title="audiencectl" \
      org.opencontainers.image.description="GitOps reconciler for Adobe Experience Platform external audiences" \
      org.opencontainers.image.source="https://github.com/audiencectl/audiencectl" \
      org.opencontainers.image.licenses="Apache-2.0"
