"""Operations: health checks, Prometheus metrics, structured logs."""
