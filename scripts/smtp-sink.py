#!/usr/bin/env python3
"""A real SMTP server for Paperboy's tests: aiosmtpd (from PyPI) on 127.0.0.1, storing every
accepted message as FOLDER/NNNNNN.eml with the envelope in FOLDER/NNNNNN.json.

  smtp-sink.py FOLDER [--port N] [--tls-cert CERT --tls-key KEY] [--auth USER:PASSWORD]
               [--reject ADDRESS=CODE ...] [--delay SECONDS]

Prints "LISTENING <port>" once it accepts connections. --tls-cert enables STARTTLS; --auth
requires AUTH (PLAIN or LOGIN); --reject answers RCPT TO for ADDRESS with CODE (450, 550, …);
--delay waits before answering each RCPT TO. Stop it with SIGTERM.
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder, rejects, delay):
        self.folder = folder
        self.rejects = rejects
        self.delay = delay
        self.count = len([name for name in os.listdir(folder) if name.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # The delay sits before the message is accepted, so a client killed while waiting
        # leaves no half-delivered message behind.
        if self.delay:
            await asyncio.sleep(self.delay)
        code = self.rejects.get(address.lower())
        if code:
            return f"{code} {'try again later' if code.startswith('4') else 'no such mailbox'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = os.path.join(self.folder, f"{self.count:06d}")
        with open(stem + ".eml.tmp", "wb") as handle:
            handle.write(envelope.original_content)
        with open(stem + ".json", "w") as handle:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                       "auth": session.authenticated}, handle)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--delay", type=float, default=0)
    options = parser.parse_args()
    os.makedirs(options.folder, exist_ok=True)
    rejects = dict(item.lower().split("=", 1) for item in options.reject)
    port = options.port or free_port()

    keywords = {}
    if options.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        keywords["tls_context"] = context
    if options.auth:
        user, password = options.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        keywords["authenticator"] = authenticator
        keywords["auth_required"] = True
        keywords["auth_require_tls"] = bool(options.tls_cert)
    controller = Controller(Sink(options.folder, rejects, options.delay), hostname="127.0.0.1", port=port,
                            server_hostname="localhost", ready_timeout=10, **keywords)
    controller.start()
    print(f"LISTENING {port}", flush=True)
    # Messages are renamed into place whole, so stopping at once loses nothing half-written.
    # Swift's Process starts children with SIGTERM blocked: unblock it, or it never arrives.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
