#!/usr/bin/env python3
"""A real SMTP server on loopback that keeps every message it accepts, for tests and dev.

    python3 scripts/smtp_sink.py --dir data/smtp [--port 2525] [--reject REGEX] [--defer REGEX]
                                 [--auth USER:PASSWORD] [--tls starttls|tls --cert PEM --key PEM]

Needs aiosmtpd (scripts/run_tests.sh installs it into target/tools/venv). Each accepted message
is written to --dir as <n>-<time>.eml (the bytes received) and, after it, <n>-<time>.json: the
envelope (mail_from, rcpt_tos), the authenticated user, the headers, and every leaf MIME part
decoded by Python's email package. Readers wait for the .json file: it is written last, under
a temporary name, then renamed.

--reject answers 550 to recipients matching REGEX (a permanent failure), --defer answers 451
(a transient one). --auth requires AUTH PLAIN/LOGIN with those credentials (over plain TCP:
loopback only). --tls starttls offers and requires STARTTLS, --tls tls speaks TLS from the
first byte (port 465 style), both with --cert/--key; the record notes whether the session was
encrypted ("tls"). Port 0 picks a free port. Once listening it prints one line,
"smtp_sink listening on 127.0.0.1:<port>", and runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import logging
import os
import re
import signal
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    """The aiosmtpd handler: refuses what the patterns say, stores the rest."""

    def __init__(self, directory, reject, defer):
        self.directory = directory
        self.reject = re.compile(reject) if reject else None
        self.defer = re.compile(defer) if defer else None
        self.counter = itertools.count(1)
        os.makedirs(directory, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if self.defer and self.defer.search(address):
            return f"451 4.3.0 <{address}>: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        name = f"{next(self.counter):05d}-{time.time_ns()}"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append(
                {
                    "content_type": part.get_content_type(),
                    "charset": part.get_content_charset(),
                    "transfer_encoding": part.get("Content-Transfer-Encoding"),
                    "body": part.get_content(),
                }
            )
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": login,
            # STARTTLS sets session.ssl; TLS from the first byte shows on the transport.
            "tls": bool(session.ssl) or server.transport.get_extra_info("ssl_object") is not None,
            "headers": {key: str(value) for key, value in message.items()},
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        self._write(f"{name}.eml", raw)
        self._write(f"{name}.json", json.dumps(record, indent=2).encode("utf-8"))
        return "250 Message accepted for delivery"

    def _write(self, name, data):
        partial = os.path.join(self.directory, f".{name}.part")
        with open(partial, "wb") as file:
            file.write(data)
        os.rename(partial, os.path.join(self.directory, name))


def authenticator_for(credentials):
    user, _, password = credentials.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


async def serve(args):
    sink = Sink(args.dir, args.reject, args.defer)
    options = {"hostname": "smtp-sink", "enable_SMTPUTF8": True}
    if args.auth:
        # AUTH without TLS is the point here (loopback); so is aiosmtpd's own login_data.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        options.update(
            authenticator=authenticator_for(args.auth), auth_required=True, auth_require_tls=False
        )
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    loop = asyncio.get_running_loop()
    wrapper = context if args.tls == "tls" else None
    server = await loop.create_server(lambda: SMTP(sink, **options), args.host, args.port, ssl=wrapper)
    port = server.sockets[0].getsockname()[1]
    print(f"smtp_sink listening on {args.host}:{port}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True, help="where messages are written")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=2525, help="0 picks a free port")
    parser.add_argument("--reject", help="550 for recipients matching this regex")
    parser.add_argument("--defer", help="451 for recipients matching this regex")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require these credentials")
    parser.add_argument("--tls", choices=["starttls", "tls"], help="encrypt with --cert/--key")
    parser.add_argument("--cert", help="the server's certificate chain (PEM)")
    parser.add_argument("--key", help="the server's private key (PEM)")
    args = parser.parse_args()
    if args.tls and not (args.cert and args.key):
        sys.exit("--tls needs --cert and --key")
    if not (args.host.startswith("127.") or args.host in ("::1", "localhost")):
        sys.exit("smtp_sink listens on loopback only")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
