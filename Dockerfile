FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY requirements/prod.lock requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/prod.lock
COPY meetings meetings
COPY rooms rooms
COPY signaling signaling
COPY media media
COPY groups groups
COPY ops ops
COPY frontend frontend
COPY manage.py setup.py ./
# The relay's compiled per-packet path (media/aiortc_private/_packet_io.c), built next to
# the sources the app imports from /app; without it the relay runs the same path in Python.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && python setup.py build_ext --inplace && rm -rf build \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir --no-deps .
EXPOSE 8000
# meetings.serve: daphne whose every line, the access log too, is JSON without a client address
# or an invite secret (docs/operations.md, "Logs").
# --proxy-headers: the client's address comes from Caddy's X-Forwarded-For (Caddy replaces any
# a client sends, and only Caddy reaches daphne), so sign-in lockout and join throttling count
# people, not the proxy.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec python -m meetings.serve --proxy-headers -b 0.0.0.0 -p 8000 meetings.asgi:application"]
