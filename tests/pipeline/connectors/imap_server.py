"""A real Dovecot IMAP server on loopback, configured in a temporary folder, for the e-mail connector tests.

Dovecot (Debian's ``dovecot-imapd``, installed by ``make test-deps``) runs in the foreground with its own
config, a free port, plain-text login allowed and one user whose mail lives in the temporary folder.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER, PASSWORD = "support", "imap-test-pw"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = voc-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """One running Dovecot instance; ``stop`` ends exactly the process it started."""

    def __init__(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not os.path.exists(binary):
            raise RuntimeError("dovecot is not installed: run `make test-deps` (apt-get install dovecot-imapd)")
        self.root = Path(tempfile.mkdtemp(prefix="voc-dovecot-"))
        self.root.chmod(0o755)  # the mail user must reach its maildir
        self.port = _free_port()
        if os.geteuid() == 0:  # Dovecot refuses uid 0 for mail: use its own unprivileged accounts
            login_user, internal_user, mail_user = "dovenull", "dovecot", "dovecot"
        else:
            login_user = internal_user = mail_user = pwd.getpwuid(os.geteuid()).pw_name
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir()
        if os.geteuid() == 0:
            for sub in ("mail", "home"):
                shutil.chown(self.root / sub, mail_user, mail_user)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.config = self.root / "dovecot.conf"
        self.config.write_text(CONFIG.format(root=self.root, port=self.port, login_user=login_user,
                                             internal_user=internal_user, mail_user=mail_user,
                                             mail_group=mail_user))
        self.process = subprocess.Popen([binary, "-F", "-c", str(self.config)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited {self.process.returncode}: {self.process.stdout.read()!r}\n"
                                   f"{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{self.port}\n{self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, mailbox: str, *messages: bytes) -> list[int]:
        """Append messages to a mailbox (created when missing); return their UIDs."""
        conn = self.client()
        try:
            conn.create(f'"{mailbox}"')  # NO when it exists, which is fine
            uids = []
            for message in messages:
                typ, data = conn.append(f'"{mailbox}"', None, None, message)
                assert typ == "OK", data
                uids.append(int(data[0].split(b"APPENDUID ")[1].split()[1].rstrip(b"]")))
            return uids
        finally:
            conn.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
