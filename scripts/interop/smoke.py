"""Health check of one interop peer with independent clients (Python's ftplib and curl).

It proves the peer is set up the way the matrix assumes before ftpspec's own verdicts are trusted:
login, PASV and EPSV uploads and downloads with the bytes compared, ports inside the declared range,
explicit TLS with PROT P, anonymous read-only access, the data-connection address check (a
connection from another loopback address receives none of the file), and N sessions logged in at
the same moment, each with its own pending passive port.

Prints one line per check and exits 1 if any check failed, 2 on bad usage.
Run with Debian's /usr/bin/python3 (standard library only).
"""

import argparse
import ftplib
import hashlib
import io
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

RESULTS = []


def report(ok, check, detail):
    RESULTS.append(ok)
    print("  %-4s %-12s %s" % ("ok" if ok else "FAIL", check, detail), flush=True)


def payload(n, seed):
    """n bytes that differ per seed, so a misrouted file cannot pass for the right one."""
    out = bytearray()
    block = 0
    while len(out) < n:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), block)).digest()
        block += 1
    return bytes(out[:n])


class Peer:
    def __init__(self, a):
        u = urllib.parse.urlsplit(a.url)
        if u.scheme != "ftp" or not u.hostname:
            sys.exit("smoke: --url %r: want ftp://user:pass@host:port" % a.url)
        self.host = u.hostname
        self.port = u.port or 21
        self.user = urllib.parse.unquote(u.username or "anonymous")
        self.password = urllib.parse.unquote(u.password or "ftpspec@")
        self.url = a.url.rstrip("/")
        lo, hi = a.pasv.split("-", 1)
        self.lo, self.hi = int(lo), int(hi)
        self.cafile = a.cafile
        self.timeout = a.timeout

    def in_range(self, port):
        return self.lo <= port <= self.hi

    def connect(self, tls=False, attempts=1):
        """A logged-in session. attempts>1 retries refused/reset connects (vsftpd's backlog is 32)."""
        for i in range(attempts):
            try:
                if tls:
                    ctx = ssl.create_default_context(cafile=self.cafile)
                    f = ftplib.FTP_TLS(context=ctx, timeout=self.timeout)
                else:
                    f = ftplib.FTP(timeout=self.timeout)
                f.connect(self.host, self.port)
                break
            except (ConnectionResetError, ConnectionRefusedError, EOFError):
                if i == attempts - 1:
                    raise
                time.sleep(0.2 * (i + 1))
        f.login(self.user, self.password)
        if tls:
            f.prot_p()
        f.voidcmd("TYPE I")
        return f


def pasv_port(f):
    host, port = ftplib.parse227(f.sendcmd("PASV"))
    return host, port


def epsv_port(f):
    return ftplib.parse229(f.sendcmd("EPSV"), f.sock.getpeername())[1]


def transfer_checks(p, tls):
    """STOR over PASV, RETR over EPSV (and the other way round), bytes compared, ports in range."""
    name = "smoke-%s-%d.bin" % ("tls" if tls else "plain", os.getpid())
    data = payload(256 * 1024 + 17, name)
    f = p.connect(tls=tls)

    def data_port(mode):
        if mode == "EPSV":
            return epsv_port(f)
        host, port = pasv_port(f)
        if host != p.host:
            report(False, "pasv-addr", "227 names %s, the control connection is to %s" % (host, p.host))
        return port

    def open_data(port):
        return socket.create_connection((p.host, port), timeout=p.timeout)

    def secure(s):
        return f.context.wrap_socket(s, server_hostname=p.host, session=f.sock.session) if tls else s

    try:
        ports = []
        for mode in ("PASV", "EPSV"):
            # Upload: connect, then the command, then (TLS) the handshake once the server accepts.
            port = data_port(mode)
            ports.append(port)
            s = open_data(port)
            resp = f.sendcmd("STOR " + name)
            s = secure(s)
            s.sendall(data)
            if tls:
                s = s.unwrap()
            s.close()
            f.voidresp()
            # Download the same file.
            port = data_port(mode)
            ports.append(port)
            s = open_data(port)
            f.sendcmd("RETR " + name)
            s = secure(s)
            got = bytearray()
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
            s.close()
            f.voidresp()
            label = ("tls-" if tls else "") + mode.lower()
            if bytes(got) == data:
                report(True, label, "STOR+RETR %d bytes identical (%s)" % (len(data), resp.split()[0]))
            else:
                report(False, label, "RETR gave %d bytes, %s" % (
                    len(got), "different" if len(got) == len(data) else "wrong length"))
        bad = [x for x in ports if not p.in_range(x)]
        report(not bad, ("tls-" if tls else "") + "range", "data ports %s %s %d-%d" % (
            ports, "outside" if bad else "inside", p.lo, p.hi))
        f.delete(name)
    finally:
        try:
            f.quit()
        except Exception:
            f.close()


