"""Long work off the request: jobs that the worker runs, with their progress for the page that waits."""
