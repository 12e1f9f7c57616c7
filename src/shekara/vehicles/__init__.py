"""Vehicles: plates, VINs, trackers and electronic seals."""
