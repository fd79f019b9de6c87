"""Staff notices in the app: what the sweeps and intake announced, by kind and reference."""

from advisory.notices.routes import bp

__all__ = ["bp"]