def curl_checks(p, curl):
    name = "smoke-curl-%d.bin" % os.getpid()
    data = payload(300 * 1000, name)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
        with open(src, "wb") as fh:
            fh.write(data)
        base = [curl, "-sS", "--ftp-pasv", "--max-time", str(int(p.timeout))]
        try:
            subprocess.run(base + ["-T", src, p.url + "/" + name], check=True, capture_output=True, text=True)
            subprocess.run(base + ["--disable-epsv", "-o", dst, p.url + "/" + name], check=True,
                           capture_output=True, text=True)
            subprocess.run(base + ["-Q", "-DELE " + name, "-o", os.devnull, p.url + "/"], check=True,
                           capture_output=True, text=True)
        except subprocess.CalledProcessError as e:
            report(False, "curl", "%s: exit %d %s" % (" ".join(e.cmd[5:7]), e.returncode, e.stderr.strip()))
            return
        with open(dst, "rb") as fh:
            same = fh.read() == data
        report(same, "curl", "upload (EPSV), download (PASV) %d bytes %s" % (len(data), "identical" if same else "DIFFERENT"))


def anonymous_checks(p):
    f = ftplib.FTP(timeout=p.timeout)
    f.connect(p.host, p.port)
    try:
        f.login("anonymous", "smoke@")
        got = bytearray()
        f.retrbinary("RETR readme.txt", got.extend)
        try:
            f.storbinary("STOR smoke-anon.txt", io.BytesIO(b"x\n"))
            refused = None
        except ftplib.error_perm as e:
            refused = str(e)
        report(len(got) > 0 and refused is not None, "anonymous",
               "RETR readme.txt %d bytes; STOR %s" % (len(got), ("refused: " + refused) if refused else "ACCEPTED"))
    finally:
        try:
            f.quit()
        except Exception:
            f.close()


def foreign_check(p, foreign):
    """A data connection from another loopback address to a live passive port gets none of the file."""
    name = "smoke-foreign-%d.bin" % os.getpid()
    data = payload(64 * 1024, name)
    f = p.connect()
    try:
        f.storbinary("STOR " + name, io.BytesIO(data))
        host, port = pasv_port(f)
        thief = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        thief.bind((foreign, 0))
        thief.settimeout(3)
        try:
            thief.connect((p.host, port))
            connected = "accepted at TCP level"
        except OSError as e:
            connected = "connect failed (%s)" % e.__class__.__name__
            thief.close()
            thief = None
        # The transfer command: the server now accepts its pending connection(s).
        f.putcmd("RETR " + name)
        stolen = 0
        if thief is not None:
            try:
                while True:
                    b = thief.recv(65536)
                    if not b:
                        break
                    stolen += len(b)
            except (socket.timeout, ConnectionResetError):
                pass
            thief.close()
        # The legitimate client connects, then reads whatever the server does.
        replies, got = [], bytearray()
        try:
            s = socket.create_connection((p.host, port), timeout=3)
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            except (socket.timeout, ConnectionResetError):
                pass
            s.close()
        except OSError as e:
            replies.append("legit connect: %s" % e.__class__.__name__)
        f.sock.settimeout(3)
        try:
            while True:
                r = f.getline()
                replies.append(r[:60])
                if r[:1] in "2345" and r[3:4] == " " and not r.startswith("425 Rejected data connection from foreign"):
                    break
        except (socket.timeout, EOFError, OSError):
            pass
        legit = "legitimate transfer %s" % ("complete" if bytes(got) == data else "not completed (%d bytes)" % len(got))
        report(stolen == 0, "foreign-ip", "thief from %s %s, received %d bytes; %s; replies %s" % (
            foreign, connected, stolen, legit, replies))
        f.sock.settimeout(p.timeout)
    finally:
        try:
            f.delete(name)
            f.quit()
        except Exception:
            f.close()


