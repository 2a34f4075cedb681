"""``serepok sip2 INI`` runs the server from the ini file's settings until it is stopped."""
import os
import signal
import socket
import subprocess
import sys
import time

from ils.sip2 import codec


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_serves_sip2_and_stops_on_sigterm(tmp_path):
    port = free_port()
    ini = tmp_path / "sip2.ini"
    ini.write_text(f"""[app:main]
use = egg:serepok
sqlalchemy.url = sqlite:///{tmp_path}/serepok.sqlite
sql.auto_migrate = true
argon2.time_cost = 1
argon2.memory_cost = 1024
argon2.parallelism = 1
sip2.host = 127.0.0.1
sip2.port = 1
""")
    serepok = os.path.join(os.path.dirname(sys.executable), "serepok")
    process = subprocess.Popen([serepok, "sip2", str(ini), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert f"127.0.0.1:{port}" in process.stdout.readline()
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        with sock:
            line = "9300CNnobody|COwrong|AY0AZ"
            sock.sendall((line + codec.checksum(line) + "\r").encode())
            assert sock.recv(100).startswith(b"940")      # no such terminal: refused
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
