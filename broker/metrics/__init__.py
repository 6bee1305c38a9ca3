"""The broker's Prometheus exporter (docs/metrics.md): `service` wires it (hooks on the send, pull and
end-transaction paths and the dispatchers, the /metrics endpoint), `collector` builds the families at scrape
time, `lag` computes consumer lag, `labels` classifies topics and groups."""
