# syntax=docker/dockerfile:1
# One image for every app. The apps are compiled into dist/<app>.js (scripts/build-dist.ts, the
# @surety/* workspaces bundled in, every other package loaded from node_modules) and share the same
# production dependencies, so one image per app would be eight copies of the same layers; the chart
# picks the app with its entry point: `args: [dist/<app>.js]`.
#   docker build -t surety/surety:<version> .
# Node 24, the active LTS line, pinned to a minor; local development still runs on Node 20.11 or newer.
ARG NODE_IMAGE=node:24.19-bookworm-slim

# The workspace's package manifests alone: the dependency layers below are rebuilt only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps apps
COPY packages packages
RUN find apps packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

# What the image runs with: the production dependencies only.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Every dependency, the dev ones included: esbuild (through tsx) compiles the apps, Vite builds the
# customer and ops pages into the api's static assets (apps/api/public).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY tsconfig.base.json tsconfig.json ./
COPY scripts/build-dist.ts scripts/
COPY packages packages
COPY apps apps
RUN node --import tsx scripts/build-dist.ts && npm run build -w @surety/web

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app ./
COPY --from=build /app/dist dist
# Read at run time from where the sources would be: the migrations (@surety/db), the pages and the
# runbook their gauges link to (api).
COPY packages/db/migrations packages/db/migrations
COPY --from=build /app/apps/api/public apps/api/public
COPY docs/runbook.md docs/runbook.md
# The node image's unprivileged user (uid 1000), which the chart's securityContext names too.
USER node
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=4"]
CMD ["dist/api.js"]
