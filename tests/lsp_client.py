"""A small LSP client over stdio with plain JSON-RPC framing, for driving `preplint server`."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


def uri(path: Path) -> str:
    return path.resolve().as_uri()


class LspClient:
    """Starts the server as a subprocess; every message both ways is kept in `transcript`."""

    def __init__(self, root: Path, *, watch_files: bool = True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREPLINT_")}
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - read by stderr() after close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "preplint", "server"],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
        )
        self.root = root
        self.transcript: list[tuple[str, Message]] = []
        self.notifications: queue.Queue[Message] = queue.Queue()
        self.responses: dict[int, Message] = {}
        self._next_id = 0
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.initialize_result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": root.name}],
                "capabilities": {
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": True},
                        "codeAction": {
                            "codeActionLiteralSupport": {
                                "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}
                            },
                            "isPreferredSupport": True,
                        },
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "synchronization": {"didSave": True},
                    },
                    "workspace": {
                        "didChangeWatchedFiles": {"dynamicRegistration": watch_files},
                    },
                },
            },
        )
        self.notify("initialized", {})

    # --- framing ---------------------------------------------------------------------------------

    def _send(self, message: Message) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        self.transcript.append(("client -> server", message))

    def _read_loop(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            self.transcript.append(("server -> client", message))
            if "method" in message and "id" in message:
                # A request from the server (client/registerCapability, ...): accept it.
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.put(message)
            else:
                with self._lock:
                    self.responses[message["id"]] = message
                    self._lock.notify_all()

    # --- requests and notifications ------------------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to {method}")
                self._lock.wait(left)
            response = self.responses.pop(ident)
        if "error" in response:
            raise RuntimeError(f"{method} failed: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(
        self, predicate: Callable[[Message], bool], timeout: float = 60, what: str = "notification"
    ) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {what}")
            try:
                message = self.notifications.get(timeout=left)
            except queue.Empty:
                raise TimeoutError(f"no {what}") from None
            if predicate(message):
                return message

    def diagnostics_for(
        self, path: Path, version: int | None = None, timeout: float = 60
    ) -> list[Message]:
        """The next diagnostics published for `path` (for `version`, when given)."""
        target = uri(path)

        def matches(message: Message) -> bool:
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            return params["uri"] == target and (version is None or params.get("version") == version)

        found: list[Message] = self.wait_for(matches, timeout, f"diagnostics for {path.name}")[
            "params"
        ]["diagnostics"]
        return found

    # --- documents -------------------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None, version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri(path),
                    "languageId": "python",
                    "version": version,
                    "text": path.read_text(encoding="utf-8") if text is None else text,
                }
            },
        )

    def change(self, path: Path, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri(path), "version": version},
                "contentChanges": [{"text": text}],
            },
        )

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=20)
            self.notify("exit", None)
            self.process.wait(timeout=20)
        except (TimeoutError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def stderr(self) -> str:
        """What the server logged (read after `close`)."""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")
