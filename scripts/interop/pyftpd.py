"""pyftpdlib server for ftpspec's interop matrix (run with Debian's /usr/bin/python3 by peers.sh).

One event loop, a test user with full rights in its own root, optional read-only anonymous access,
optional explicit TLS (AUTH TLS, needs python3-openssl), and the data-connection address check on.
"""

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="test")
    p.add_argument("--password", default="test")
    p.add_argument("--root", required=True)
    p.add_argument("--anon-root", help="read-only anonymous root (omit: no anonymous login)")
    p.add_argument("--pasv", required=True, help="passive port range LO-HI")
    p.add_argument("--cert", help="PEM certificate: enables AUTH TLS")
    p.add_argument("--key", help="PEM private key for --cert")
    p.add_argument("--max-cons", type=int, default=1000)
    p.add_argument("--log-level", default="INFO")
    a = p.parse_args()

    lo, hi = (int(x) for x in a.pasv.split("-", 1))

    auth = DummyAuthorizer()
    auth.add_user(a.user, a.password, a.root, perm="elradfmwMT")
    if a.anon_root:
        auth.add_anonymous(a.anon_root, perm="elr")

    handler = FTPHandler
    if a.cert:
        try:
            from pyftpdlib.handlers import TLS_FTPHandler
        except ImportError as e:  # pyftpdlib without PyOpenSSL has no TLS_FTPHandler
            sys.exit("pyftpd: --cert given but TLS is unavailable (install python3-openssl): %s" % e)
        handler = TLS_FTPHandler
        handler.certfile = a.cert
        handler.keyfile = a.key or a.cert
        handler.tls_control_required = False
        handler.tls_data_required = False

    handler.authorizer = auth
    handler.banner = "pyftpdlib ready (ftpspec interop)"
    handler.passive_ports = range(lo, hi + 1)
    handler.masquerade_address = a.listen  # the address in 227 replies
    handler.permit_foreign_addresses = False  # the default, spelled out: the matrix depends on it
    handler.permit_privileged_ports = False

    logging.basicConfig(level=getattr(logging, a.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(message)s")
    server = FTPServer((a.listen, a.port), handler, backlog=1024)
    server.max_cons = a.max_cons
    server.max_cons_per_ip = a.max_cons
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
