"""Production entry point: `gunicorn wsgi:app` (settings in gunicorn.conf.py)."""

from advisory import create_app

app = create_app()
if not app.extensions["advisory_settings"].initialised:
    raise SystemExit("Advisory Line is not initialised: run `flask --app advisory init` first.")
