# The tellgraph API image (used by docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tellgraph ./tellgraph
COPY demo ./demo
RUN pip install . && useradd --create-home tellgraph
USER tellgraph
EXPOSE 8000
CMD ["tellgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
