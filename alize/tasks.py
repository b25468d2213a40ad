"""Celery task base that re-enters the scope of the dispositif the task works on."""

from celery import Task

from alize.tenancy import ScopeError, scope


class ScopedTask(Task):
    """Runs the task body inside ``scope([dispositif_id])`` taken from its keyword arguments.

    A task over every dispositif must say so with ``national = True`` (its scope then
    names the task as reason); any other task called without ``dispositif_id`` fails.
    """

    abstract = True
    national = False

    def __call__(self, *args, **kwargs):
        dispositif_id = kwargs.get("dispositif_id")
        if dispositif_id is not None:
            with scope([dispositif_id]):
                return super().__call__(*args, **kwargs)
        if self.national:
            with scope(every_dispositif=True, reason=f"national task {self.name}"):
                return super().__call__(*args, **kwargs)
        raise ScopeError(f"Task {self.name} needs a dispositif_id keyword argument.")
