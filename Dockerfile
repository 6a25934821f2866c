# The pipeline's components, for docker-compose.yml (machines with a Docker engine).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY provisioning ./provisioning
COPY consumers ./consumers
COPY producers ./producers
COPY schemas ./schemas
COPY executors ./executors
COPY db ./db
RUN pip install --no-cache-dir --editable .
USER nobody
ENTRYPOINT ["provisioning"]
