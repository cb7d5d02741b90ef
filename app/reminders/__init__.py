"""Reminders: what is queued to whom, and when: the deadline reminders of open requirements, the messages of events
(enrolment, the waitlist, withdrawal, completion, decisions, sessions), and the weekly digests."""
