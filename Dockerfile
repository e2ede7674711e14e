# The directory API and its web pages. Embedded engine by default; SEARCH_BACKEND=elasticsearch for a
# region-wide deployment.

# Front-end libraries from npm (package-lock.json), copied into the served static files: no CDN.
FROM node:20-slim AS web-assets
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY directory_api ./directory_api
COPY --from=web-assets /web/node_modules/leaflet/dist/leaflet.js /web/node_modules/leaflet/dist/leaflet.css /web/node_modules/leaflet/LICENSE ./directory_api/web/static/vendor/leaflet/
COPY --from=web-assets /web/node_modules/leaflet/dist/images ./directory_api/web/static/vendor/leaflet/images
COPY data ./data
# The embedded index out of var/: built here by root, read-only for the server's user.
ENV INDEX_PATH=/app/index/directory.sqlite
RUN uv sync --frozen --no-dev && directory build-index

# Code, environment, data and index stay root's, read-only for the server's user; it owns var/ only
# (reports, usage counters, its secret), not recursively. o-w: whatever the checkout's modes were.
RUN useradd --system --uid 10001 directory \
    && mkdir -p /app/var/reports && chown directory /app/var /app/var/reports \
    && find /app -xdev ! -type l -perm -o+w -exec chmod o-w {} +
USER directory
EXPOSE 8000
CMD ["directory", "serve", "--host", "0.0.0.0", "--port", "8000"]
