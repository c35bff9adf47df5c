"""Spotilla -> PSOP -> Netvisor invoicing connector."""

__version__ = "0.1.0"
