# The directory API. Embedded engine by default; SEARCH_BACKEND=elasticsearch for a region-wide deployment.
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
COPY data ./data
RUN uv sync --frozen --no-dev && directory build-index

RUN useradd --system --uid 10001 directory && chown -R directory /app/var
USER directory
EXPOSE 8000
CMD ["directory", "serve", "--host", "0.0.0.0", "--port", "8000"]
