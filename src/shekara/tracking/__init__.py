"""Tracking: devices, fixes, trips, geofences, alert rules and the live map feed."""
