"""Email: the outbox every message is written to first, in the same transaction as the change that causes it;
its sending by the worker; people's choices of language and of optional mail."""
