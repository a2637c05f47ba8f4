# syntax=docker/dockerfile:1
# One image for the four services: `docker run <image> serve intake` (routing, scheduling, reporting),
# and for the operator commands (`caseflow replay ...`, `python -m shared.topics_config apply`).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first (a layer that survives code changes): the project's runtime dependencies at the
# exact versions of requirements.lock. The lock also pins the test tools, which the image leaves out.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > runtime-requirements.txt \
    && grep -v '^-e ' requirements.lock > constraints.txt \
    && pip install --constraint constraints.txt --requirement runtime-requirements.txt
COPY shared ./shared
COPY services ./services
COPY caseflow ./caseflow
RUN pip install --no-deps . && pip check

FROM python:3.11-slim
# A fixed non-root uid/gid, so Kubernetes' runAsNonRoot can verify it and volumes can be owned by it.
RUN groupadd --system --gid 10001 caseflow \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin caseflow
COPY --from=build /opt/venv /opt/venv
COPY deploy/kafka/topics.yaml deploy/kafka/acls.yaml /app/deploy/kafka/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CASEFLOW_TOPICS_FILE=/app/deploy/kafka/topics.yaml \
    CASEFLOW_ACLS_FILE=/app/deploy/kafka/acls.yaml
WORKDIR /app
USER 10001:10001
# Each service listens on <SERVICE>_HTTP_PORT (compose: 8001-8004; Kubernetes: 8000).
EXPOSE 8000 8001 8002 8003 8004
ENTRYPOINT ["caseflow"]
CMD ["--help"]
