"""Research projects: a named batch of hypotheses validated by a background job (service.py, job.py),
followed over Server-Sent Events (stream.py)."""
from .job import recover_abandoned, run_project, submit
from .service import get_research, list_research, new_project

__all__ = ["get_research", "list_research", "new_project", "recover_abandoned", "run_project", "submit"]
