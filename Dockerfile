# syntax=docker/dockerfile:1
#
# The Keel node image. Two stages:
#   build    installs the whole pnpm workspace from the lockfile, compiles it (tsc -b), and
#            `pnpm deploy`s @keel/server with its production dependencies only into /out;
#   runtime  Node.js, tini and /out, run as an unprivileged user, data in a volume.
# Configuration is only KEEL_* environment variables and `keel start` flags (keel start --help).
#
#   docker build -t keel:local .
#   docker run -d --name keel -p 5433:5433 -p 8080:8080 -e KEEL_ADMIN_PASSWORD=secret \
#     -v keel-data:/var/lib/keel --stop-timeout 30 keel:local
#
# Node.js 20 matches the version the project is built and tested with (package.json engines).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /src
# pnpm at the version package.json pins (packageManager), installed with npm: no corepack.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npm install --global --no-fund --no-audit \
      "pnpm@$(node -p "require('./package.json').packageManager.replace(/^pnpm@/, '')")"
# Dependencies come from the lockfile alone, so this layer is reused until the lockfile changes.
RUN --mount=type=cache,id=keel-pnpm-store,target=/pnpm/store \
    pnpm fetch --store-dir /pnpm/store
COPY . .
RUN --mount=type=cache,id=keel-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline --store-dir /pnpm/store \
 && pnpm build \
 && pnpm --filter @keel/server deploy --legacy --prod --offline --store-dir /pnpm/store /out
# @keel/consensus reads proto/raft.proto relative to its own files (four directories above
# dist/grpc/, which is the repository root in the workspace). In the deployed tree the same
# relative path lands beside each package's folder in node_modules/.pnpm, so put the protos
# there, then load the Raft service once so that a moved file fails the build, not a cluster start.
# (Shipping the .proto files inside @keel/consensus would make this step unnecessary.)
RUN set -eu; \
    cd /out; \
    for pkg in node_modules/@keel/*; do \
      cp -R /src/proto "$(dirname "$(dirname "$(readlink -f "$pkg")")")/"; \
    done; \
    node --input-type=module -e "const { raftService } = await import('./node_modules/@keel/consensus/dist/grpc/raft-service.js'); raftService();"

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to the node and reaps the processes that hooks and probes leave.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can check it and volumes can be chowned to it.
RUN groupadd --system --gid 10001 keel \
 && useradd --system --uid 10001 --gid keel --home-dir /var/lib/keel --no-create-home \
      --shell /usr/sbin/nologin keel \
 && mkdir -p /var/lib/keel \
 && chown keel:keel /var/lib/keel \
 && chmod 0700 /var/lib/keel \
 && printf '#!/bin/sh\nexec node /app/dist/main.js "$@"\n' > /usr/local/bin/keel \
 && chmod 0755 /usr/local/bin/keel
# The application stays owned by root: the node's user can read it but not change it.
COPY --from=build /out /app
COPY deploy/docker/probe.mjs /app/probe.mjs
WORKDIR /app

LABEL org.opencontainers.image.title="keel" \
      org.opencontainers.image.description="Keel: a Raft-replicated, PostgreSQL-compatible SQL database node"

# Inside a container the node listens on every interface; everything else keeps `keel start`'s
# defaults and is changed with KEEL_* variables or flags. KEEL_GRPC_PORT is left unset: a
# cluster deployment sets it together with KEEL_NODE_ID and KEEL_PEERS (see docker-compose.yml).
# docker stop waits 10 s by default before SIGKILL: give running statements 5 s so that the final
# WAL flush and checkpoint fit (raise both with --stop-timeout / stop_grace_period).
ENV NODE_ENV=production \
    KEEL_DATA_DIR=/var/lib/keel \
    KEEL_PG_HOST=0.0.0.0 \
    KEEL_PG_PORT=5433 \
    KEEL_HTTP_HOST=0.0.0.0 \
    KEEL_HTTP_PORT=8080 \
    KEEL_GRPC_HOST=0.0.0.0 \
    KEEL_SHUTDOWN_TIMEOUT_S=5

# PostgreSQL protocol, HTTP (health, metrics, cluster), cluster gRPC (Raft and WAL shipping).
EXPOSE 5433 8080 7000 7001
VOLUME ["/var/lib/keel"]
USER 10001:10001

# Ready = accepting sessions (in a cluster: caught up and in the quorum). The start period covers
# crash recovery of a large WAL.
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s --retries=3 \
  CMD ["node", "/app/probe.mjs", "/health/ready"]

# SIGTERM makes the node stop accepting, let statements finish (KEEL_SHUTDOWN_TIMEOUT_S), flush
# the WAL with a final checkpoint and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/main.js"]
CMD ["start"]
