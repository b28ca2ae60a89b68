"""Hostile dates, times and text in every field a client fills in."""
