"""Telco Customer 360: the local runtime and operator CLI."""
