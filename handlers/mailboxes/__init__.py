"""Mailboxes All Hands polls (IMAP): the session with a server, and the poller that reads each
registered mailbox from one process at a time."""
