"""Faithful local stand-ins for Spotilla and Netvisor (used by demo, tests and rehearsals).

Owns the two HTTP servers on loopback and their data; they follow the documented contracts at
least as strictly as the real services.

May import: core only (it must not share code with the clients it tests)."""
