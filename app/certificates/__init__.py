"""Certificates of completion: issue, verify, revoke, reissue, signed credentials and PDFs."""

from app.certificates.tasks import install_hooks

# Closing a cohort (in app.attendance) queues its certificates after commit; the hooks are on every session of
# any process that loads the models (server, worker, command line), so no caller has to remember them.
install_hooks()
