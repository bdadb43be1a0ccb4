from celery import shared_task

from .services import close_resolved_issues


@shared_task(ignore_result=True)
def close_resolved_issues_task() -> int:
    """Daily (beat): close the issues resolved 7 days ago and not reopened."""
    return close_resolved_issues()
