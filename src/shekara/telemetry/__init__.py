"""Telemetry: tracker protocol codecs (EGTS, Wialon IPS) and the TCP/UDP gateways."""
