"""Renderings of a Report: one module per output format, all pure."""
