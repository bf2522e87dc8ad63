# Airbyte source connector image: `docker run IMAGE spec|check|discover|read ...`; also the
# standalone tool: `docker run IMAGE sync|serve ...` into DuckDB (a mounted file) or PostgreSQL.
# Stage 1: production dependencies only (what ships).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Stage 2: compile the TypeScript engine and CLI (the compiler never reaches the runtime image).
FROM deps AS build
WORKDIR /tools
RUN npm init -y >/dev/null && npm install --no-audit --no-fund --save-exact typescript@5.9.3 @types/node@20.19.43 @types/pg@8.23.1
WORKDIR /app
# Merged into the @types some runtime packages bring along (cron brings @types/luxon).
RUN mkdir -p node_modules/@types && cp -r /tools/node_modules/@types/. node_modules/@types/
COPY tsconfig.json tsconfig.build.json ./
COPY spec ./spec
COPY connector ./connector
COPY command-line ./command-line
COPY protocol ./protocol
COPY standalone ./standalone
COPY cli ./cli
RUN node /tools/node_modules/typescript/bin/tsc -p tsconfig.build.json

# Stage 3: what the runtime needs of the dependencies: no type declarations, no ES-module copies
# of packages the CommonJS build never loads. DuckDB's native binding
# (@duckdb/node-bindings-linux-x64, a prebuilt glibc library) stays: `sync` and `serve` load it.
FROM deps AS runtime-deps
RUN find node_modules -name '*.d.ts' -delete -o -name '*.d.mts' -delete -o -name '*.d.cts' -delete -o -name '*.map' -delete \
 && rm -rf node_modules/@types node_modules/stripe/esm

# Stage 4: the runtime, as small as it can be while Python transformations (Pyodide) work offline.
FROM node:22-bookworm-slim
WORKDIR /airbyte/integration_code
ENV NODE_ENV=production
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/dist/cli/main.js"
ENTRYPOINT ["node", "/airbyte/integration_code/dist/cli/main.js"]
LABEL io.airbyte.name="airbyte/source-stripe-customers" \
      io.airbyte.version="0.1.0"
