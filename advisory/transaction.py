"""Where a request's or a command's writes end: one commit boundary, used by every view.

Services flush and never commit; the view (or command) that called them decides. It wraps
its writes in `unit_of_work`: when the block ends they are committed, before the page is
rendered, so no write lock is held while a template runs. A refusal the view answers itself
(a service's own error) rolls the writes back and is kept on the unit for the view to
explain; any other exception rolls back and propagates.

    with unit_of_work(StaffError) as work:
        new = service.reset_staff(...)
    if work.refusal is not None:
        return render_staff(refusal=...), 409
"""

from __future__ import annotations

from types import TracebackType

from advisory.extensions import db


class UnitOfWork:
    def __init__(self, refusals: tuple[type[Exception], ...]) -> None:
        self.refusals = refusals
        self.refusal: Exception | None = None

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is None:
            db.session.commit()
            return False
        db.session.rollback()
        if isinstance(error, self.refusals):
            self.refusal = error
            return True  # answered by the view
        return False


def unit_of_work(*refusals: type[Exception]) -> UnitOfWork:
    """Commit the block's writes, or roll them back; `refusals` are kept, not raised."""
    return UnitOfWork(refusals)
