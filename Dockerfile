FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY requirements/prod.lock requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/prod.lock
COPY meetings meetings
COPY rooms rooms
COPY signaling signaling
COPY media media
COPY frontend frontend
COPY manage.py ./
RUN pip install --no-cache-dir --no-deps .
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p 8000 meetings.asgi:application"]
