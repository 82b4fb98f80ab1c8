# chatapp: gunicorn + eventlet, one worker per container (scale with replicas).

# The web client, built from web/ (npm ci: the lockfile's exact packages);
# only its bundle goes into the image, not Node.js or node_modules.
FROM node:20-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/tsconfig.json web/build.mjs ./
COPY web/src ./src
RUN npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CHATAPP_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin chatapp \
    && mkdir -p /var/log/chatapp && chown chatapp:chatapp /var/log/chatapp

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=chatapp:chatapp wsgi.py cli.py gunicorn.conf.py ./
COPY --chown=chatapp:chatapp chatapp ./chatapp
COPY --from=web --chown=chatapp:chatapp /build/chatapp/static/app ./chatapp/static/app
COPY --chown=chatapp:chatapp chatclient ./chatclient
COPY --chown=chatapp:chatapp migrations ./migrations

USER chatapp
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# Secrets (SECRET_KEY, passwords) come from the environment at run time, never from the image.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
