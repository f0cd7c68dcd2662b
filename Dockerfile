# syntax=docker/dockerfile:1
# audiencectl controller image: `docker build -t audiencectl .`
# Runs `audiencectl run` by default; any other command works too, e.g.
# `docker run --rm audiencectl plan /manifests --base origin/main`.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript with the dev dependencies ----------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are skipped here because `prepare` builds, and the sources are not copied yet.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY specs ./specs
RUN npm run build

# --- runtime: production dependencies, git and ssh, non-root -------------------
FROM ${NODE_IMAGE} AS runtime
# git (with ssh) is what the git source runs; ca-certificates for HTTPS remotes and AEP.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 audiencectl \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin audiencectl \
 && mkdir -p /var/lib/audiencectl /var/cache/audiencectl \
 && chown 10001:10001 /var/lib/audiencectl /var/cache/audiencectl

WORKDIR /app
ENV NODE_ENV=production \
    AUDIENCECTL_STATE_DIR=/var/lib/audiencectl \
    AUDIENCECTL_WORK_DIR=/var/cache/audiencectl \
    AUDIENCECTL_LISTEN=0.0.0.0:8080
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY --from=build /src/specs ./specs

USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["run"]

LABEL org.opencontainers.image.title="audiencectl" \
      org.opencontainers.image.description="GitOps reconciler for Adobe Experience Platform external audiences" \
      org.opencontainers.image.licenses="Apache-2.0"
