"""A Dovecot IMAP server of the test's own, in a temporary folder, which it may stop and start.

Dovecot comes from the Debian packages (`apt-get install dovecot-imapd`; `.ci/run` installs
it). Tests that need it are skipped without it, except where ALLHANDS_REQUIRE_IMAP=1 (CI):
there a missing Dovecot fails them.

The server listens on 127.0.0.1 and a free port, keeps mail as maildir under its folder and
knows one user from a passwd file, with a plain password (imaps with a self-signed certificate
when asked). Mail is delivered the way a mail transfer agent does it, by writing a file into
the maildir's `new/`: that works while the server is stopped too, and logs nobody in.

Dovecot will not give mail access to root: run as root, its mail processes run as the package's
`dovecot` user (`first_valid_uid` lowered to it) and its login processes as `dovenull`; run as
anyone else, every process runs as that user.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.support.databases import free_port

USER = "alice"
IMAP_REQUIRED = os.environ.get("ALLHANDS_REQUIRE_IMAP") == "1"
STARTUP_PATIENCE = 30.0  # seconds before a server that does not listen is called broken
_installed = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
MISSING = "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)"
needs_dovecot = pytest.mark.skipif(not _installed and not IMAP_REQUIRED, reason=MISSING)
_names = itertools.count()


class ThrowawayDovecot:
    def __init__(self, *, tls: bool = False, idle: bool = True) -> None:
        if not _installed:
            pytest.fail(MISSING)
        self.binary = _installed
        self.tls = tls
        self.root = Path(tempfile.mkdtemp(prefix="allhands-imap-"))
        self.root.chmod(0o755)  # the mail and login processes run as other users
        self.port = free_port()
        self.password = secrets.token_urlsafe(12)
        as_root = os.geteuid() == 0
        self._mail_user = pwd.getpwnam("dovecot" if as_root else getpass.getuser())
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config(as_root, idle)
        self._maildir("INBOX")

    # ---- the server ----------------------------------------------------------------------

    def url(self, folder: str = "INBOX") -> str:
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{USER}:{self.password}@127.0.0.1:{self.port}/{folder}"

    def start(self) -> None:
        log = (self.root / "console.log").open("ab")
        self._process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_PATIENCE
        while not self._listening():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"Dovecot did not start:\n{self.log()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut the server down, its connections with it (a session in IDLE outlives the
        master's own shutdown), and wait until it is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        deadline = time.monotonic() + STARTUP_PATIENCE
        while self._listening() and time.monotonic() < deadline:  # its children go after it
            time.sleep(0.05)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for path in (self.root / "console.log", self.root / "dovecot.log")
            if path.exists()
        )

    def logins(self) -> int:
        """How many times someone logged in (from the server's own log)."""
        return self.log().count(f"Login: user=<{USER}>")

    # ---- mail ----------------------------------------------------------------------------

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Drop a message into the folder's maildir, as a mail transfer agent does."""
        maildir = self._maildir(folder)
        name = f"{time.time_ns()}.M{next(_names)}P{os.getpid()}.allhands"
        written = maildir / "tmp" / name
        written.write_bytes(raw)
        self._own(written)
        written.rename(maildir / "new" / name)

    def client(self) -> IMAPClient:
        """A session of the test's own, logged in (imaps: trusting the server's certificate)."""
        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.root / "cert.pem"))
        client = IMAPClient("127.0.0.1", port=self.port, ssl=self.tls, ssl_context=context)
        client.login(USER, self.password)
        return client

    def renumber(self, folder: str) -> None:
        """Delete the folder and make it anew: empty, with a new UIDVALIDITY."""
        client = self.client()
        try:
            client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            client.logout()

    def uidvalidity(self, folder: str) -> int:
        client = self.client()
        try:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()

    # ---- set-up ------------------------------------------------------------------------

    def _maildir(self, folder: str) -> Path:
        home = self.root / "mail" / USER
        maildir = home if folder == "INBOX" else home / f".{folder}"
        for path in (self.root / "mail", home, maildir, *(maildir / s for s in SUBDIRS)):
            if not path.exists():
                path.mkdir(mode=0o700)
                self._own(path)
        return maildir

    def _own(self, path: Path) -> None:
        os.chown(path, self._mail_user.pw_uid, self._mail_user.pw_gid)

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def _write_config(self, as_root: bool, idle: bool) -> None:
        root, user = self.root, self._mail_user
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{self.password}::::::\n")
        imap_port, imaps_port = (0, self.port) if self.tls else (self.port, 0)
        lines = [
            f"base_dir = {root}/run",
            f"state_dir = {root}/state",
            f"log_path = {root}/dovecot.log",
            "protocols = imap",
            "listen = 127.0.0.1",
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            f"default_internal_user = {'dovecot' if as_root else user.pw_name}",
            f"default_login_user = {'dovenull' if as_root else user.pw_name}",
            f"first_valid_uid = {user.pw_uid}",
            f"mail_location = maildir:{root}/mail/%u",
            *self._tls_lines(),
            # A server without IDLE: the capabilities Dovecot announces, less IDLE.
            *([] if idle else ["imap_capability = IMAP4rev1 SASL-IR LITERAL+ UIDPLUS"]),
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {root}/passwd",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid={user.pw_uid} gid={user.pw_gid} home={root}/mail/%u",
            "}",
            "service imap-login {",
            "  chroot =",
            f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}",
            f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n  }}",
            "}",
            "service anvil {",
            "  chroot =",
            "}",
        ]
        (root / "dovecot.conf").write_text("\n".join(lines) + "\n")

    def _tls_lines(self) -> list[str]:
        if not self.tls:
            return ["ssl = no"]
        cert, key = self.root / "cert.pem", self.root / "key.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(key), "-out", str(cert),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return ["ssl = required", f"ssl_cert = <{cert}", f"ssl_key = <{key}"]


SUBDIRS = ("cur", "new", "tmp")


@contextmanager
def running_dovecot(*, tls: bool = False, idle: bool = True) -> Iterator[ThrowawayDovecot]:
    """A started server, removed (folder and all) at the end."""
    server = ThrowawayDovecot(tls=tls, idle=idle)
    try:
        server.start()
        yield server
    finally:
        server.remove()
