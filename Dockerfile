# syntax=docker/dockerfile:1
# One image for every app. They all run from the same npm workspace with the same dependencies and
# no build step (tsx loads the TypeScript), so one image per app would be eight copies of the same
# layers; the chart picks the app with its entry point: `args: [apps/<app>/src/main.ts]`.
#   docker build -t surety/surety:<version> .
# Node 24, the active LTS line, pinned to a minor; local development still runs on Node 20.11 or newer.
ARG NODE_IMAGE=node:24.19-bookworm-slim

# The workspace's package manifests alone: the dependency layer below is rebuilt only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps apps
COPY packages packages
RUN find apps packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY --from=manifests /app ./
# Runtime dependencies only; tsx is one of them, since the apps run from source.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The customer and ops pages, built by Vite into the api's static assets (apps/api/public).
FROM dependencies AS web
COPY tsconfig.base.json ./
COPY apps/web apps/web
RUN npm run build -w @surety/web

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app ./
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY apps apps
COPY --from=web /app/apps/api/public apps/api/public
# The node image's unprivileged user (uid 1000), which the chart's securityContext names too.
USER node
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/api/src/main.ts"]
