#!/usr/bin/env python3
"""idle_sessions.py PORT N PID: log N sessions in and hold them idle; print the server's PSS per session.

Used by bench.sh. Sessions are driven by one selector loop (no threads), in waves, so the client
side stays small; the figure is the server's proportional set size (PSS, /proc/PID/smaps_rollup)
before and after, divided by the sessions that logged in.
"""
import selectors, socket, sys, time


def pss_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def login_wave(port, count, sel):
    conns = {}
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setblocking(False)
        conns[s] = [b"", "greeting"]
        sel.register(s, selectors.EVENT_READ)
    deadline = time.time() + 60
    while any(st[1] not in ("in", "refused") for st in conns.values()) and time.time() < deadline:
        for key, _ in sel.select(1):
            s = key.fileobj
            st = conns[s]
            data = s.recv(4096)
            if not data:
                st[1] = "refused"; sel.unregister(s); continue
            st[0] += data
            while b"\r\n" in st[0]:
                line, st[0] = st[0].split(b"\r\n", 1)
                if len(line) > 3 and line[3:4] == b"-":
                    continue
                code = line[:3]
                if st[1] == "greeting" and code == b"220":
                    s.send(b"USER test\r\n"); st[1] = "user"
                elif st[1] == "user" and code == b"331":
                    s.send(b"PASS test\r\n"); st[1] = "pass"
                elif st[1] == "pass" and code == b"230":
                    st[1] = "in"; sel.unregister(s)
                else:
                    st[1] = "refused"; sel.unregister(s)
    return conns


def main():
    port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    time.sleep(0.3)
    before = pss_kib(pid)
    sel = selectors.DefaultSelector()
    held = {}
    while len(held) < n:
        held.update(login_wave(port, min(250, n - len(held)), sel))
    ok = sum(1 for st in held.values() if st[1] == "in")
    time.sleep(1.0)
    after = pss_kib(pid)
    print(f"{ok} {(after - before) / max(ok, 1):.1f} {before} {after}")
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
