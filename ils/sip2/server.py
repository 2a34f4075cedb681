"""The SIP2 TCP server: one thread per connected terminal, optional TLS.

Settings (the ``[app:main]`` section of the ini file):

``sip2.host`` (default ``0.0.0.0``), ``sip2.port`` (6001), ``sip2.max_connections``
(50: a terminal beyond that is closed at once), ``sip2.idle_timeout`` (seconds
without a message before the connection is closed, 600), ``sip2.tls_cert`` and
``sip2.tls_key`` (PEM files: when both are set, every connection is TLS),
``sip2.library_name`` (``AM`` of the status answer).

Messages end with CR (a CRLF is accepted). A line longer than
``codec.MAX_LINE`` bytes is answered with 96 and thrown away, never buffered
without end; garbage and bad checksums get 96 too, and a connection that
sends nothing usable ten times in a row, or fails to log in five times, is
closed.
"""
import logging
import socket
import socketserver
import ssl
import threading

from . import codec
from .handlers import Connection, Responder

log = logging.getLogger(__name__)

__all__ = ["Sip2Server", "make_server", "tls_context"]


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        sock = self.request
        address = "%s:%s" % self.client_address[:2]
        try:
            sock.settimeout(server.idle_timeout)
            if server.ssl_context is not None:
                sock.settimeout(server.handshake_timeout)
                sock = server.ssl_context.wrap_socket(sock, server_side=True)
                sock.settimeout(server.idle_timeout)
            self.serve(sock, address)
        except (OSError, ssl.SSLError) as exc:
            log.info("SIP2 %s: connection ended (%s)", address, exc)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def serve(self, sock, address):
        server = self.server
        conn = Connection(address)
        buffer = b""
        discarding = False
        while not conn.closing:
            data = sock.recv(8192)
            if not data:
                return
            buffer += data
            while True:
                end = buffer.find(b"\r")
                if end < 0:
                    end = buffer.find(b"\n")      # a bare LF terminator, seen in the wild
                if end < 0:
                    if len(buffer) > codec.MAX_LINE:
                        if not discarding:
                            sock.sendall(codec.format_message("96"))
                        discarding, buffer = True, b""
                    break
                line, buffer = buffer[:end], buffer[end + 1:]
                if buffer.startswith(b"\n"):
                    buffer = buffer[1:]
                if discarding:
                    discarding = False     # the tail of an overlong line
                    continue
                if not line.strip():
                    continue
                if len(line) > codec.MAX_LINE:
                    sock.sendall(codec.format_message("96"))
                    continue
                try:
                    answer = server.responder.respond(line, conn)
                except Exception:       # a bug must cost one answer, not the connection
                    log.exception("SIP2 %s: no answer for %r", address, line[:80])
                    answer = codec.format_message("96")
                sock.sendall(answer)
                if conn.closing:
                    return


class Sip2Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, responder, ssl_context=None, max_connections=50,
                 idle_timeout=600.0, handshake_timeout=10.0):
        self.responder = responder
        self.ssl_context = ssl_context
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self.slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Handler)

    @property
    def port(self):
        return self.server_address[1]

    def verify_request(self, request, client_address):
        if self.slots.acquire(blocking=False):
            return True
        log.warning("SIP2 %s: too many connections, refused", client_address[0])
        return False

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def make_server(settings, session_factory, circulation, hasher, translate=None):
    """A server bound to ``sip2.host``/``sip2.port`` (not yet serving)."""
    cert, key = settings.get("sip2.tls_cert", ""), settings.get("sip2.tls_key", "")
    context = tls_context(cert, key) if cert and key else None
    kwargs = {"library_name": settings.get("sip2.library_name", "")}
    if translate is not None:
        kwargs["translate"] = translate
    responder = Responder(session_factory, circulation, hasher, **kwargs)
    return Sip2Server(
        (settings.get("sip2.host", "0.0.0.0"), int(settings.get("sip2.port", 6001))),
        responder, ssl_context=context,
        max_connections=int(settings.get("sip2.max_connections", 50)),
        idle_timeout=float(settings.get("sip2.idle_timeout", 600)))