def concurrency_check(p, n):
    """n sessions logged in at once, each with a pending passive port; all distinct, all in range."""
    logged = threading.Barrier(n + 1)
    pasv_done = threading.Barrier(n + 1)
    ports = [None] * n
    errors = []
    listed = [0]
    lock = threading.Lock()

    def session(i):
        f = None
        try:
            f = p.connect(attempts=5)
            logged.wait(timeout=90)
            ports[i] = pasv_port(f)[1]
            pasv_done.wait(timeout=90)
            s = socket.create_connection((p.host, ports[i]), timeout=p.timeout)
            f.sendcmd("NLST")
            while s.recv(65536):
                pass
            s.close()
            f.voidresp()
            with lock:
                listed[0] += 1
        except Exception as e:  # recorded: every session's fate goes into the verdict
            with lock:
                errors.append("session %d: %s: %s" % (i, e.__class__.__name__, e))
            logged.abort()
            pasv_done.abort()
        finally:
            if f is not None:
                try:
                    f.quit()
                except Exception:
                    f.close()

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(n)]
    start = time.monotonic()
    for i, t in enumerate(threads):
        t.start()
        if i % 16 == 15:
            time.sleep(0.1)  # ramp: vsftpd's listen backlog is 32
    try:
        logged.wait(timeout=120)
        all_in = time.monotonic() - start
        pasv_done.wait(timeout=120)
    except threading.BrokenBarrierError:
        all_in = None
    for t in threads:
        t.join(timeout=60)
    got = [x for x in ports if x is not None]
    dup = len(got) - len(set(got))
    out = [x for x in got if not p.in_range(x)]
    ok = not errors and all_in is not None and len(got) == n and dup == 0 and not out and listed[0] == n
    detail = "%d/%d logged in together%s; %d pending passive ports, %d shared, %d outside range; %d NLST ok" % (
        n - len(errors), n, " after %.1fs" % all_in if all_in is not None else "", len(got), dup, len(out), listed[0])
    if errors:
        detail += "; first error: " + errors[0]
    report(ok, "concurrency", detail)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--pasv", required=True, help="the server's declared passive range LO-HI")
    ap.add_argument("--tls", action="store_true", help="also check AUTH TLS with PROT P")
    ap.add_argument("--cafile", help="certificate to trust for --tls")
    ap.add_argument("--anon", action="store_true", help="also check read-only anonymous login")
    ap.add_argument("--foreign", default="127.0.0.2", help="source address of the foreign data connection")
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--curl", default="curl")
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    p = Peer(a)

    print("%s: smoke test of %s (pasv %d-%d)" % (a.name, p.url.split("@")[-1], p.lo, p.hi), flush=True)
    checks = [("transfer", lambda: transfer_checks(p, tls=False))]
    if a.curl:
        checks.append(("curl", lambda: curl_checks(p, a.curl)))
    if a.tls:
        checks.append(("tls", lambda: transfer_checks(p, tls=True)))
    if a.anon:
        checks.append(("anonymous", lambda: anonymous_checks(p)))
    checks.append(("foreign-ip", lambda: foreign_check(p, a.foreign)))
    if a.sessions > 0:
        checks.append(("concurrency", lambda: concurrency_check(p, a.sessions)))
    for label, fn in checks:
        try:
            fn()
        except Exception as e:  # a check that blew up is a failed check, reported with its cause
            report(False, label, "%s: %s" % (e.__class__.__name__, e))
    failed = RESULTS.count(False)
    print("%s: %d passed, %d failed" % (a.name, RESULTS.count(True), failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
