"""The deployment's metrics in Prometheus text, for a signed-in administrator.

The same text `flask --app advisory metrics` serves on its own address (`advisory/metrics/`):
counts by route name and category, never content. Everyone else gets what every admin page
gives them: the sign-in page, or the 403 page for another role.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from advisory.admin.routes import bp
from advisory.auth.access import require_role
from advisory.metrics.exposition import metrics_response
from advisory.models import Role


@bp.get("/metrics")
@require_role(Role.ADMIN)
def metrics() -> Response:
    return metrics_response()
