"""Faithful local stand-ins for Spotilla and Netvisor (used by demo, tests and rehearsals)."""
