# parity-bot: the GitHub App service. Nothing here is architecture-specific: the same file
# builds for linux/amd64 and linux/arm64 (docker buildx build --platform linux/amd64,linux/arm64).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN python -m venv /opt/parity-bot \
 && /opt/parity-bot/bin/pip install --no-cache-dir --disable-pip-version-check ".[service]"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv parity \
 && mkdir -p /srv /data && chown parity /srv /data
COPY --from=build /opt/parity-bot /opt/parity-bot
ENV PATH=/opt/parity-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ENV_FILE=/data/.env \
    DATABASE_URL=sqlite:////data/parity-bot.db \
    LOG_FORMAT=json \
    PORT=3000
WORKDIR /srv
USER 10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["python", "-c", "import os,urllib.request;urllib.request.urlopen('http://127.0.0.1:'+os.environ.get('PORT','3000')+'/healthz',timeout=2)"]
ENTRYPOINT ["parity-bot"]
CMD ["serve"]
