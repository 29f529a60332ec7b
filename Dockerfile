# syntax=docker/dockerfile:1
# Strata: one image, every component by subcommand (`strata receive|store|query|compact|all|tools`).
#
#   docker build -t strata:$(node -p 'require("./package.json").version') .
#
# Runs as a non-root user (10001) and works with a read-only root filesystem: the only writable
# paths it needs are its data directories and /tmp (tsx's transpile cache), which the Kubernetes
# manifests in deploy/ mount as volumes.
ARG NODE_VERSION=20.19.5

# 1. Build stage: full dependency tree (dev included) to bundle the web UI from source.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build-ui.mjs ./scripts/build-ui.mjs
COPY src ./src
# The bundle is deterministic, so this reproduces the checked-in src/ui/dist from the sources.
RUN node scripts/build-ui.mjs --quiet

# 2. Runtime dependencies only.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime image.
FROM node:${NODE_VERSION}-bookworm-slim
ARG STRATA_REVISION=unknown
ARG STRATA_BUILD_DATE=
ENV NODE_ENV=production \
    STRATA_REVISION=${STRATA_REVISION} \
    STRATA_BUILD_DATE=${STRATA_BUILD_DATE}
WORKDIR /app
RUN groupadd --system --gid 10001 strata \
 && useradd --system --uid 10001 --gid strata --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin strata \
 && mkdir -p /data \
 && chown strata:strata /data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY --from=build /src/src ./src
RUN chmod 0755 bin/strata.js && ln -s /app/bin/strata.js /usr/local/bin/strata
USER 10001:10001
# gRPC StoreAPI, HTTP (API, UI, /metrics, health), remote write.
EXPOSE 10901 10902 19291
VOLUME ["/data"]
ENTRYPOINT ["strata"]
CMD ["--help"]
